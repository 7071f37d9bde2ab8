"""A local exchange emulator speaking Binance's REST protocol, for tests and offline runs.

An aiohttp server that answers the public spot (``/api/v3``) and USD-M futures
(``/fapi/v1``) endpoints ccxt's ``binance`` class uses for market data (markets, server
time, klines, 24h tickers, depth, trades, premium index, funding history) from the
synthetic market or the candle store, never serving data from after its clock's "now";
with fault injection per endpoint and a control API (``/_emulator``). Unmodified ccxt
talks to it once its URLs point there (:func:`point_ccxt_at`). The trading part
(orders, balances, WebSocket and user-data streams) joins in the live-trading issue.

Quick start::

    from quantbot.venues.emulator import BackgroundEmulator, EmulatorState, SyntheticSource

    source = SyntheticSource.generate(start_ms=1_735_689_600_000, minutes=7 * 1440)
    with BackgroundEmulator(EmulatorState.create(source)) as emulator:
        exchange = point_ccxt_at(ccxt.binance(), emulator.base_url)
"""

from typing import TYPE_CHECKING

from quantbot.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from quantbot.venues.emulator.app import create_app
    from quantbot.venues.emulator.ccxt_urls import emulator_url_for, point_ccxt_at
    from quantbot.venues.emulator.control_client import EmulatorControl
    from quantbot.venues.emulator.errors import ApiError, EmulatorError, InvalidFaultRule
    from quantbot.venues.emulator.faults import FaultInjector, FaultKind, FaultRule
    from quantbot.venues.emulator.markets import MarketCatalogue, MarketSpec, market_spec
    from quantbot.venues.emulator.server import BackgroundEmulator, EmulatorServer, serve_forever
    from quantbot.venues.emulator.source import MarketSource
    from quantbot.venues.emulator.state import EmulatorState
    from quantbot.venues.emulator.store_source import StoreSource
    from quantbot.venues.emulator.synthetic_source import DEFAULT_SYMBOLS, SyntheticSource
    from quantbot.venues.emulator.traffic import RequestRecord, TrafficRecorder

__all__ = [
    "DEFAULT_SYMBOLS",
    "ApiError",
    "BackgroundEmulator",
    "EmulatorControl",
    "EmulatorError",
    "EmulatorServer",
    "EmulatorState",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "InvalidFaultRule",
    "MarketCatalogue",
    "MarketSource",
    "MarketSpec",
    "RequestRecord",
    "StoreSource",
    "SyntheticSource",
    "TrafficRecorder",
    "create_app",
    "emulator_url_for",
    "market_spec",
    "point_ccxt_at",
    "serve_forever",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "DEFAULT_SYMBOLS": "quantbot.venues.emulator.synthetic_source",
        "ApiError": "quantbot.venues.emulator.errors",
        "BackgroundEmulator": "quantbot.venues.emulator.server",
        "EmulatorControl": "quantbot.venues.emulator.control_client",
        "EmulatorError": "quantbot.venues.emulator.errors",
        "EmulatorServer": "quantbot.venues.emulator.server",
        "EmulatorState": "quantbot.venues.emulator.state",
        "FaultInjector": "quantbot.venues.emulator.faults",
        "FaultKind": "quantbot.venues.emulator.faults",
        "FaultRule": "quantbot.venues.emulator.faults",
        "InvalidFaultRule": "quantbot.venues.emulator.errors",
        "MarketCatalogue": "quantbot.venues.emulator.markets",
        "MarketSource": "quantbot.venues.emulator.source",
        "MarketSpec": "quantbot.venues.emulator.markets",
        "RequestRecord": "quantbot.venues.emulator.traffic",
        "StoreSource": "quantbot.venues.emulator.store_source",
        "SyntheticSource": "quantbot.venues.emulator.synthetic_source",
        "TrafficRecorder": "quantbot.venues.emulator.traffic",
        "create_app": "quantbot.venues.emulator.app",
        "emulator_url_for": "quantbot.venues.emulator.ccxt_urls",
        "market_spec": "quantbot.venues.emulator.markets",
        "point_ccxt_at": "quantbot.venues.emulator.ccxt_urls",
        "serve_forever": "quantbot.venues.emulator.server",
    },
)
