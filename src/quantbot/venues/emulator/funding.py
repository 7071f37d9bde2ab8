"""Funding of the perpetuals: ``/fapi/v1/premiumIndex`` and ``/fapi/v1/fundingRate``.

Funding history follows Binance's windowing: ``limit`` defaults to 100, at most 1000;
with ``startTime`` the first ``limit`` settlements from it (inclusive), else the last
``limit`` ones up to ``endTime`` or now. Only settlements at or before "now" exist.
Each row carries the mark price at settlement, taken from the perpetual's candles.

The premium index at "now" holds:

- ``markPrice``: the perpetual's price at "now";
- ``lastFundingRate``: the rate of the latest settlement (Binance shows a running
  estimate of the next one; the emulator, never looking ahead, shows the last);
- ``indexPrice``: the mark less the premium that rate implies over the 0.01 %
  interest part (``mark / (1 + rate - interest)``);
- ``nextFundingTime``: the next 00:00, 08:00 or 16:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantbot.data.synthetic_funding import FUNDING_INTEREST, FUNDING_INTERVAL_MS
from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import MarketSpec
from quantbot.venues.emulator.source import empty_funding_frame
from quantbot.venues.emulator.windows import first_rows, last_rows

__all__ = ["FundingQuery", "funding_rows", "premium_index", "select_funding"]

_DEFAULT_LIMIT = 100
_MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class FundingQuery:
    """A validated funding-rate history request (``startTime``/``endTime`` inclusive)."""

    start_ms: int | None
    end_ms: int | None
    limit: int

    @classmethod
    def parse(cls, *, start_ms: int | None, end_ms: int | None, limit: int | None) -> FundingQuery:
        """Validate the parameters the way Binance does.

        Raises:
            ApiError: -1130 for a limit below 1.
        """
        if limit is not None and limit < 1:
            raise ApiError.invalid_value("limit")
        return cls(start_ms, end_ms, _DEFAULT_LIMIT if limit is None else min(limit, _MAX_LIMIT))


def select_funding(view: MarketView, query: FundingQuery) -> pd.DataFrame:
    """The settlements a history request returns (``ts_ms``, ``funding_rate``)."""
    span = view.source.funding_span_ms(view.symbol)
    if span is None:
        return empty_funding_frame()
    hi = min(view.now_ms, span[1]) + 1
    if query.end_ms is not None:
        hi = min(hi, query.end_ms + 1)

    def fetch(lo: int, stop: int) -> pd.DataFrame:
        return view.source.funding(view.symbol, start_ms=lo, end_ms=stop)

    width_ms = query.limit * FUNDING_INTERVAL_MS
    if query.start_ms is not None:
        lo = max(query.start_ms, span[0])
        return first_rows(
            fetch, lo=lo, hi=hi, limit=query.limit, width_ms=width_ms, empty=empty_funding_frame()
        )
    return last_rows(
        fetch, lo=span[0], hi=hi, limit=query.limit, width_ms=width_ms, empty=empty_funding_frame()
    )


def funding_rows(
    view: MarketView, spec: MarketSpec, settlements: pd.DataFrame
) -> list[dict[str, Any]]:
    """Binance's funding-history objects, with the mark price at each settlement."""
    if settlements.empty:
        return []
    ts = settlements["ts_ms"].to_numpy(dtype=np.int64)
    candles = view.source.candles(
        view.symbol,
        view.base_timeframe,
        start_ms=int(ts[0]) - view.base_ms,
        end_ms=int(ts[-1]) + view.base_ms,
    )
    candle_ts = candles["ts_ms"].to_numpy(dtype=np.int64)
    # The mark at a settlement is the open of the candle that starts at it, or failing
    # that the close of the last candle before it.
    at = np.searchsorted(candle_ts, ts, side="right") - 1
    marks = [
        spec.price_text(
            float(candles["open"].iloc[i]) if candle_ts[i] == t else float(candles["close"].iloc[i])
        )
        if i >= 0
        else ""
        for i, t in zip(at, ts, strict=True)
    ]
    return [
        {
            "symbol": spec.market_id,
            "fundingTime": int(t),
            "fundingRate": f"{rate:.8f}",
            "markPrice": mark,
        }
        for t, rate, mark in zip(
            ts, settlements["funding_rate"].to_numpy(dtype=np.float64), marks, strict=True
        )
    ]


def premium_index(view: MarketView, spec: MarketSpec) -> dict[str, Any] | None:
    """The premium-index object of one perpetual at "now"; None before its data starts."""
    mark = view.price()
    if mark is None:
        return None
    last = select_funding(view, FundingQuery(start_ms=None, end_ms=None, limit=1))
    rate = float(last["funding_rate"].iloc[-1]) if not last.empty else FUNDING_INTEREST
    index = mark / (1.0 + rate - FUNDING_INTEREST)
    next_funding = (view.now_ms // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
    return {
        "symbol": spec.market_id,
        "markPrice": f"{mark:.8f}",
        "indexPrice": f"{index:.8f}",
        "estimatedSettlePrice": f"{index:.8f}",
        "lastFundingRate": f"{rate:.8f}",
        "interestRate": f"{FUNDING_INTEREST:.8f}",
        "nextFundingTime": next_funding,
        "time": view.now_ms,
    }
