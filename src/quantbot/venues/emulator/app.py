"""The aiohttp application of the exchange emulator: one route table per API family.

:func:`create_app` mounts the public spot API, the public USD-M futures API (with the
coin-M stub) and the control API behind the fault middleware. The trading part
(signed order and account endpoints, user-data and market WebSocket streams) will add
its own route modules here, sharing the same :class:`EmulatorState`.
"""

from __future__ import annotations

from aiohttp import web

from quantbot.venues.emulator.control import control_routes
from quantbot.venues.emulator.futures_public import futures_public_routes
from quantbot.venues.emulator.middleware import fault_middleware
from quantbot.venues.emulator.spot_public import spot_public_routes
from quantbot.venues.emulator.state import STATE, EmulatorState

__all__ = ["create_app"]


def create_app(state: EmulatorState) -> web.Application:
    """The emulator's web application over ``state``."""
    app = web.Application(middlewares=[fault_middleware])
    app[STATE] = state
    app.add_routes(spot_public_routes())
    app.add_routes(futures_public_routes())
    app.add_routes(control_routes())
    return app
