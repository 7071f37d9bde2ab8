"""``ema_cross``: the EMA crossover template, long only.

Buy when the fast EMA crosses above the slow EMA; sell the whole position when it
crosses back below. A cross means ``fast[t-1] < slow[t-1]`` and ``fast[t] > slow[t]``
(strict, backtesting.py's ``crossover``), evaluated at the close of candle t; the
market order fills from the next candle's open. EMAs are TA-Lib's, seeded with the
simple average of the first ``period`` closes; after a warm-up of a few times
``slow`` candles the seeding no longer changes any decision.

Sizing: a fixed ``order_size`` in base units when it is set, otherwise ``stake_pct``
percent of the strategy's equity at the decision (rounded down to the lot by the
pre-trade checks).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from quantbot.core import Side
from quantbot.indicators import crossover, crossunder, ema
from quantbot.strategies.base import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)

__all__ = ["EmaCross", "EmaCrossParams"]


class EmaCrossParams(StrategyParams):
    """Parameters of :class:`EmaCross`."""

    fast: int = Field(9, ge=1, description="Fast EMA period, in candles.")
    slow: int = Field(21, ge=2, description="Slow EMA period, in candles.")
    order_size: float | None = Field(
        None,
        gt=0,
        description="Fixed size of each entry in base units; when set, stake_pct is not used.",
    )
    stake_pct: float = Field(
        10.0,
        gt=0,
        le=100,
        description="Size of each entry as a percentage of the strategy's equity.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> EmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast {self.fast} must be shorter than slow {self.slow}")
        return self


class EmaCross(Strategy):
    """Long on a golden cross of two EMAs, flat on the death cross."""

    name = "ema_cross"
    Params = EmaCrossParams

    @property
    def warmup_bars(self) -> int:
        """The slow EMA's first value needs ``slow`` candles."""
        return self.params.slow  # type: ignore[attr-defined,no-any-return]

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """EMAs and cross masks per symbol; wake only on crosses."""
        self._up: dict[str, np.ndarray] = {}
        self._down: dict[str, np.ndarray] = {}
        masks = {}
        p: EmaCrossParams = self.params  # type: ignore[assignment]
        for symbol in self.symbols:
            close = history.candles(symbol, self.timeframe).close
            fast, slow = ema(close, p.fast), ema(close, p.slow)
            up, down = crossover(fast, slow), crossunder(fast, slow)
            self._up[symbol], self._down[symbol] = up, down
            masks[symbol] = up | down
        return masks

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Enter on a golden cross when flat; close the long on a death cross."""
        held = ctx.position(bar.symbol).qty
        if self._up[bar.symbol][bar.index] and held <= 0 and not ctx.open_orders(bar.symbol):
            ctx.submit(bar.symbol, Side.BUY, self._size(bar, ctx))
        elif self._down[bar.symbol][bar.index] and held > 0:
            ctx.submit(bar.symbol, Side.SELL, held)

    def _size(self, bar: Bar, ctx: StrategyContext) -> float:
        p: EmaCrossParams = self.params  # type: ignore[assignment]
        if p.order_size is not None:
            return p.order_size
        return ctx.equity() * p.stake_pct / 100.0 / bar.close
