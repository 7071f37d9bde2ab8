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

    Attributes:
        symbols: the run's symbols, in the order of every snapshot's quantities.
    """

    symbols: Sequence[str]
    _bars: list[int] = field(default_factory=list)
    _constants: list[float] = field(default_factory=list)
    _quantities: list[list[float]] = field(default_factory=list)
    _books: list[Mapping[str, BookParts]] = field(default_factory=list)

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
        self._quantities.append(quantities)
        self._books.append(books)

    def curves(self, prices: np.ndarray) -> EquityCurves:
        """Evaluate every bar with ``prices`` (bars x symbols) at each bar's close."""
        n = prices.shape[0]
        which = np.searchsorted(np.array(self._bars, dtype=np.int64), np.arange(n), "right") - 1
        constants = np.array(self._constants)[which]
        values = np.array(self._quantities).reshape(len(self._bars), len(self.symbols))[which]
        values = values * prices
        equity = constants + values.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            exposure = np.where(equity > 0, np.abs(values).sum(axis=1) / equity, 0.0)
        strategy_equity: dict[str, np.ndarray] = {}
        for strategy in self._books[0] if self._books else ():
            parts = [books[strategy] for books in self._books]
            c = np.array([p[0] for p in parts])[which]
            q = np.array([[p[1].get(symbol, 0.0) for symbol in self.symbols] for p in parts])
            strategy_equity[strategy] = c + (q[which] * prices).sum(axis=1)
        return EquityCurves(equity, exposure, strategy_equity)
