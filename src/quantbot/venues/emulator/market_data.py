"""Handlers of the market-data endpoints the spot and futures APIs share.

Klines, depth, recent and aggregate trades, 24h tickers and server time work the same
on ``/api/v3`` and ``/fapi/v1`` apart from limits and a few fields, so each handler is
built for an :class:`ApiFamily` and the API modules (``spot_public.py``,
``futures_public.py``) mount them under their prefix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from aiohttp import web

from quantbot.config.base import timeframe_seconds
from quantbot.venues.emulator.book import depth_body, depth_limit, depth_snapshot
from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.klines import KlineQuery, kline_rows, select_klines
from quantbot.venues.emulator.markets import MarketSpec
from quantbot.venues.emulator.middleware import binance_json
from quantbot.venues.emulator.params import optional_int, symbol_list
from quantbot.venues.emulator.state import STATE, EmulatorState
from quantbot.venues.emulator.tickers import ticker_24h
from quantbot.venues.emulator.trades import recent_trades, trades_between, trades_from_id

__all__ = ["ApiFamily", "market_data_routes"]

_HOUR_MS = 3_600_000
_TRADES_DEFAULT_LIMIT = 500
_TRADES_MAX_LIMIT = 1000

Handler = Callable[[web.Request], Awaitable[web.Response]]


@dataclass(frozen=True, slots=True)
class ApiFamily:
    """What differs between the spot and USD-M futures market-data endpoints.

    Attributes:
        prefix: path prefix, ``/api/v3`` or ``/fapi/v1``.
        perpetual: lists USD-M perpetuals (futures) rather than spot markets.
        kline_max_limit: 1000 on spot, 1500 on futures.
    """

    prefix: str
    perpetual: bool
    kline_max_limit: int


def _spec(state: EmulatorState, request: web.Request, family: ApiFamily) -> MarketSpec:
    return state.catalogue.lookup(request.query.get("symbol"), perpetual=family.perpetual)


def _limit(request: web.Request, *, default: int, maximum: int) -> int:
    limit = optional_int(request.query, "limit")
    if limit is not None and limit < 1:
        raise ApiError.invalid_value("limit")
    return default if limit is None else min(limit, maximum)


async def _time(request: web.Request) -> web.Response:
    return binance_json({"serverTime": request.app[STATE].clock.now_ms()})


async def _ping(request: web.Request) -> web.Response:
    return binance_json({})


def _klines(family: ApiFamily) -> Handler:
    async def klines(request: web.Request) -> web.Response:
        state = request.app[STATE]
        spec = _spec(state, request, family)
        query = KlineQuery.parse(
            interval=request.query.get("interval"),
            start_ms=optional_int(request.query, "startTime"),
            end_ms=optional_int(request.query, "endTime"),
            limit=optional_int(request.query, "limit"),
            max_limit=family.kline_max_limit,
        )
        view = state.view(spec)
        candles = select_klines(view, query)
        period_ms = timeframe_seconds(query.interval) * 1000
        return binance_json(kline_rows(candles, spec, period_ms=period_ms, base_ms=view.base_ms))

    return klines


def _depth(family: ApiFamily) -> Handler:
    async def depth(request: web.Request) -> web.Response:
        state = request.app[STATE]
        spec = _spec(state, request, family)
        levels = depth_limit(optional_int(request.query, "limit"), perpetual=family.perpetual)
        view = state.view(spec)
        snapshot = depth_snapshot(view, spec, levels=levels, seed=state.seed)
        return binance_json(depth_body(snapshot, perpetual=family.perpetual, now_ms=view.now_ms))

    return depth


def _trade_json(spec: MarketSpec, trades: pd.DataFrame, *, aggregate: bool) -> list[dict[str, Any]]:
    prices = spec.price_texts(trades["price"])
    qtys = spec.qty_texts(trades["qty"])
    rows: list[dict[str, Any]] = []
    for i, (trade_id, ts, maker) in enumerate(
        zip(
            trades["id"].tolist(),
            trades["ts_ms"].tolist(),
            trades["buyer_maker"].tolist(),
            strict=True,
        )
    ):
        if aggregate:
            row: dict[str, Any] = {
                "a": trade_id,
                "p": prices[i],
                "q": qtys[i],
                "f": trade_id,
                "l": trade_id,
                "T": ts,
                "m": maker,
            }
            if not spec.perpetual:
                row["M"] = True
        else:
            quote = float(prices[i]) * float(qtys[i])
            row = {
                "id": trade_id,
                "price": prices[i],
                "qty": qtys[i],
                "quoteQty": f"{quote:.{spec.price_decimals}f}",
                "time": ts,
                "isBuyerMaker": maker,
            }
            if not spec.perpetual:
                row["isBestMatch"] = True
        rows.append(row)
    return rows


def _recent_trades(family: ApiFamily) -> Handler:
    async def trades(request: web.Request) -> web.Response:
        state = request.app[STATE]
        spec = _spec(state, request, family)
        limit = _limit(request, default=_TRADES_DEFAULT_LIMIT, maximum=_TRADES_MAX_LIMIT)
        found = recent_trades(state.view(spec), spec, limit=limit)
        return binance_json(_trade_json(spec, found, aggregate=False))

    return trades


def _agg_trades(family: ApiFamily) -> Handler:
    async def agg_trades(request: web.Request) -> web.Response:
        state = request.app[STATE]
        spec = _spec(state, request, family)
        limit = _limit(request, default=_TRADES_DEFAULT_LIMIT, maximum=_TRADES_MAX_LIMIT)
        from_id = optional_int(request.query, "fromId")
        start = optional_int(request.query, "startTime")
        end = optional_int(request.query, "endTime")
        view = state.view(spec)
        if from_id is not None and (start is not None or end is not None):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        if from_id is not None:
            found = trades_from_id(view, spec, from_id=from_id, limit=limit)
        elif start is None and end is None:
            found = recent_trades(view, spec, limit=limit)
        else:
            lo, hi = _trade_window(start, end)
            found = trades_between(view, spec, start_ms=lo, end_ms=hi).head(limit)
        return binance_json(_trade_json(spec, found, aggregate=True))

    return agg_trades


def _trade_window(start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
    """The inclusive time window of an aggTrades request: at most one hour, as Binance.

    Raises:
        ApiError: -1127 when both ends are given more than an hour apart.
    """
    if start_ms is not None and end_ms is not None:
        if end_ms - start_ms > _HOUR_MS:
            raise ApiError(-1127, "More than 1 hours between startTime and endTime.")
        return start_ms, end_ms
    if start_ms is not None:
        return start_ms, start_ms + _HOUR_MS - 1
    assert end_ms is not None  # the caller handles a request with neither
    return end_ms - _HOUR_MS + 1, end_ms


def _ticker(family: ApiFamily) -> Handler:
    async def ticker(request: web.Request) -> web.Response:
        state = request.app[STATE]
        if "symbol" in request.query:
            spec = _spec(state, request, family)
            body = ticker_24h(state.view(spec), spec, seed=state.seed)
            if body is None:
                raise ApiError.invalid_symbol()
            return binance_json(body)
        specs = state.catalogue.usdm if family.perpetual else state.catalogue.spot
        # The spot API takes a list of symbols; the futures API answers all or one.
        wanted = None if family.perpetual else symbol_list(request.query)
        if wanted is not None:
            specs = [
                state.catalogue.lookup(market_id, perpetual=family.perpetual)
                for market_id in wanted
            ]
        bodies = [ticker_24h(state.view(spec), spec, seed=state.seed) for spec in specs]
        return binance_json([body for body in bodies if body is not None])

    return ticker


def market_data_routes(family: ApiFamily) -> list[web.RouteDef]:
    """The shared market-data routes under ``family.prefix``."""
    p = family.prefix
    return [
        web.get(f"{p}/ping", _ping),
        web.get(f"{p}/time", _time),
        web.get(f"{p}/klines", _klines(family)),
        web.get(f"{p}/depth", _depth(family)),
        web.get(f"{p}/trades", _recent_trades(family)),
        web.get(f"{p}/aggTrades", _agg_trades(family)),
        web.get(f"{p}/ticker/24hr", _ticker(family)),
    ]
