"""The synthetic market as the emulator's data source (the default).

:meth:`SyntheticSource.generate` runs the seeded generator once for a configured period
and keeps the 1-minute candles in memory; higher timeframes are resampled on first use
and cached. The period usually reaches past "now" so that, under a wall clock, new
candles keep closing while the server runs; the emulator serves only what has closed.

Perpetuals come from the generator too: ``BTC/USDT:USDT`` trades at its mark price
(the ``BTC/USDT`` path times ``1 + basis``, :meth:`SyntheticMarket.mark_candles`) and
settles the generator's funding (8-hourly, leaning with the regime). Perpetual volume
is a multiple of spot volume, as on Binance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import OHLCV_COLUMNS, empty_ohlcv_frame
from quantbot.data.resample import SOURCE_COUNT_COLUMN, resample
from quantbot.data.symbols import is_perpetual
from quantbot.data.synthetic import generate_market
from quantbot.venues.emulator.source import FUNDING_COLUMNS, empty_funding_frame

__all__ = ["DEFAULT_SYMBOLS", "SyntheticSource"]

DEFAULT_SYMBOLS = (
    "BTC/USDT",
    "ETH/USDT",
    "SOL/USDT",
    "BTC/USDT:USDT",
    "ETH/USDT:USDT",
    "SOL/USDT:USDT",
)
"""What the emulator lists by default: the three majors, spot and perpetual."""

_PERP_VOLUME_MULTIPLE = 3.0
"""Binance USD-M volume in the majors runs at a few times spot volume."""


class SyntheticSource:
    """1-minute candles and funding held in memory (see the module docstring).

    Args:
        candles: ccxt symbol → 1m OHLCV frame (gaps allowed).
        funding: perpetual symbol → funding frame (:data:`FUNDING_COLUMNS`).
        description: what the data is, e.g. ``synthetic market, seed 7``.
    """

    def __init__(
        self,
        candles: Mapping[str, pd.DataFrame],
        funding: Mapping[str, pd.DataFrame],
        *,
        description: str,
    ) -> None:
        self._candles = {
            s: f.loc[:, list(OHLCV_COLUMNS)].reset_index(drop=True) for s, f in candles.items()
        }
        self._funding = {
            s: f.loc[:, list(FUNDING_COLUMNS)].reset_index(drop=True) for s, f in funding.items()
        }
        self._description = description
        self._resampled: dict[tuple[str, str], pd.DataFrame] = {}

    @classmethod
    def generate(
        cls,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        *,
        start_ms: int,
        minutes: int,
        seed: int = 7,
    ) -> SyntheticSource:
        """Generate the market for ``symbols`` over ``minutes`` from ``start_ms``.

        Args:
            symbols: ccxt symbols, spot and USD-M perpetuals; a perpetual follows its
                spot asset's path whether or not the spot market is listed.
            start_ms: open time of the first candle, aligned to a minute.
            minutes: candles per symbol.
            seed: seed of the generator; equal inputs give identical markets.

        Raises:
            ValueError: for no symbols, an unaligned start or a non-positive length.
        """
        spots = sorted({symbol.split(":")[0] for symbol in symbols})
        market = generate_market(spots, start_ms=start_ms, minutes=minutes, seed=seed)
        candles: dict[str, pd.DataFrame] = {}
        funding: dict[str, pd.DataFrame] = {}
        for symbol in symbols:
            spot_symbol = symbol.split(":")[0]
            spot = market.candles[spot_symbol]
            if not is_perpetual(symbol):
                candles[symbol] = spot
                continue
            perpetual = market.mark_candles(spot_symbol)
            perpetual["volume"] = spot["volume"].to_numpy(dtype=np.float64) * _PERP_VOLUME_MULTIPLE
            candles[symbol] = perpetual
            funding[symbol] = market.funding[spot_symbol]
        return cls(candles, funding, description=f"synthetic market, seed {seed}")

    @property
    def description(self) -> str:
        """What the data is."""
        return self._description

    def symbols(self) -> tuple[str, ...]:
        """The markets held."""
        return tuple(self._candles)

    def base_timeframe(self, symbol: str) -> str:
        """Always ``1m``."""
        return "1m"

    def span_ms(self, symbol: str) -> tuple[int, int] | None:
        """First and last 1m open time."""
        ts = self._candles[symbol]["ts_ms"]
        return (int(ts.iloc[0]), int(ts.iloc[-1])) if len(ts) else None

    def candles(self, symbol: str, timeframe: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Candles of ``timeframe`` opening in ``[start_ms, end_ms)``, resampled from 1m."""
        if timeframe == "1m":
            frame = self._candles[symbol]
        else:
            key = (symbol, timeframe)
            if key not in self._resampled:
                try:
                    built = resample(self._candles[symbol], "1m", timeframe)
                except ValueError:
                    built = empty_ohlcv_frame()
                self._resampled[key] = built.drop(columns=[SOURCE_COUNT_COLUMN], errors="ignore")
            frame = self._resampled[key]
        return _between(frame, start_ms, end_ms)

    def funding_span_ms(self, symbol: str) -> tuple[int, int] | None:
        """First and last settlement time."""
        frame = self._funding.get(symbol)
        if frame is None or frame.empty:
            return None
        return int(frame["ts_ms"].iloc[0]), int(frame["ts_ms"].iloc[-1])

    def funding(self, symbol: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Settlements in ``[start_ms, end_ms)``."""
        frame = self._funding.get(symbol)
        if frame is None:
            return empty_funding_frame()
        return _between(frame, start_ms, end_ms)


def _between(frame: pd.DataFrame, start_ms: int, end_ms: int) -> pd.DataFrame:
    ts = frame["ts_ms"].to_numpy()
    lo, hi = np.searchsorted(ts, [start_ms, end_ms], side="left")
    return frame.iloc[lo:hi].reset_index(drop=True)
