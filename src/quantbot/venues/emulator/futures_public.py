"""The public USD-M futures API (``fapi.binance.com/fapi/v1``) and the coin-M stub.

``exchangeInfo``, ``premiumIndex`` (mark price, funding rate, next funding time; one
symbol or all), ``fundingRate`` (settlement history, one symbol or all), plus the
shared market-data endpoints with futures limits (klines up to 1500 rows).

ccxt's ``load_markets()`` also asks the coin-M API (``dapi.binance.com/dapi/v1``) for
its markets; the emulator lists none there, so ``/dapi/v1/exchangeInfo`` answers an
empty symbol list (and ``/dapi/v1/time`` the time) and ccxt loads spot and USD-M
markets only.
"""

from __future__ import annotations

from aiohttp import web

from quantbot.venues.emulator.exchange_info import futures_exchange_info
from quantbot.venues.emulator.funding import (
    FundingQuery,
    funding_rows,
    premium_index,
    select_funding,
)
from quantbot.venues.emulator.market_data import ApiFamily, market_data_routes
from quantbot.venues.emulator.middleware import binance_json
from quantbot.venues.emulator.params import optional_int
from quantbot.venues.emulator.state import STATE

__all__ = ["USDM", "futures_public_routes"]

USDM = ApiFamily(prefix="/fapi/v1", perpetual=True, kline_max_limit=1500)
_DAPI = "/dapi/v1"


async def exchange_info(request: web.Request) -> web.Response:
    """``GET /fapi/v1/exchangeInfo``."""
    state = request.app[STATE]
    return binance_json(
        futures_exchange_info(
            state.catalogue.usdm, server_time_ms=state.clock.now_ms(), onboard_ms=state.onboard_ms
        )
    )


async def premium(request: web.Request) -> web.Response:
    """``GET /fapi/v1/premiumIndex``: one object with ``?symbol=``, else a list."""
    state = request.app[STATE]
    if "symbol" in request.query:
        spec = state.catalogue.lookup(request.query["symbol"], perpetual=True)
        body = premium_index(state.view(spec), spec)
        return binance_json(body if body is not None else {})
    bodies = [premium_index(state.view(spec), spec) for spec in state.catalogue.usdm]
    return binance_json([body for body in bodies if body is not None])


async def funding_rate(request: web.Request) -> web.Response:
    """``GET /fapi/v1/fundingRate``: settlement history of one symbol or all."""
    state = request.app[STATE]
    query = FundingQuery.parse(
        start_ms=optional_int(request.query, "startTime"),
        end_ms=optional_int(request.query, "endTime"),
        limit=optional_int(request.query, "limit"),
    )
    if "symbol" in request.query:
        specs = [state.catalogue.lookup(request.query["symbol"], perpetual=True)]
    else:
        specs = state.catalogue.usdm
    rows = []
    for spec in specs:
        view = state.view(spec)
        rows.extend(funding_rows(view, spec, select_funding(view, query)))
    rows.sort(key=lambda row: (row["fundingTime"], row["symbol"]))
    # Across symbols, as for one: the first rows from startTime, else the latest ones.
    return binance_json(rows[: query.limit] if query.start_ms is not None else rows[-query.limit :])


async def coinm_exchange_info(request: web.Request) -> web.Response:
    """``GET /dapi/v1/exchangeInfo``: no coin-M markets are listed."""
    now_ms = request.app[STATE].clock.now_ms()
    return binance_json(
        {
            "timezone": "UTC",
            "serverTime": now_ms,
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [],
        }
    )


async def coinm_time(request: web.Request) -> web.Response:
    """``GET /dapi/v1/time``."""
    return binance_json({"serverTime": request.app[STATE].clock.now_ms()})


def futures_public_routes() -> list[web.RouteDef]:
    """Routes of the public USD-M futures API and the coin-M stub."""
    p = USDM.prefix
    return [
        web.get(f"{p}/exchangeInfo", exchange_info),
        web.get(f"{p}/premiumIndex", premium),
        web.get(f"{p}/fundingRate", funding_rate),
        *market_data_routes(USDM),
        web.get(f"{_DAPI}/exchangeInfo", coinm_exchange_info),
        web.get(f"{_DAPI}/time", coinm_time),
    ]
