"""Price watches: a strategy asks to be woken when a price is reached.

A grid recentres when the price leaves its band, a trailing take-profit moves when a
new high is made: conditions on prices that no precomputed mask can know, because they
depend on what the strategy did. A watch (``ctx.watch_price``) is found ahead exactly
like a resting order — per symbol, the highest ``below`` and the lowest ``above`` of
every strategy's watch become the two thresholds of one forward scan — so the fast
path still skips the bars in between, and a bar-by-bar run checks the same condition
on every bar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from quantbot.core import StrategyId
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.venues.simulated.scan import CrossingScan

__all__ = ["PriceWatch", "PriceWatches"]


@dataclass(frozen=True, slots=True)
class PriceWatch:
    """Wake ``strategy_id`` when ``symbol``'s high reaches ``above`` or its low ``below``."""

    strategy_id: StrategyId
    symbol: str
    above: float | None
    below: float | None

    def reached(self, high: float, low: float) -> bool:
        """Whether a bar with this high and low reaches the watch."""
        return (self.above is not None and high >= self.above) or (
            self.below is not None and low <= self.below
        )


class PriceWatches:
    """Every strategy's watches, one per (strategy, symbol), one-shot.

    Per symbol the watches reduce to two thresholds, kept until a watch is set or
    removed; a bar reaches some watch exactly when it crosses one of them, so the bars
    without any are rejected with the same scan the fast path uses. The scan's last
    answer is remembered too: the engine asks at every event.
    """

    def __init__(self, arrays: Mapping[str, OhlcvArrays]) -> None:
        self._arrays = arrays
        self._watches: dict[tuple[StrategyId, str], PriceWatch] = {}
        self._scans = {symbol: CrossingScan(a.low, a.high) for symbol, a in arrays.items()}
        self._thresholds: dict[str, tuple[float, float]] | None = {}
        """Per watched symbol, (highest ``below``, lowest ``above``); None: to recompute."""
        self._next: tuple[int, int] | None = None
        """(start, answer) of the last :meth:`next_bar` while the watches are unchanged."""

    def set(
        self, strategy_id: StrategyId, symbol: str, above: float | None, below: float | None
    ) -> None:
        """Replace the strategy's watch on ``symbol``; with neither price, remove it."""
        key = (strategy_id, symbol)
        if above is None and below is None:
            if self._watches.pop(key, None) is not None:
                self._changed()
        else:
            watch = PriceWatch(strategy_id, symbol, above, below)
            if self._watches.get(key) != watch:
                self._changed()
            self._watches[key] = watch

    def clear(self, strategy_id: StrategyId) -> None:
        """Remove every watch of a strategy (it was halted)."""
        for key in [k for k in self._watches if k[0] == strategy_id]:
            del self._watches[key]
            self._changed()

    def next_bar(self, start: int) -> int:
        """The first bar ``>= start`` that reaches any watch (past the end: none)."""
        known = self._next
        if known is not None and known[0] <= start <= known[1]:
            return known[1]
        best = 2**62
        for symbol, (low_at, high_at) in self._symbol_thresholds().items():
            best = min(best, self._scans[symbol].first(start, low_at, high_at))
        self._next = (start, best)
        return best

    def due(self, bar: int) -> list[PriceWatch]:
        """The watches bar ``bar`` reaches, in the order they were set; removed (one-shot)."""
        if not self._watches or self.next_bar(bar) != bar:
            return []
        fired = []
        for key, watch in list(self._watches.items()):
            candles = self._arrays[watch.symbol]
            if watch.reached(float(candles.high[bar]), float(candles.low[bar])):
                fired.append(watch)
                del self._watches[key]
        if fired:
            self._changed()
        return fired

    def _changed(self) -> None:
        """A watch was set or removed: forget the thresholds and the last answer."""
        self._thresholds = None
        self._next = None

    def _symbol_thresholds(self) -> dict[str, tuple[float, float]]:
        if self._thresholds is None:
            thresholds: dict[str, tuple[float, float]] = {}
            for watch in self._watches.values():
                low_at, high_at = thresholds.get(watch.symbol, (-math.inf, math.inf))
                if watch.below is not None:
                    low_at = max(low_at, watch.below)
                if watch.above is not None:
                    high_at = min(high_at, watch.above)
                thresholds[watch.symbol] = (low_at, high_at)
            self._thresholds = thresholds
        return self._thresholds
