"""What a backtest runs on and how: the market data and the run's settings.

:class:`BacktestData` holds candles on one timeline, the trading rules, for
perpetuals their funding settlements and mark prices, and any recorded order books;
:class:`BacktestConfig` the capital, the fill model, the margin model, the fast path
and the risk manager.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quantbot.core import Instrument
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.risk_setup import RiskSetup
from quantbot.venues.simulated import BookDepth, FillModel, MarginModel

__all__ = ["BacktestConfig", "BacktestData"]


@dataclass(frozen=True)
class BacktestData:
    """The market a backtest runs on.

    Attributes:
        timeframe: base timeframe of every array (the engine's step).
        arrays: per symbol, candles on one shared timeline (identical ``ts_ms``).
        instruments: per symbol, its trading rules (tick, lot, minimum notional).
        funding: per perpetual, its funding settlements: a frame with ``ts_ms``
            (settlement time) and ``funding_rate`` (a fraction per settlement), as the
            candle store and the data files give them; a perpetual without one pays no
            funding.
        marks: per perpetual, mark-price candles on the same timeline; a perpetual
            without them is marked at its traded prices. Liquidations, funding and the
            equity of perpetuals use the mark.
        books: per symbol, recorded L2 order books: takers at the open of a bar the
            books cover walk them instead of the fill model's slippage
            (:mod:`quantbot.venues.simulated.depth`).

    Raises:
        ValueError: for no symbols, symbols on different timelines, a symbol without
            instrument, funding or marks for a symbol that is not a perpetual of the
            data, marks off the timeline, funding out of order or not finite, or books
            of a symbol without candles.
    """

    timeframe: str
    arrays: Mapping[str, OhlcvArrays]
    instruments: Mapping[str, Instrument]
    funding: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    marks: Mapping[str, OhlcvArrays] = field(default_factory=dict)
    books: Mapping[str, BookDepth] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.arrays:
            raise ValueError("a backtest needs at least one symbol")
        timelines = [a.ts_ms for a in self.arrays.values()]
        if any(
            len(t) != len(timelines[0]) or not np.array_equal(t, timelines[0]) for t in timelines
        ):
            raise ValueError("every symbol's candles must share one timeline (fill gaps first)")
        missing = set(self.arrays) - set(self.instruments)
        if missing:
            raise ValueError(f"no instrument for {sorted(missing)}")
        for what, symbols in (("funding", self.funding), ("marks", self.marks)):
            strays = [
                s for s in symbols if s not in self.arrays or not self.instruments[s].is_perpetual
            ]
            if strays:
                raise ValueError(f"{what} for {strays}, which are not perpetuals of the data")
        strays = sorted(set(self.books) - set(self.arrays))
        if strays:
            raise ValueError(f"order books for {strays}, which have no candles in the data")
        for symbol, marks in self.marks.items():
            if not np.array_equal(marks.ts_ms, timelines[0]):
                raise ValueError(f"marks of {symbol} are not on the candles' timeline")
        for symbol, frame in self.funding.items():
            times = frame["ts_ms"].to_numpy()
            rates = frame["funding_rate"].to_numpy(dtype=np.float64)
            if np.any(np.diff(times) <= 0) or not np.isfinite(rates).all():
                raise ValueError(
                    f"funding of {symbol}: settlements must be in time order with finite rates"
                )

    @property
    def ts_ms(self) -> np.ndarray:
        """The shared timeline: bar open times."""
        return next(iter(self.arrays.values())).ts_ms

    def book_coverage(self, period_ms: int) -> dict[str, dict[str, int]]:
        """Per symbol with order books: its snapshots, their span, the bar opens covered.

        A bar open is covered by a snapshot at most ``period_ms`` old. This is what a
        stored run says of the books its takers walked.
        """
        coverage = {}
        for symbol, depth in self.books.items():
            covered = depth.snapshots_at(self.ts_ms, period_ms) >= 0
            coverage[symbol] = {
                "snapshots": len(depth),
                "first_ms": int(depth.ts_ms[0]) if len(depth) else 0,
                "last_ms": int(depth.ts_ms[-1]) if len(depth) else 0,
                "bar_opens_covered": int(np.count_nonzero(covered)),
            }
        return coverage

    def mark_arrays(self, symbol: str) -> OhlcvArrays:
        """Mark-price candles of ``symbol``: its marks, else its traded candles."""
        marks = self.marks.get(symbol)
        return self.arrays[symbol] if marks is None else marks


@dataclass(frozen=True)
class BacktestConfig:
    """How a backtest runs.

    Attributes:
        initial_capital: quote currency in the account at the start.
        quote_currency: the account's currency (every symbol must be quoted in it).
        fill_model: fees, slippage, volume cap and latency of the simulated venue.
        capital_split: share of the capital each strategy is allotted (by strategy id);
            equal shares by default.
        skip_idle_bars: jump over bars where nothing can happen (the fast path).
        exchange: account name in the portfolio.
        margin: leverage, margin mode, maintenance rates and liquidation fee of
            perpetuals (leverage 1, cross margin by default).
        risk: the risk manager (:mod:`quantbot.engine.risk_manager`): portfolio rules in
            the pre-trade chain, circuit breakers, drawdown brakes, price shocks. None
            (the default): the venue's rules only.
    """

    initial_capital: float = 10_000.0
    quote_currency: str = "USDT"
    fill_model: FillModel = field(default_factory=FillModel)
    capital_split: Mapping[str, float] | None = None
    skip_idle_bars: bool = True
    exchange: str = "sim"
    margin: MarginModel = field(default_factory=MarginModel)
    risk: RiskSetup | None = None
