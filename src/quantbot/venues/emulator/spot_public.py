"""The public spot API (``api.binance.com/api/v3``): market data ccxt reads for spot markets.

``exchangeInfo`` (all markets, or ``?symbol=``/``?symbols=``), plus the shared
market-data endpoints of :mod:`quantbot.venues.emulator.market_data` with spot limits
(klines up to 1000 rows).
"""

from __future__ import annotations

from aiohttp import web

from quantbot.venues.emulator.exchange_info import spot_exchange_info
from quantbot.venues.emulator.market_data import ApiFamily, market_data_routes
from quantbot.venues.emulator.middleware import binance_json
from quantbot.venues.emulator.params import symbol_list
from quantbot.venues.emulator.state import STATE

__all__ = ["SPOT", "spot_public_routes"]

SPOT = ApiFamily(prefix="/api/v3", perpetual=False, kline_max_limit=1000)


async def exchange_info(request: web.Request) -> web.Response:
    """``GET /api/v3/exchangeInfo``."""
    state = request.app[STATE]
    specs = state.catalogue.spot
    wanted = symbol_list(request.query)
    if "symbol" in request.query:
        wanted = [request.query["symbol"]]
    if wanted is not None:
        specs = [state.catalogue.lookup(market_id, perpetual=False) for market_id in wanted]
    return binance_json(spot_exchange_info(specs, server_time_ms=state.clock.now_ms()))


def spot_public_routes() -> list[web.RouteDef]:
    """Routes of the public spot API."""
    return [web.get(f"{SPOT.prefix}/exchangeInfo", exchange_info), *market_data_routes(SPOT)]
