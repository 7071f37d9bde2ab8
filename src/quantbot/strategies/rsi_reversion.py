"""``rsi_reversion``: the RSI mean-reversion template, long only.

Buy when the RSI leaves the oversold zone: it crosses up through ``oversold``
(``rsi[t-1] < oversold`` and ``rsi[t] > oversold``). Sell the whole position when the
bounce has run its course — the RSI crosses up through ``exit_level`` — or when it
failed — the RSI crosses back down through ``oversold``. Crosses are strict (see
:func:`~quantbot.indicators.crossover`: passing through equality is no cross),
evaluated at the close of candle t; the market order fills from the next candle's
open. A candle on which the RSI jumps from below ``oversold`` to above ``exit_level``
is an exit signal, not an entry. RSI is Wilder's (TA-Lib), seeded by its first
``period`` changes.

Sizing: a fixed ``order_size`` in base units when it is set, otherwise ``stake_pct``
percent of the strategy's equity at the decision (rounded down to the lot by the
pre-trade checks).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from quantbot.core import Side
from quantbot.indicators import crossover, crossunder, rsi
from quantbot.strategies.base import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)

__all__ = ["RsiReversion", "RsiReversionParams"]


class RsiReversionParams(StrategyParams):
    """Parameters of :class:`RsiReversion`."""

    period: int = Field(14, ge=2, description="RSI period, in candles.")
    oversold: float = Field(
        30.0, gt=0, lt=100, description="RSI level whose upward cross is the entry."
    )
    exit_level: float = Field(
        50.0, gt=0, lt=100, description="RSI level whose upward cross takes the profit."
    )
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
    def _coherent(self) -> RsiReversionParams:
        if self.oversold >= self.exit_level:
            raise ValueError(
                f"oversold {self.oversold:g} must be below exit_level {self.exit_level:g}"
            )
        return self


class RsiReversion(Strategy):
    """Long when the RSI leaves oversold, flat when it reaches the exit level or falls back."""

    name = "rsi_reversion"
    Params = RsiReversionParams

    @property
    def warmup_bars(self) -> int:
        """The first RSI value needs ``period`` changes, a cross one candle more."""
        return self.params.period + 1  # type: ignore[attr-defined,no-any-return]

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """RSI and the entry and exit masks per symbol; wake only on those candles."""
        self._enter: dict[str, np.ndarray] = {}
        self._leave: dict[str, np.ndarray] = {}
        masks = {}
        p: RsiReversionParams = self.params  # type: ignore[assignment]
        for symbol in self.symbols:
            strength = rsi(history.candles(symbol, self.timeframe).close, p.period)
            leave = crossover(strength, p.exit_level) | crossunder(strength, p.oversold)
            enter = crossover(strength, p.oversold) & ~leave
            self._enter[symbol], self._leave[symbol] = enter, leave
            masks[symbol] = enter | leave
        return masks

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Enter when flat on an entry candle; close the long on an exit candle."""
        held = ctx.position(bar.symbol).qty
        if self._leave[bar.symbol][bar.index] and held > 0:
            ctx.submit(bar.symbol, Side.SELL, held)
        elif self._enter[bar.symbol][bar.index] and held <= 0 and not ctx.open_orders(bar.symbol):
            ctx.submit(bar.symbol, Side.BUY, self._size(bar, ctx))

    def _size(self, bar: Bar, ctx: StrategyContext) -> float:
        p: RsiReversionParams = self.params  # type: ignore[assignment]
        if p.order_size is not None:
            return p.order_size
        return ctx.equity() * p.stake_pct / 100.0 / bar.close
