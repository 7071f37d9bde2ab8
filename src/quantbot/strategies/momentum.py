"""``momentum``: trend following on EMA crosses confirmed by RSI, volume, ADX, MACD and a higher timeframe.

At the close of each candle of its timeframe (1h by default) the strategy, per symbol:

- **flat** — enters when every rule of
  :func:`~quantbot.strategies.momentum_signals.entry_conditions` holds on the candle
  (EMA 9/21 cross in the trade's direction, RSI, volume surge, ADX, MACD histogram,
  the 4h EMA trend from closed 4h candles, 24 h quote volume, away from a funding
  settlement; shorts only on perpetuals), unless ``max_concurrent_positions`` trades
  are open or the pair is cooling down after a loss. The entry is a market order
  sized so that the initial stop risks ``risk_per_trade_pct`` of the strategy's
  equity (capped at ``max_position_pct`` of it, and on spot at the strategy's cash);
  it fills from the next bar's open. When several pairs signal on one candle, they
  are served in the order of ``symbols``.
- **in a trade** — exits with a market order on the opposite EMA cross
  (``signal_reversal``), on an RSI divergence against it (``rsi_divergence``) or once
  it has been open ``time_stop_hours`` without a close ever reaching
  ``time_stop_target_r`` (``time_stop``); otherwise trails its stop
  (:func:`~quantbot.strategies.momentum_trade.trail_stop`).

The stop is a reduce-only STOP order resting at the venue, placed when the entry
fills (R from the fill price) and replaced — cancel, then submit, so that a spot stop
never has the base it sells reserved twice — whenever it tightens by a tick; the
venue fills it within the bar (``trailing_stop``), and in a backtest its scan finds
the bar without waking the strategy. Between the entry fill and the stop's arrival
the position is unprotected: for a round trip live, for one base bar (plus latency)
in a backtest.

A loss (P&L after fees) blocks new entries on its pair for
``cooldown_after_loss_minutes`` from the close of the bar the exit filled on.

Every entry decision (taken, refused by the pre-trade checks, or held back by a rule)
and every exit is appended to :attr:`Momentum.decisions`
(:class:`~quantbot.strategies.momentum_trade.MomentumDecision`, one ``decisions`` row
each); every trade that filled is in :attr:`Momentum.trades` with its entry signals,
stops and exit reason.

Wakes: ``on_candle`` runs on every candle of the timeframe. A trade must be managed on
every candle it is open, and whether one is open depends on fills, which a wake mask
computed in ``precompute`` cannot know; a year of 1h candles is 8,760 calls per
symbol, which costs little next to building the candles.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from quantbot.core import (
    ClientOrderId,
    Fill,
    Order,
    OrderState,
    OrderType,
    Position,
    Side,
    is_risk_close,
    quantize_price,
)
from quantbot.data.symbols import is_perpetual
from quantbot.logs import LogEvent, log_event
from quantbot.strategies.base import Bar, MarketHistory, Strategy, StrategyContext, WakeMasks
from quantbot.strategies.momentum_params import MomentumParams
from quantbot.strategies.momentum_signals import (
    MomentumSignals,
    momentum_indicators,
    momentum_signals,
)
from quantbot.strategies.momentum_trade import (
    DecisionAction,
    ExitReason,
    MomentumDecision,
    MomentumTrade,
    trail_stop,
)

__all__ = ["Momentum"]

_log = logging.getLogger(__name__)

_HOUR_MS = 3_600_000
_MINUTE_MS = 60_000


class Momentum(Strategy):
    """Trend following with ATR trailing stops, at most a few positions at once.

    Args:
        params: the strategy's parameters.
        symbols: markets it trades (ccxt symbols; it shorts only perpetuals).
        timeframe: ignored: the strategy decides on ``params.timeframe`` whatever the
            data's timeframe (the engine builds those candles from the base ones).
        strategy_id: unique id of this instance in a run.

    Attributes:
        decisions: every entry and exit decision, in order.
        trades: every trade whose entry filled, open or closed, in order.
    """

    name = "momentum"
    Params: ClassVar[type[MomentumParams]] = MomentumParams
    params: MomentumParams

    def __init__(
        self,
        params: MomentumParams,
        *,
        symbols: Sequence[str],
        timeframe: str = "1h",
        strategy_id: str | None = None,
    ) -> None:
        super().__init__(params, symbols=symbols, timeframe=timeframe, strategy_id=strategy_id)
        self.timeframe = params.timeframe
        self.decisions: list[MomentumDecision] = []
        self.trades: list[MomentumTrade] = []
        self._open: dict[str, MomentumTrade] = {}
        self._cooldown_until: dict[str, int] = {}
        self._signals: Mapping[str, MomentumSignals] = {}

    @property
    def extra_timeframes(self) -> tuple[str, ...]:
        """The confirmation timeframe."""
        return (self.params.confirmation_timeframe,)

    @property
    def warmup_bars(self) -> int:
        """Candles before every indicator of the signal timeframe has a value.

        The confirmation trend and the 24 h volume become defined later on their own
        (an undefined value never satisfies an entry rule).
        """
        p = self.params
        return max(
            p.ema_slow + 1,
            p.rsi_period + 1,
            2 * p.adx_period,
            p.macd_slow + p.macd_signal,
            p.volume_period,
            p.atr_period + 1,
        )

    def open_trades(self) -> list[MomentumTrade]:
        """Trades decided and not yet flat (pending entries included)."""
        return list(self._open.values())

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Its trades (entry signals, exit reason, R) and every decision it took."""
        return {
            "trades": [
                {
                    "decided_ms": t.decided_ms,
                    "symbol": t.symbol,
                    "side": "long" if t.long else "short",
                    "opened_ms": t.opened_ms,
                    "entry_price": t.entry_price,
                    "qty": t.qty,
                    "risk_per_unit": t.risk_per_unit,
                    "best_r": t.best_r,
                    "exit_reason": t.exit_reason,
                    "closed_ms": t.closed_ms,
                    "exit_price": t.exit_price,
                    "pnl": t.pnl,
                    "entry_signals": dict(t.entry_signals),
                }
                for t in self.trades
            ],
            "decisions": [
                {
                    "ts_ms": d.ts_ms,
                    "symbol": d.symbol,
                    "signal": d.signal,
                    "reason": d.reason,
                    "action": d.action,
                    "client_order_id": d.client_order_id,
                    "indicators": dict(d.indicators),
                }
                for d in self.decisions
            ],
        }

    # -- the hooks ----------------------------------------------------------------------

    def precompute(self, history: MarketHistory) -> WakeMasks | None:
        """Signals of every symbol; on_candle runs on every candle (see the module docstring)."""
        self._signals = {symbol: self.signals_for(history, symbol) for symbol in self.symbols}
        return None

    def signals_for(self, history: MarketHistory, symbol: str) -> MomentumSignals:
        """The indicators, entry conditions and exit masks of one symbol."""
        p = self.params
        values = momentum_indicators(
            history.candles(symbol, p.timeframe),
            history.candles(symbol, p.confirmation_timeframe),
            history.align(symbol, p.confirmation_timeframe, p.timeframe),
            p,
        )
        return momentum_signals(values, p, shorts_allowed=is_perpetual(symbol))

    def on_start(self, ctx: StrategyContext) -> None:
        """Start from a clean slate: no trades, decisions or cooldowns."""
        self.decisions.clear()
        self.trades.clear()
        self._open.clear()
        self._cooldown_until.clear()

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Look for an entry when flat, manage the trade when in one."""
        trade = self._open.get(bar.symbol)
        if trade is None:
            self._consider_entry(bar, ctx)
        elif trade.opened_ms is not None and trade.exit_order is None:
            self._manage(trade, bar, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Protect a new position with its stop; close the trade when the position is flat."""
        trade = self._open.get(fill.symbol)
        if trade is None:
            return
        position = ctx.position(fill.symbol)
        if fill.client_order_id == trade.entry_order:
            self._entry_filled(trade, fill, position, ctx)
            return
        trade.add_exit_fill(fill.qty, fill.price)
        if trade.exit_reason is None:
            reason = None
            if fill.client_order_id == trade.stop_order:
                reason = ExitReason.TRAILING_STOP
            elif is_risk_close(fill.client_order_id):
                reason = ExitReason.CIRCUIT_BREAKER
            if reason is not None:
                trade.exit_reason = reason
                self._decide(
                    ctx,
                    fill.symbol,
                    _exit_signal(trade),
                    reason=reason,
                    indicators={"stop": trade.stop, "best_r": trade.best_r},
                    action=DecisionAction.EXECUTED,
                    client_order_id=fill.client_order_id,
                )
        if position.is_flat:
            self._close(trade, fill, position, ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        """Forget an entry the venue ended before any of it filled."""
        trade = self._open.get(order.symbol)
        if (
            trade is not None
            and order.client_order_id == trade.entry_order
            and trade.opened_ms is None
        ):
            del self._open[order.symbol]

    # -- entries ------------------------------------------------------------------------

    def _consider_entry(self, bar: Bar, ctx: StrategyContext) -> None:
        signals = self._signals[bar.symbol]
        k = bar.index
        if signals.enter_long[k]:
            side = Side.BUY
        elif signals.enter_short[k]:
            side = Side.SELL
        else:
            return
        long = side is Side.BUY
        record = signals.entry_record(k, long=long)
        signal = "enter_long" if long else "enter_short"
        risk_per_unit = self.params.trailing_stop_atr_multiplier * float(signals.indicators.atr[k])
        qty = self._size(bar.symbol, bar.close, risk_per_unit, ctx)
        held = self._held_back(bar.symbol, ctx.now_ms, qty)
        if held is not None:
            self._decide(
                ctx, bar.symbol, signal, reason=held, indicators=record, action=DecisionAction.HELD
            )
            return
        order = ctx.submit(bar.symbol, side, qty, tag="entry")
        if order is None or order.state is OrderState.REJECTED:
            self._decide(
                ctx,
                bar.symbol,
                signal,
                reason=_refusal(order),
                indicators=record,
                action=DecisionAction.REJECTED,
            )
            return
        position = ctx.position(bar.symbol)
        self._open[bar.symbol] = MomentumTrade(
            symbol=bar.symbol,
            side=side,
            decided_ms=ctx.now_ms,
            entry_signals=record,
            risk_per_unit=risk_per_unit,
            entry_order=order.client_order_id,
            baseline=(position.realized_pnl, position.fees_paid, position.funding_net),
        )
        self._decide(
            ctx,
            bar.symbol,
            signal,
            reason="entry",
            indicators=record,
            action=DecisionAction.EXECUTED,
            client_order_id=order.client_order_id,
        )

    def _held_back(self, symbol: str, now_ms: int, qty: float) -> str | None:
        """Why a standing entry signal is not taken, or None to take it."""
        p = self.params
        if len(self._open) >= p.max_concurrent_positions:
            return f"max_concurrent_positions {p.max_concurrent_positions} reached"
        until = self._cooldown_until.get(symbol)
        if until is not None and now_ms < until:
            return f"cooldown_after_loss_minutes: pair blocked until {until} ms"
        if not qty > 0:
            return f"size {qty:g}: no equity or cash to risk"
        return None

    def _size(self, symbol: str, price: float, risk_per_unit: float, ctx: StrategyContext) -> float:
        """Quantity whose loss at the initial stop is ``risk_per_trade_pct`` of equity.

        Cut to ``max_position_pct`` of equity and, on spot (which cannot borrow), to
        the strategy's cash. Zero when nothing can be risked or the ATR is unknown.
        """
        p = self.params
        instrument = ctx.instrument(symbol)
        equity = ctx.equity()
        budget = equity * p.max_position_pct / 100.0
        if not instrument.is_perpetual:
            budget = min(budget, self._spot_cash(ctx, equity))
        base_qty = min(equity * p.risk_per_trade_pct / 100.0 / risk_per_unit, budget / price)
        qty = base_qty / instrument.contract_size
        return qty if math.isfinite(qty) and qty > 0 else 0.0

    def _spot_cash(self, ctx: StrategyContext, equity: float) -> float:
        """Equity less what the strategy holds, or has ordered, on its spot markets."""
        committed = 0.0
        for symbol in self.symbols:
            if ctx.instrument(symbol).is_perpetual:
                continue
            ordered = sum(o.remaining_qty for o in ctx.open_orders(symbol) if not o.reduce_only)
            committed += (abs(ctx.position(symbol).qty) + ordered) * ctx.last_price(symbol)
        return equity - committed

    def _entry_filled(
        self, trade: MomentumTrade, fill: Fill, position: Position, ctx: StrategyContext
    ) -> None:
        if trade.opened_ms is None:
            trade.opened_ms = fill.ts_ms
            offset = trade.risk_per_unit if trade.long else -trade.risk_per_unit
            trade.stop = fill.price - offset
            self.trades.append(trade)
        trade.entry_price = position.avg_entry_price
        trade.qty = max(trade.qty, abs(position.qty))
        if trade.exit_order is None:
            self._place_stop(trade, ctx)

    # -- managing a trade ---------------------------------------------------------------

    def _manage(self, trade: MomentumTrade, bar: Bar, ctx: StrategyContext) -> None:
        p = self.params
        signals = self._signals[bar.symbol]
        k = bar.index
        trade.best_r = max(trade.best_r, trade.profit_r(bar.close))
        reason = self._exit_reason(trade, signals, k, ctx.now_ms)
        if reason is not None:
            self._exit(trade, reason, bar, ctx)
            return
        trade.stop = trail_stop(
            trade.stop,
            long=trade.long,
            close=bar.close,
            atr=float(signals.indicators.atr[k]),
            best_r=trade.best_r,
            initial_atr=p.trailing_stop_atr_multiplier,
            tightening=p.stop_tightening,
        )
        self._place_stop(trade, ctx)

    def _exit_reason(
        self, trade: MomentumTrade, signals: MomentumSignals, k: int, now_ms: int
    ) -> ExitReason | None:
        p = self.params
        reversed_ = signals.cross_down if trade.long else signals.cross_up
        if reversed_[k]:
            return ExitReason.SIGNAL_REVERSAL
        diverged = signals.bearish_divergence if trade.long else signals.bullish_divergence
        if diverged[k]:
            return ExitReason.RSI_DIVERGENCE
        assert trade.opened_ms is not None  # managed only once the entry filled
        if (
            now_ms - trade.opened_ms >= p.time_stop_hours * _HOUR_MS
            and trade.best_r < p.time_stop_target_r
        ):
            return ExitReason.TIME_STOP
        return None

    def _exit(
        self, trade: MomentumTrade, reason: ExitReason, bar: Bar, ctx: StrategyContext
    ) -> None:
        """Close at market: cancel the stop first, so that its reserve is free for the sale."""
        resting = self._resting_stop(trade, ctx)
        if resting is not None:
            ctx.cancel(resting.client_order_id)
            trade.stop_order = None
        side = Side.SELL if trade.long else Side.BUY
        qty = abs(ctx.position(bar.symbol).qty)
        order = ctx.submit(bar.symbol, side, qty, reduce_only=True, tag=str(reason))
        facts = {"close": bar.close, "stop": trade.stop, "best_r": trade.best_r}
        if order is None or order.state is OrderState.REJECTED:
            self._decide(
                ctx,
                bar.symbol,
                _exit_signal(trade),
                reason=reason,
                indicators=facts,
                action=DecisionAction.REJECTED,
            )
            self._place_stop(trade, ctx)  # still in the trade: stay protected
            return
        trade.exit_order = order.client_order_id
        trade.exit_reason = reason
        self._decide(
            ctx,
            bar.symbol,
            _exit_signal(trade),
            reason=reason,
            indicators=facts,
            action=DecisionAction.EXECUTED,
            client_order_id=order.client_order_id,
        )

    def _place_stop(self, trade: MomentumTrade, ctx: StrategyContext) -> None:
        """Make the resting stop match ``trade.stop`` and the position (cancel, then replace).

        The level is rounded to the tick the way the pre-trade check rounds stops (a
        sell stop down, a buy stop up), so a move smaller than a tick changes nothing.
        A long whose stop would be at or below zero (R larger than the price) gets none
        until the trail lifts it: it cannot lose more than R per unit anyway.
        """
        if not trade.stop > 0:
            return
        symbol = trade.symbol
        stop = quantize_price(trade.stop, ctx.instrument(symbol).tick_size, round_up=not trade.long)
        qty = abs(ctx.position(symbol).qty)
        resting = self._resting_stop(trade, ctx)
        if resting is not None:
            if resting.stop_price == stop and resting.remaining_qty == qty:
                return
            ctx.cancel(resting.client_order_id)
            trade.stop_order = None
        side = Side.SELL if trade.long else Side.BUY
        order = ctx.submit(
            symbol,
            side,
            qty,
            order_type=OrderType.STOP,
            stop_price=stop,
            reduce_only=True,
            tag="stop",
        )
        if order is not None and order.state is not OrderState.REJECTED:
            trade.stop_order = order.client_order_id
            assert order.stop_price is not None
            trade.stops.append((ctx.now_ms, order.stop_price))

    def _resting_stop(self, trade: MomentumTrade, ctx: StrategyContext) -> Order | None:
        if trade.stop_order is None:
            return None
        for order in ctx.open_orders(trade.symbol):
            if order.client_order_id == trade.stop_order:
                return order
        return None

    def _close(
        self, trade: MomentumTrade, fill: Fill, position: Position, ctx: StrategyContext
    ) -> None:
        """The position is flat: book the trade's P&L, start a cooldown after a loss."""
        realized, fees, funding = trade.baseline
        trade.closed_ms = fill.ts_ms
        trade.pnl = (
            (position.realized_pnl - realized)
            - (position.fees_paid - fees)
            + (position.funding_net - funding)
        )
        if trade.pnl < 0:
            self._cooldown_until[trade.symbol] = (
                ctx.now_ms + self.params.cooldown_after_loss_minutes * _MINUTE_MS
            )
        # Whatever is left (an entry remainder, a stop the venue has not ended yet)
        # belongs to a trade that is over.
        for order in ctx.open_orders(trade.symbol):
            ctx.cancel(order.client_order_id)
        del self._open[trade.symbol]
        log_event(
            _log,
            LogEvent.TRADE_CLOSED,
            "%s %s closed: %s, pnl %.2f",
            trade.symbol,
            "long" if trade.long else "short",
            trade.exit_reason,
            trade.pnl,
            level=logging.DEBUG,
            strategy=self.strategy_id,
            pair=trade.symbol,
            exit_reason=str(trade.exit_reason),
        )

    def _decide(
        self,
        ctx: StrategyContext,
        symbol: str,
        signal: str,
        *,
        reason: str,
        indicators: Mapping[str, object],
        action: DecisionAction,
        client_order_id: ClientOrderId | None = None,
    ) -> None:
        self.decisions.append(
            MomentumDecision(
                ctx.now_ms, symbol, signal, str(reason), dict(indicators), action, client_order_id
            )
        )


def _exit_signal(trade: MomentumTrade) -> str:
    return "exit_long" if trade.long else "exit_short"


def _refusal(order: Order | None) -> str:
    """The pre-trade checks' reason for refusing an order."""
    if order is None:
        return "quantity is not a positive number"
    return order.history[-1].reason
