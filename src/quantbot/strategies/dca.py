"""``dca``: dollar-cost averaging with safety orders, long only.

A *deal* opens with a market **base order** worth ``base_order_usd`` (quote currency).
Everything after it rests on the venue, so its fill model decides the fills and the
engine skips the candles in between:

- **Safety orders.** One at a time, a limit buy rests below the average entry. The
  n-th (counting from 1) sits ``price_deviation_pct x step_scale**(n-1)`` percent
  below the average entry of the moment it is placed and buys
  ``safety_order_usd x volume_scale**(n-1)`` of quote. It is placed when the buy
  before it (the base order or safety order n-1) has completely filled, at most
  ``max_safety_orders`` per deal. A safety order the pre-trade checks refuse (not
  enough quote left) ends the averaging for that deal.
- **Take profit.** A limit sell of the whole position ``take_profit_pct`` above the
  average entry, re-placed whenever a buy fills (the average moved). While the risk
  manager's drawdown brakes are engaged the distance is multiplied by their
  take-profit factor (``ctx.take_profit_factor()``, 0.7 by default): a deal in a
  drawdown banks a smaller gain sooner. The trailing activation level keeps the full
  distance, so that a trailing exit never sells below the entry.
- **Stop-loss** (optional, ``stop_loss_pct``). A stop sell of the whole position that
  far below the average entry, re-placed with the take profit.
- **Trailing take profit** (optional, ``trailing_deviation_pct``). No take-profit
  limit then: once a candle's high reaches the take-profit level, the deal stops
  averaging down (its safety order and stop-loss are canceled) and a stop sell trails
  the highest high since by ``trailing_deviation_pct``, moved up at every candle that
  makes a new high; the pullback fills it. The venue has no trailing order type, so
  with trailing on the strategy is woken on every candle; the worst exit is about
  ``(1 + take_profit_pct) x (1 - trailing_deviation_pct)`` times the average entry.

Every exit is reduce-only. A deal ends when one of its exits has completely filled:
its other orders are canceled and anything it still holds (a safety order that filled
on the same candle as the exit) is sold at market. An exit order the pre-trade checks
refuse stops the strategy (:class:`ExitOrderRefused`) rather than leave a position
unprotected: on a spot account a take-profit and a stop-loss cannot rest on the same
coins until the engine supports one-cancels-the-other exits.

The next deal starts at the first candle close at least ``cooldown_minutes`` after the
previous deal ended (never on the candle it ended): at once by default, or, with
``start_rsi_below`` set, only at the close of a candle whose RSI(``rsi_period``) is
below that level. Each symbol runs its own deals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import Field, model_validator

from quantbot.core import Fill, Order, OrderState, OrderType, QuantbotError, Side
from quantbot.indicators import rsi
from quantbot.strategies.base import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)

__all__ = ["Dca", "DcaParams", "ExitOrderRefused"]

_MINUTE_MS = 60_000


class ExitOrderRefused(QuantbotError):
    """The pre-trade checks refused a deal's take-profit, stop-loss or trailing stop."""


class DcaParams(StrategyParams):
    """Parameters of :class:`Dca`."""

    base_order_usd: float = Field(
        100.0, gt=0, description="Size of each deal's market base order, in quote currency."
    )
    safety_order_usd: float = Field(
        100.0, gt=0, description="Size of the first safety order, in quote currency."
    )
    max_safety_orders: int = Field(4, ge=0, description="Safety orders per deal, at most.")
    price_deviation_pct: float = Field(
        1.0,
        gt=0,
        lt=100,
        description="How far below the average entry the first safety order rests, in %.",
    )
    step_scale: float = Field(
        1.5, gt=0, description="Each safety order's deviation is the previous one's times this."
    )
    volume_scale: float = Field(
        2.0, gt=0, description="Each safety order's size is the previous one's times this."
    )
    take_profit_pct: float = Field(
        1.0, gt=0, description="Take profit this far above the average entry, in %."
    )
    trailing_deviation_pct: float | None = Field(
        None,
        gt=0,
        description="Trail the take profit by this % below the highest high once the "
        "take-profit level is reached; a plain take-profit limit when unset.",
    )
    stop_loss_pct: float | None = Field(
        None,
        gt=0,
        lt=100,
        description="Close the deal this far below the average entry, in %; none when unset.",
    )
    cooldown_minutes: float = Field(
        0.0, ge=0, description="Minutes to wait after a deal ends before the next one starts."
    )
    start_rsi_below: float | None = Field(
        None,
        gt=0,
        lt=100,
        description="Start a deal only at a candle close whose RSI is below this; "
        "start at once when unset.",
    )
    rsi_period: int = Field(14, ge=2, description="RSI period of start_rsi_below, in candles.")

    @model_validator(mode="after")
    def _coherent(self) -> DcaParams:
        deepest = self.price_deviation_pct * self.step_scale ** max(self.max_safety_orders - 1, 0)
        if deepest >= 100:
            raise ValueError(
                f"safety order {self.max_safety_orders} would rest {deepest:g} % below the "
                "average entry; lower price_deviation_pct, step_scale or max_safety_orders"
            )
        trailing = self.trailing_deviation_pct
        if trailing is not None and trailing >= self.take_profit_pct:
            raise ValueError(
                f"trailing_deviation_pct {trailing:g} must be below take_profit_pct "
                f"{self.take_profit_pct:g}, or a trailing exit could sell below the entry"
            )
        return self


@dataclass(slots=True)
class _Deal:
    """One symbol's deal: its orders and how far it has got."""

    active: bool = False
    ready_ms: int = 0
    """Earliest candle close at which the next deal may start (while inactive)."""
    buys: list[Order] = field(default_factory=list)
    """The base order and every safety order placed, in order."""
    working_buy: Order | None = None
    """The buy the deal waits on before placing the next safety order."""
    safety_orders: int = 0
    exits_for: float = 0.0
    """Quantity bought when the exits were last placed: more bought means re-place."""
    take_profit: Order | None = None
    stop_loss: Order | None = None
    trailing_stop: Order | None = None
    peak: float = 0.0
    """Highest high since trailing began; 0 while it has not."""

    @property
    def bought(self) -> float:
        return sum(order.filled_qty for order in self.buys)

    @property
    def exits(self) -> tuple[Order | None, ...]:
        return (self.take_profit, self.stop_loss, self.trailing_stop)


class Dca(Strategy):
    """Average down with growing safety orders; sell the whole position above the average."""

    name = "dca"
    Params = DcaParams

    @property
    def warmup_bars(self) -> int:
        """The RSI of the start condition needs ``rsi_period`` changes; none otherwise."""
        p: DcaParams = self.params  # type: ignore[assignment]
        return p.rsi_period if p.start_rsi_below is not None else 0

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """Start-condition masks; wake on them, and on every candle when trailing is on."""
        p: DcaParams = self.params  # type: ignore[assignment]
        self._may_start: dict[str, np.ndarray] = {}
        masks = {}
        for symbol in self.symbols:
            close = history.candles(symbol, self.timeframe).close
            if p.start_rsi_below is None:
                may_start = np.ones(len(close), dtype=bool)
                wake = np.zeros(len(close), dtype=bool)  # deals start from timers
            else:
                may_start = rsi(close, p.rsi_period) < p.start_rsi_below
                wake = may_start.copy()
            if p.trailing_deviation_pct is not None:
                wake[:] = True
            self._may_start[symbol], masks[symbol] = may_start, wake
        return masks

    def on_start(self, ctx: StrategyContext) -> None:
        """No deal yet; without a start condition the first deals open at once."""
        p: DcaParams = self.params  # type: ignore[assignment]
        self._deals = {symbol: _Deal() for symbol in self.symbols}
        if p.start_rsi_below is None:
            for symbol in self.symbols:
                self._open_deal(symbol, ctx)

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Start a deal on a start candle; trail the take profit when that is on."""
        if self._deals[bar.symbol].active:
            self._trail(bar, ctx)
        elif self._may_start[bar.symbol][bar.index] and self._can_start(bar.symbol, ctx):
            self._open_deal(bar.symbol, ctx)

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        """The cooldown of the symbol ``name`` is over: start its next deal."""
        self._start_at_once(name, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Place the next safety order, re-place the exits, or end the deal."""
        self._sync(fill.symbol, ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        """A buy the venue ended early (balance at execution) counts as done."""
        self._sync(order.symbol, ctx)

    # -- the deal's state machine -----------------------------------------------------

    def _sync(self, symbol: str, ctx: StrategyContext) -> None:
        """Bring the deal's orders in line with its fills.

        The engine books every fill of a bar before the first callback, so this reads
        the orders' and the position's final state of the bar and may run several
        times per bar: a second run finds nothing left to do.
        """
        deal = self._deals[symbol]
        if not deal.active:
            self._start_at_once(symbol, ctx)  # a leftover sale just made it flat
            return
        if any(order is not None and order.state is OrderState.FILLED for order in deal.exits):
            self._close_deal(symbol, ctx)
            return
        position = ctx.position(symbol)
        if deal.working_buy is not None and deal.working_buy.is_terminal:
            deal.working_buy = None
            if position.qty <= 0:  # the base order bought nothing
                self._close_deal(symbol, ctx)
                return
            self._place_safety_order(symbol, ctx, deal, position.avg_entry_price)
        bought = deal.bought
        if position.qty > 0 and bought > deal.exits_for:
            deal.exits_for = bought
            self._place_exits(symbol, ctx, deal)

    def _open_deal(self, symbol: str, ctx: StrategyContext) -> None:
        p: DcaParams = self.params  # type: ignore[assignment]
        base = ctx.submit(symbol, Side.BUY, p.base_order_usd / ctx.last_price(symbol), tag="base")
        if base is None or base.state is OrderState.REJECTED:
            self._end(symbol, ctx)  # try again after the cooldown
            return
        self._deals[symbol] = _Deal(active=True, buys=[base], working_buy=base)

    def _place_safety_order(
        self, symbol: str, ctx: StrategyContext, deal: _Deal, average: float
    ) -> None:
        p: DcaParams = self.params  # type: ignore[assignment]
        if deal.safety_orders >= p.max_safety_orders or deal.peak > 0:
            return
        step = deal.safety_orders  # 0 for the first safety order
        price = average * (1.0 - p.price_deviation_pct * p.step_scale**step / 100.0)
        size = p.safety_order_usd * p.volume_scale**step
        deal.safety_orders += 1
        order = ctx.submit(
            symbol,
            Side.BUY,
            size / price,
            order_type=OrderType.LIMIT,
            price=price,
            tag=f"safety_{deal.safety_orders}",
        )
        if order is None or order.state is OrderState.REJECTED:
            deal.safety_orders = p.max_safety_orders
            return
        deal.buys.append(order)
        deal.working_buy = order

    def _place_exits(self, symbol: str, ctx: StrategyContext, deal: _Deal) -> None:
        """Cancel the deal's exits and place them for the whole position at its average."""
        p: DcaParams = self.params  # type: ignore[assignment]
        for order in deal.exits:
            if order is not None and order.is_open:
                ctx.cancel(order.client_order_id)
        deal.take_profit = deal.stop_loss = deal.trailing_stop = None
        position = ctx.position(symbol)
        qty, average = position.qty, position.avg_entry_price
        if deal.peak > 0:
            assert p.trailing_deviation_pct is not None
            trail = deal.peak * (1.0 - p.trailing_deviation_pct / 100.0)
            deal.trailing_stop = self._exit(ctx, symbol, qty, "trailing_stop", stop_price=trail)
            return
        if p.trailing_deviation_pct is None:
            target = average * (1.0 + p.take_profit_pct * ctx.take_profit_factor() / 100.0)
            deal.take_profit = self._exit(ctx, symbol, qty, "take_profit", price=target)
        if p.stop_loss_pct is not None:
            stop = average * (1.0 - p.stop_loss_pct / 100.0)
            deal.stop_loss = self._exit(ctx, symbol, qty, "stop_loss", stop_price=stop)

    def _exit(
        self,
        ctx: StrategyContext,
        symbol: str,
        qty: float,
        tag: str,
        *,
        price: float | None = None,
        stop_price: float | None = None,
    ) -> Order:
        """Submit a reduce-only sell: a limit at ``price`` or a stop at ``stop_price``.

        Raises:
            ExitOrderRefused: when the pre-trade checks refuse it.
        """
        order = ctx.submit(
            symbol,
            Side.SELL,
            qty,
            order_type=OrderType.LIMIT if price is not None else OrderType.STOP,
            price=price,
            stop_price=stop_price,
            reduce_only=True,
            tag=tag,
        )
        if order is None or order.state is OrderState.REJECTED:
            reason = order.history[-1].reason if order is not None else f"quantity {qty}"
            raise ExitOrderRefused(f"{tag} of {qty:g} {symbol} refused: {reason}")
        return order

    def _trail(self, bar: Bar, ctx: StrategyContext) -> None:
        """Start trailing at the take-profit level; move the stop up on new highs."""
        p: DcaParams = self.params  # type: ignore[assignment]
        deal = self._deals[bar.symbol]
        position = ctx.position(bar.symbol)
        if p.trailing_deviation_pct is None or position.qty <= 0:
            return
        if deal.peak == 0:
            if bar.high < position.avg_entry_price * (1.0 + p.take_profit_pct / 100.0):
                return
            # Taking profit now: no more averaging down, and the stop-loss is below.
            for order in (deal.working_buy, deal.stop_loss):
                if order is not None and order.is_open:
                    ctx.cancel(order.client_order_id)
            deal.working_buy = None
        if bar.high > deal.peak:
            deal.peak = bar.high
            self._place_exits(bar.symbol, ctx, deal)

    def _close_deal(self, symbol: str, ctx: StrategyContext) -> None:
        """End the deal: cancel what is left of it and sell what it still holds."""
        for order in ctx.open_orders(symbol):
            ctx.cancel(order.client_order_id)
        held = ctx.position(symbol).qty
        if held > 0:
            ctx.submit(symbol, Side.SELL, held, reduce_only=True, tag="leftover")
        self._end(symbol, ctx)

    def _end(self, symbol: str, ctx: StrategyContext) -> None:
        """No deal on ``symbol`` until the cooldown is over (at least the next candle)."""
        p: DcaParams = self.params  # type: ignore[assignment]
        ready_ms = ctx.now_ms + max(int(p.cooldown_minutes * _MINUTE_MS), 1)
        self._deals[symbol] = _Deal(ready_ms=ready_ms)
        if p.start_rsi_below is None:
            ctx.set_timer(ready_ms, symbol)

    def _start_at_once(self, symbol: str, ctx: StrategyContext) -> None:
        p: DcaParams = self.params  # type: ignore[assignment]
        if p.start_rsi_below is None and self._can_start(symbol, ctx):
            self._open_deal(symbol, ctx)

    def _can_start(self, symbol: str, ctx: StrategyContext) -> bool:
        deal = self._deals[symbol]
        return (
            not deal.active
            and ctx.now_ms >= deal.ready_ms
            and ctx.position(symbol).qty <= 0
            and not ctx.open_orders(symbol)
        )
