"""``donchian_breakout``: the Donchian channel breakout template, long only.

Buy when the close breaks above the highest high of the ``entry_period`` candles
*before* it (``close[t] > upper[t-1]``: the channel at t includes candle t itself, so
the comparison is with the channel one candle earlier). Sell the whole position when
the close breaks below the lowest low of the ``exit_period`` candles before it
(``close[t] < lower[t-1]``; half the entry period by default, the classic turtle
pair 20/10). Decided at the close of candle t; the market order fills from the next
candle's open.

Optional protective stop: with ``atr_stop`` set, each entry fill is protected by a
resting reduce-only stop sell ``atr_stop`` x ATR(``atr_period``) below the average
entry, with the ATR of the candle that decided the entry. The stop fills on the venue
(at its price, or at the open if the market gaps through it); the channel exit
cancels it.

Sizing: a fixed ``order_size`` in base units when it is set, otherwise ``stake_pct``
percent of the strategy's equity at the decision (rounded down to the lot by the
pre-trade checks).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from quantbot.core import Fill, Order, OrderType, Side
from quantbot.indicators import atr, donchian
from quantbot.strategies.base import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)

__all__ = ["DonchianBreakout", "DonchianBreakoutParams"]


class DonchianBreakoutParams(StrategyParams):
    """Parameters of :class:`DonchianBreakout`."""

    entry_period: int = Field(
        20, ge=2, description="Candles whose highest high a close must break to enter."
    )
    exit_period: int | None = Field(
        None,
        ge=2,
        description="Candles whose lowest low a close must break to exit; "
        "default half of entry_period (at least 2).",
    )
    atr_stop: float | None = Field(
        None,
        gt=0,
        description="Protective stop this many ATRs below the average entry; none when unset.",
    )
    atr_period: int = Field(14, ge=1, description="ATR period of the protective stop, in candles.")
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

    @property
    def exit_candles(self) -> int:
        """The exit channel's length: ``exit_period``, or half of ``entry_period``."""
        if self.exit_period is not None:
            return self.exit_period
        return max(self.entry_period // 2, 2)


def _previous(values: np.ndarray) -> np.ndarray:
    """``values`` one candle later: the value at t is ``values[t-1]`` (NaN at 0)."""
    shifted = np.full(len(values), np.nan)
    shifted[1:] = values[:-1]
    return shifted


class DonchianBreakout(Strategy):
    """Long on a close above the previous N-candle high, flat below the previous M-candle low."""

    name = "donchian_breakout"
    Params = DonchianBreakoutParams

    @property
    def warmup_bars(self) -> int:
        """Both channels of the previous candle, and the ATR when there is a stop, defined."""
        p: DonchianBreakoutParams = self.params  # type: ignore[assignment]
        return max(p.entry_period, p.exit_candles, p.atr_period if p.atr_stop else 0)

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """Channels, breakout masks and ATR per symbol; wake only on breakouts."""
        p: DonchianBreakoutParams = self.params  # type: ignore[assignment]
        self._enter: dict[str, np.ndarray] = {}
        self._leave: dict[str, np.ndarray] = {}
        self._atr: dict[str, np.ndarray] = {}
        masks = {}
        for symbol in self.symbols:
            candles = history.candles(symbol, self.timeframe)
            upper = donchian(candles.high, candles.low, p.entry_period).upper
            lower = donchian(candles.high, candles.low, p.exit_candles).lower
            enter = candles.close > _previous(upper)  # NaN compares False: no signal yet
            leave = candles.close < _previous(lower)
            self._enter[symbol], self._leave[symbol] = enter, leave
            self._atr[symbol] = atr(candles.high, candles.low, candles.close, p.atr_period)
            masks[symbol] = enter | leave
        return masks

    def on_start(self, ctx: StrategyContext) -> None:
        """No entry and no stop yet."""
        self._entry_atr: dict[str, float] = {}
        self._stop: dict[str, Order] = {}

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Enter when flat on a breakout; close the long (and drop its stop) on a breakdown."""
        symbol = bar.symbol
        held = ctx.position(symbol).qty
        if self._leave[symbol][bar.index] and held > 0:
            self._cancel_stop(symbol, ctx)
            ctx.submit(symbol, Side.SELL, held)
        elif self._enter[symbol][bar.index] and held <= 0 and not ctx.open_orders(symbol):
            self._entry_atr[symbol] = float(self._atr[symbol][bar.index])
            ctx.submit(symbol, Side.BUY, self._size(bar, ctx))

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Protect what the entry bought with a stop below the average entry."""
        p: DonchianBreakoutParams = self.params  # type: ignore[assignment]
        position = ctx.position(fill.symbol)
        if p.atr_stop is None or fill.side is not Side.BUY or position.qty <= 0:
            return
        # A partially filled entry grows the position: the stop follows it.
        self._cancel_stop(fill.symbol, ctx)
        stop = position.avg_entry_price - p.atr_stop * self._entry_atr[fill.symbol]
        order = ctx.submit(
            fill.symbol,
            Side.SELL,
            position.qty,
            order_type=OrderType.STOP,
            stop_price=stop,
            reduce_only=True,
            tag="atr_stop",
        )
        if order is not None:
            self._stop[fill.symbol] = order

    def _cancel_stop(self, symbol: str, ctx: StrategyContext) -> None:
        stop = self._stop.pop(symbol, None)
        if stop is not None and stop.is_open:
            ctx.cancel(stop.client_order_id)

    def _size(self, bar: Bar, ctx: StrategyContext) -> float:
        p: DonchianBreakoutParams = self.params  # type: ignore[assignment]
        if p.order_size is not None:
            return p.order_size
        return ctx.equity() * p.stake_pct / 100.0 / bar.close
