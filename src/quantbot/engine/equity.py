"""Equity of every bar from snapshots taken only at events.

Between two events positions and balances do not change, so the account's equity is a
linear function of prices, ``constant + sum(qty[symbol] * price[symbol])``: the quote
balance minus ``qty * avg entry`` of each perpetual in ``constant``, base holdings
(spot) and perpetual sizes in ``qty``. The engine stores the two parts at each event
and the curves of every bar are evaluated vectorised at the end, for the account and
for each strategy's book. Perpetuals are valued at the mark price (wallet plus
unrealised PnL at the mark, what the exchange shows and liquidates on), spot holdings
at the close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["EquityCurves", "EquityRecorder"]

BookParts = tuple[float, Mapping[str, float]]
"""(constant, quantity per symbol) of one strategy's book."""


@dataclass(frozen=True)
class EquityCurves:
    """Equity at each bar's close: the account, its exposure, each strategy."""

    equity: np.ndarray
    exposure: np.ndarray
    strategy_equity: dict[str, np.ndarray]


@dataclass
class EquityRecorder:
    """The linear parts of equity at every event; :meth:`curves` evaluates every bar.

    The account's parts are stored at every snapshot, a strategy's only when they
    changed (a book nothing happened to hands back the very same parts): with several
    strategies most events touch one of them.

    Attributes:
        symbols: the run's symbols, in the order of every snapshot's quantities.
    """

    symbols: Sequence[str]
    _bars: list[int] = field(default_factory=list)
    _constants: list[float] = field(default_factory=list)
    _quantities: list[float] = field(default_factory=list)
    """Every snapshot's quantities, one after the other."""
    _book_bars: dict[str, list[int]] = field(default_factory=dict)
    _book_parts: dict[str, list[BookParts]] = field(default_factory=dict)

    def record(
        self,
        bar: int,
        constant: float,
        quantities: list[float],
        books: Mapping[str, BookParts],
    ) -> None:
        """Store the parts valid from the close of ``bar`` on (-1: before the first bar)."""
        self._bars.append(bar)
        self._constants.append(constant)
        self._quantities.extend(quantities)
        for strategy, parts in books.items():
            known = self._book_parts.setdefault(strategy, [])
            if not known or known[-1] is not parts:
                known.append(parts)
                self._book_bars.setdefault(strategy, []).append(bar)

    def curves(self, prices: np.ndarray) -> EquityCurves:
        """Evaluate every bar with ``prices`` (bars x symbols) at each bar's close."""
        n = prices.shape[0]
        # Bars x symbols arrays are the run's largest: built once and computed in place.
        quantities = np.array(self._quantities, dtype=np.float64).reshape(
            len(self._bars), len(self.symbols)
        )
        values = _spread(quantities, self._bars, n)
        np.multiply(values, prices, out=values)
        equity = _spread(np.array(self._constants, dtype=np.float64), self._bars, n)
        equity += values.sum(axis=1)
        np.abs(values, out=values)
        exposure = values.sum(axis=1)
        del values
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(exposure, equity, out=exposure)
        exposure[~(equity > 0)] = 0.0
        strategy_equity: dict[str, np.ndarray] = {}
        for strategy, parts in self._book_parts.items():
            bars = self._book_bars[strategy]
            q = np.array(
                [[p[1].get(symbol, 0.0) for symbol in self.symbols] for p in parts],
                dtype=np.float64,
            )
            q = _spread(q, bars, n)
            np.multiply(q, prices, out=q)
            curve = _spread(np.array([p[0] for p in parts], dtype=np.float64), bars, n)
            curve += q.sum(axis=1)
            strategy_equity[strategy] = curve
        return EquityCurves(equity, exposure, strategy_equity)


def _spread(per_snapshot: np.ndarray, bars: Sequence[int], n: int) -> np.ndarray:
    """Row ``j`` of ``per_snapshot`` on every bar snapshot ``j`` covers: ``n`` rows in all.

    Snapshot ``j``, taken at the close of ``bars[j]`` (increasing; -1 before the first
    bar), holds from that bar to the bar before the next snapshot.
    """
    starts = np.clip(np.array(bars, dtype=np.int64), 0, n)
    counts = np.diff(starts, append=n)
    counts[0] += starts[0]  # bars before the first snapshot, if any, take its values
    return np.repeat(per_snapshot.reshape(len(bars), -1), counts, axis=0).reshape(
        (n, *per_snapshot.shape[1:])
    )
