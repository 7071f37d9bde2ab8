"""Where the emulator's market data comes from: the :class:`MarketSource` protocol.

A source holds candles and funding settlements, nothing else, and knows nothing of
time: it returns what it has for the range asked. The emulator decides what exists
yet at its clock's "now" (``klines.py``) and derives everything else (trades, order
books, tickers, premium index) from the candles, so a source stays a thin adapter
over a data set. Two implementations: ``SyntheticSource`` (the seeded synthetic
market, the default) and ``StoreSource`` (the candle store).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

__all__ = ["FUNDING_COLUMNS", "MarketSource", "empty_funding_frame"]

FUNDING_COLUMNS = ("ts_ms", "funding_rate")
"""Columns of a funding frame: settlement time (epoch ms) and rate per settlement."""


class MarketSource(Protocol):
    """Candles and funding for the markets the emulator lists.

    Symbols are ccxt symbols: spot (``BTC/USDT``) and USD-M perpetuals
    (``BTC/USDT:USDT``). Frames are sorted by ``ts_ms`` and unique on it.
    """

    @property
    def description(self) -> str:
        """One line saying what the data is, for the CLI and the status endpoint."""
        ...

    def symbols(self) -> tuple[str, ...]:
        """The markets this source has candles for."""
        ...

    def base_timeframe(self, symbol: str) -> str:
        """The finest timeframe of ``symbol``'s candles (``1m`` for the synthetic market).

        Trades, tickers, books and the still-open candle are derived from these.
        """
        ...

    def span_ms(self, symbol: str) -> tuple[int, int] | None:
        """Open times of the first and last base candle of ``symbol``; None if it has none."""
        ...

    def candles(self, symbol: str, timeframe: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Complete candles of ``timeframe`` opening in ``[start_ms, end_ms)``.

        An OHLCV frame (:data:`~quantbot.data.ohlcv.OHLCV_COLUMNS`); empty when the
        source cannot build that timeframe (finer than its base candles) or has nothing
        in the range. A candle is complete when all of its base candles are in the data
        set, or later data exists (the rule of :func:`quantbot.data.resample.resample`).
        """
        ...

    def funding_span_ms(self, symbol: str) -> tuple[int, int] | None:
        """Times of the first and last funding settlement of ``symbol``; None if none."""
        ...

    def funding(self, symbol: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Funding settlements in ``[start_ms, end_ms)``, columns :data:`FUNDING_COLUMNS`."""
        ...


def empty_funding_frame() -> pd.DataFrame:
    """A funding frame with no rows and the right dtypes."""
    return pd.DataFrame(
        {"ts_ms": np.array([], dtype=np.int64), "funding_rate": np.array([], dtype=np.float64)}
    )
