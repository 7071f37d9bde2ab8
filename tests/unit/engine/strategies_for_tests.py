"""Strategies that exist only for the engine tests (never in src).

- :class:`Scripted` runs given actions on given candles and records every hook call;
- :class:`LimitLadder` keeps resting limit orders below and above the price and
  re-places them on fills, like a small grid;
- :class:`MixedOrders` places a seeded mix of every order type and time in force;
- :class:`Recorded` wraps any strategy and records its decisions and positions, so
  properties can be checked on the registered strategies unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from quantbot.core import Fill, Order, OrderType, Side, TimeInForce
from quantbot.strategies import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)

from factories import SYMBOL

Call = tuple[str, int, Any]
"""(hook, ctx.now_ms, what the hook received)"""


class NoParams(StrategyParams):
    """Parameters of strategies driven by code rather than parameters."""


class Scripted(Strategy):
    """Runs ``actions[candle index]`` in ``on_candle`` and records every hook call.

    Args:
        actions: per candle index, a function of (this strategy, bar, ctx).
        wake: candle indices to be called on; None for every candle.
        on_start: run in ``on_start`` with (this strategy, ctx).
        on_fill: run in ``on_fill`` with (this strategy, fill, ctx).
    """

    name = "scripted"
    Params = NoParams

    def __init__(
        self,
        actions: Mapping[int, Callable[[Scripted, Bar, StrategyContext], None]] | None = None,
        *,
        symbols: Sequence[str] = (SYMBOL,),
        timeframe: str = "1m",
        strategy_id: str = "scripted",
        wake: Sequence[int] | None = None,
        on_start: Callable[[Scripted, StrategyContext], None] | None = None,
        on_fill: Callable[[Scripted, Fill, StrategyContext], None] | None = None,
    ) -> None:
        super().__init__(NoParams(), symbols=symbols, timeframe=timeframe, strategy_id=strategy_id)
        self.actions = dict(actions or {})
        self.wake = wake
        self.start_action = on_start
        self.fill_action = on_fill
        self.calls: list[Call] = []
        self.orders: list[Order] = []
        self.history: MarketHistory | None = None

    def place(self, ctx: StrategyContext, *args: Any, **kwargs: Any) -> Order:
        """``ctx.submit`` that keeps the order for the test to inspect."""
        order = ctx.submit(*args, **kwargs)
        self.orders.append(order)
        return order

    def hooks(self, *names: str) -> list[Call]:
        return [c for c in self.calls if c[0] in names]

    def precompute(self, history: MarketHistory) -> WakeMasks | None:
        self.history = history
        if self.wake is None:
            return None
        masks = {}
        for symbol in self.symbols:
            mask = np.zeros(len(history.candles(symbol, self.timeframe)), dtype=bool)
            mask[list(self.wake)] = True
            masks[symbol] = mask
        return masks

    def on_start(self, ctx: StrategyContext) -> None:
        self.calls.append(("start", ctx.now_ms, None))
        if self.start_action is not None:
            self.start_action(self, ctx)

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        self.calls.append(("candle", ctx.now_ms, bar))
        action = self.actions.get(bar.index)
        if action is not None:
            action(self, bar, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        self.calls.append(("fill", ctx.now_ms, fill))
        if self.fill_action is not None:
            self.fill_action(self, fill, ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        self.calls.append(("update", ctx.now_ms, (order.client_order_id, order.state)))

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        self.calls.append(("timer", ctx.now_ms, name))

    def on_stop(self, ctx: StrategyContext) -> None:
        self.calls.append(("stop", ctx.now_ms, None))


class LimitLadderParams(StrategyParams):
    """Parameters of :class:`LimitLadder`."""

    levels: int = Field(3, ge=1)
    spacing_pct: float = Field(0.15, gt=0)
    qty: float = Field(0.01, gt=0)
    recenter_every: int = Field(180, ge=1)


class LimitLadder(Strategy):
    """A small grid: buy limits below the price, a sell limit above each bought level.

    Every ``recenter_every`` candles it cancels its orders and lays the ladder again
    around the close; each buy fill places a sell one step above it, each sell fill a
    buy one step below. Only resting limit orders, so the venue's scan decides when
    anything happens between two recentres.
    """

    name = "limit_ladder"
    Params = LimitLadderParams

    def precompute(self, history: MarketHistory) -> WakeMasks:
        p: LimitLadderParams = self.params  # type: ignore[assignment]
        return {
            s: np.arange(len(history.candles(s, self.timeframe))) % p.recenter_every == 0
            for s in self.symbols
        }

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        p: LimitLadderParams = self.params  # type: ignore[assignment]
        step = p.spacing_pct / 100
        for order in ctx.open_orders(bar.symbol):
            ctx.cancel(order.client_order_id)
        for level in range(1, p.levels + 1):
            price = bar.close * (1 - level * step)
            ctx.submit(bar.symbol, Side.BUY, p.qty, order_type=OrderType.LIMIT, price=price)
        held = ctx.position(bar.symbol).qty
        if held > 0:
            price = bar.close * (1 + step)
            ctx.submit(bar.symbol, Side.SELL, held, order_type=OrderType.LIMIT, price=price)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        p: LimitLadderParams = self.params  # type: ignore[assignment]
        step = p.spacing_pct / 100
        if fill.side is Side.BUY:
            price, side = fill.price * (1 + step), Side.SELL
        else:
            price, side = fill.price * (1 - step), Side.BUY
        ctx.submit(fill.symbol, side, fill.qty, order_type=OrderType.LIMIT, price=price)


class MixedOrdersParams(StrategyParams):
    """Parameters of :class:`MixedOrders`."""

    seed: int = 0
    every: int = Field(5, ge=1)
    qty: float = Field(0.02, gt=0)
    max_open: int = Field(8, ge=1)


class MixedOrders(Strategy):
    """Every ``every`` candles, one order of a seeded random kind near the price.

    Kinds: market, resting and marketable limits, IOC, FOK, post-only, stops and
    stop-limits (limit beyond or inside the stop), reduce-only sells; sometimes it
    cancels an open order. Each buy fill gets a reduce-only stop and target for half of
    it. The random draw depends only on the seed and the candle index, so decisions up
    to a candle depend only on the data up to it.
    """

    name = "mixed_orders"
    Params = MixedOrdersParams

    def precompute(self, history: MarketHistory) -> WakeMasks:
        p: MixedOrdersParams = self.params  # type: ignore[assignment]
        return {
            s: np.arange(len(history.candles(s, self.timeframe))) % p.every == 0
            for s in self.symbols
        }

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        p: MixedOrdersParams = self.params  # type: ignore[assignment]
        rng = np.random.default_rng([p.seed, bar.index, self.symbols.index(bar.symbol)])
        open_orders = ctx.open_orders(bar.symbol)
        if open_orders and rng.random() < 0.3:
            ctx.cancel(open_orders[int(rng.integers(len(open_orders)))].client_order_id)
        if len(open_orders) >= p.max_open:
            return
        held = ctx.position(bar.symbol).qty
        buy = held <= 0 or rng.random() < 0.6
        side = Side.BUY if buy else Side.SELL
        qty = p.qty * float(rng.uniform(0.5, 2.0))
        offset = float(rng.uniform(0.0005, 0.004))
        away = bar.close * (1 - offset if buy else 1 + offset)
        toward = bar.close * (1 + offset if buy else 1 - offset)
        kind = int(rng.integers(9))
        submit = ctx.submit
        if kind == 0:
            submit(bar.symbol, side, qty)
        elif kind == 1:
            submit(bar.symbol, side, qty, order_type=OrderType.LIMIT, price=away)
        elif kind in (2, 3):
            tif = TimeInForce.IOC if kind == 2 else TimeInForce.FOK
            submit(
                bar.symbol, side, qty, order_type=OrderType.LIMIT, price=toward, time_in_force=tif
            )
        elif kind == 4:
            price = away if rng.random() < 0.5 else toward
            submit(
                bar.symbol,
                side,
                qty,
                order_type=OrderType.LIMIT,
                price=price,
                time_in_force=TimeInForce.POST_ONLY,
            )
        elif kind == 5:
            submit(bar.symbol, side, qty, order_type=OrderType.STOP, stop_price=toward)
        elif kind == 6:
            beyond = rng.random() < 0.5
            shift = offset / 2 if beyond else -offset / 2
            limit = toward * (1 + shift if buy else 1 - shift)
            submit(
                bar.symbol,
                side,
                qty,
                order_type=OrderType.STOP_LIMIT,
                price=limit,
                stop_price=toward,
            )
        elif kind == 7:
            submit(bar.symbol, side, qty, order_type=OrderType.LIMIT, price=toward)
        elif held > 0:
            submit(bar.symbol, Side.SELL, held * 2, reduce_only=True)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        if fill.side is not Side.BUY:
            return
        half = fill.qty / 2
        ctx.submit(
            fill.symbol,
            Side.SELL,
            half,
            order_type=OrderType.STOP,
            stop_price=fill.price * 0.997,
            reduce_only=True,
        )
        ctx.submit(
            fill.symbol,
            Side.SELL,
            half,
            order_type=OrderType.LIMIT,
            price=fill.price * 1.003,
            reduce_only=True,
        )


class Recorded(Strategy):
    """Runs another strategy unchanged and records what it decided and held, and when.

    ``decisions`` lists every hook call and every submit and cancel the inner strategy
    made, with ``ctx.now_ms``; ``orders`` every order it got back; ``positions`` its
    position in each symbol whenever it was called: (hook, now_ms, symbol, qty).
    """

    name = "recorded"
    Params = StrategyParams

    def __init__(self, inner: Strategy) -> None:
        super().__init__(
            inner.params,
            symbols=inner.symbols,
            timeframe=inner.timeframe,
            strategy_id=inner.strategy_id,
        )
        self.inner = inner
        self.decisions: list[tuple[Any, ...]] = []
        self.orders: list[Order] = []
        self.positions: list[tuple[str, int, str, float]] = []

    @property
    def warmup_bars(self) -> int:
        return self.inner.warmup_bars

    @property
    def extra_timeframes(self) -> tuple[str, ...]:
        return self.inner.extra_timeframes

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def precompute(self, history: MarketHistory) -> WakeMasks | None:
        return self.inner.precompute(history)

    def _enter(self, hook: str, ctx: StrategyContext, detail: Any) -> StrategyContext:
        self.decisions.append((hook, ctx.now_ms, detail))
        for symbol in self.symbols:
            self.positions.append((hook, ctx.now_ms, symbol, ctx.position(symbol).qty))
        return _RecordingContext(ctx, self)  # type: ignore[return-value]

    def on_start(self, ctx: StrategyContext) -> None:
        self.inner.on_start(self._enter("on_start", ctx, None))

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        self.inner.on_candle(bar, self._enter("on_candle", ctx, (bar.symbol, bar.index)))

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        detail = (fill.client_order_id, fill.qty, fill.price)
        self.inner.on_fill(fill, self._enter("on_fill", ctx, detail))

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        detail = (order.client_order_id, order.state)
        self.inner.on_order_update(order, self._enter("on_order_update", ctx, detail))

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        self.inner.on_timer(name, self._enter("on_timer", ctx, name))

    def on_stop(self, ctx: StrategyContext) -> None:
        self.inner.on_stop(self._enter("on_stop", ctx, None))


class _RecordingContext:
    """A strategy context that logs submits and cancels into a :class:`Recorded`."""

    def __init__(self, ctx: StrategyContext, owner: Recorded) -> None:
        self._ctx = ctx
        self._owner = owner

    @property
    def now_ms(self) -> int:
        return self._ctx.now_ms

    def submit(self, *args: Any, **kwargs: Any) -> Order:
        order = self._ctx.submit(*args, **kwargs)
        self._owner.orders.append(order)
        self._owner.decisions.append(
            (
                "submit",
                self._ctx.now_ms,
                args,
                sorted(kwargs.items()),
                order.client_order_id,
                order.state,
                order.qty,
                order.price,
                order.stop_price,
            )
        )
        return order

    def cancel(self, client_order_id: Any) -> None:
        self._owner.decisions.append(("cancel", self._ctx.now_ms, client_order_id))
        self._ctx.cancel(client_order_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)
