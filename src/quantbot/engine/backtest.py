"""The event engine, backtest assembly: strategies, pre-trade chain, simulated venue, ledger.

One loop over one clock. Each step is a bar ``i`` of the base timeline, processed in
this order:

1. perpetual positions held into bar ``i`` that the bar's mark prices liquidate are
   closed by the venue (:mod:`quantbot.venues.simulated.margin`), their open orders
   canceled (the symbol's when isolated, every perpetual's when cross): a liquidation
   comes before any order of the bar fills, so it wins over a stop in the same bar;
2. the venue fills what bar ``i`` fills (orders decided earlier); the engine applies
   each execution to the order (state machine), the account and the strategy's book;
   when fills changed positions or the wallet, the bar's marks are checked again;
3. funding settlements falling at the close of bar ``i`` are booked
   (:mod:`quantbot.engine.funding`);
4. the strategies hear of the bar's executions and ended orders (``on_fill`` /
   ``on_order_update``, liquidations first), all booked before the first callback;
5. strategies whose candle closed at the end of bar ``i`` with a wake are called
   (``on_candle``), symbol by symbol, strategy by strategy; orders they submit pass the
   pre-trade check chain and reach the venue for bar ``i + 1`` at the earliest;
6. timers due by the close of bar ``i`` fire.

With a risk manager (``BacktestConfig.risk``, :mod:`quantbot.engine.risk_manager`), its
rules join the pre-trade chain, and between steps 3 and 4 it observes the account's
equity and carries out what its breakers decide: cancel orders (the strategies hear of
them in step 4 like of any ended order), close positions at market with reduce-only
orders attributed to the strategies that held them (filled from the next open), stop
every strategy on a shutdown.

The fast path (DESIGN.md, "How one event engine stays fast"): the loop visits only
bars where something can happen — a strategy wake, an order arrival, a bar whose range
reaches a resting order (the venue's compiled scan), a bar whose marks reach a
liquidation (the margin engine's compiled scan), a funding settlement, a timer — and
fills in the equity of the bars in between vectorised at the end
(:mod:`quantbot.engine.equity`); the risk manager adds the bars where an observation
can change a breaker or brake, found by a compiled scan of the equity path.
``skip_idle_bars=False`` visits every bar; both give identical fills and risk events
(tested).
"""

from __future__ import annotations

import gc
import heapq
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from quantbot.core import (
    RISK_CLOSE_PREFIX,
    ClientOrderId,
    Fill,
    LiquiditySide,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRequested,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderState,
    OrderType,
    Side,
    StrategyId,
    TradeId,
    VenueOrderId,
    check_rejection_reason,
    make_client_order_id,
)
from quantbot.data.resample import timeframe_ms
from quantbot.engine.attribution import StrategyBook
from quantbot.engine.backtest_context import BacktestContext, ChainState
from quantbot.engine.backtest_setup import BacktestConfig, BacktestData
from quantbot.engine.funding import FundingSchedule
from quantbot.engine.history import CandleHistory
from quantbot.engine.ledger import Ledger
from quantbot.engine.results import BacktestResult, risk_events_frame
from quantbot.engine.risk_manager import ClosedPosition, RiskManager, describe_risk_setup
from quantbot.engine.trades import build_trades
from quantbot.engine.watches import PriceWatches
from quantbot.logs import LogEvent, log_event
from quantbot.risk import BreakerPolicy, CheckChain, OrderIntent, venue_rule_checks
from quantbot.strategies.base import Bar, Strategy
from quantbot.strategies.errors import StrategyError
from quantbot.venues.simulated import Liquidation, SimulatedVenue, VenueCancel, VenueFill

__all__ = ["RISK_CLOSE_PREFIX", "BacktestConfig", "BacktestData", "run_backtest"]
"""Client order ids of the orders the risk manager sends to close positions start so."""

_log = logging.getLogger(__name__)

_REJECTION_DTYPES = {
    "ts_ms": "int64",
    "strategy": "object",
    "symbol": "object",
    "side": "object",
    "qty": "float64",
    "check": "object",
    "reason": "object",
}

_ALLOCATIONS_PER_COLLECTION = 10_000

Progress = Callable[[int, int], None]
"""Progress callback: (bars covered so far, bars in all)."""


def run_backtest(
    data: BacktestData,
    strategies: Sequence[Strategy],
    config: BacktestConfig | None = None,
    *,
    chain: CheckChain | None = None,
    run_id: str = "backtest",
    progress: Progress | None = None,
) -> BacktestResult:
    """Run ``strategies`` over ``data`` and return every fill, trade and equity curve.

    Args:
        data: candles and instruments.
        strategies: the strategies, each with a unique ``strategy_id``.
        config: capital, fill model, fast path, risk manager.
        chain: the pre-trade check chain; the venue rules by default. With
            ``config.risk`` the risk manager's rules are appended to it.
        run_id: identifier written into the result.
        progress: optional progress callback.

    Raises:
        ValueError: on inconsistent inputs (duplicate strategy ids, symbols a strategy
            trades that the data lacks, a symbol quoted in another currency, a strategy
            whose ``breaker_policy`` is not a :class:`~quantbot.risk.BreakerPolicy`).
    """
    engine = _Engine(
        data, strategies, config or BacktestConfig(), chain or CheckChain(venue_rule_checks())
    )
    threshold = gc.get_threshold()
    # Every order leaves a few small objects and hardly any reference cycle, yet
    # CPython's default (a young-generation collection every 700 allocations) keeps the
    # collector busy: a measurable share of ema_cross's year (bench/backtest_speed.py
    # before and after this line).
    gc.set_threshold(_ALLOCATIONS_PER_COLLECTION, *threshold[1:])
    try:
        return engine.run(run_id, progress)
    finally:
        gc.set_threshold(*threshold)
        engine.close()


@dataclass(slots=True)
class _Strategy:
    """A strategy in the run: the object, its book, context and state."""

    strategy: Strategy
    book: StrategyBook
    context: BacktestContext
    halted: bool = False


def _breaker_policy(strategy: Strategy) -> BreakerPolicy:
    """The strategy's ``breaker_policy`` as a :class:`~quantbot.risk.BreakerPolicy`."""
    try:
        return BreakerPolicy(strategy.breaker_policy)
    except ValueError:
        raise ValueError(
            f"strategy {strategy.strategy_id}: breaker_policy {strategy.breaker_policy!r}, "
            f"must be one of {', '.join(p.value for p in BreakerPolicy)}"
        ) from None


class _Engine:
    def __init__(
        self,
        data: BacktestData,
        strategies: Sequence[Strategy],
        config: BacktestConfig,
        chain: CheckChain,
    ) -> None:
        ids = [s.strategy_id for s in strategies]
        if len(set(ids)) != len(ids):
            raise ValueError(f"strategy ids must be unique: {ids}")
        for strategy in strategies:
            missing = set(strategy.symbols) - set(data.arrays)
            if missing:
                raise ValueError(
                    f"strategy {strategy.strategy_id} trades {sorted(missing)}, not in the data"
                )
        for symbol, instrument in data.instruments.items():
            if symbol in data.arrays and instrument.quote != config.quote_currency:
                raise ValueError(
                    f"{symbol} is quoted in {instrument.quote}, the account in {config.quote_currency}"
                )
        self.data = data
        self.config = config
        self.chain = chain
        self.ts = data.ts_ms
        self.period_ms = timeframe_ms(data.timeframe)
        self.symbols = list(data.arrays)
        self.closes = {s: data.arrays[s].close for s in self.symbols}
        self.instruments = data.instruments
        self.perpetuals = [s for s in self.symbols if data.instruments[s].is_perpetual]
        self.marks = {s: data.mark_arrays(s) for s in self.perpetuals}
        # Perpetuals are valued at the mark, spot holdings at the close.
        self.valuation = {
            s: self.marks[s].close if s in self.marks else self.closes[s] for s in self.symbols
        }
        self.ledger = Ledger(config, data.instruments, self.symbols, self.marks)
        self.margin = self.ledger.margin
        self.venue = SimulatedVenue(
            data.arrays,
            data.instruments,
            config.fill_model,
            budget=self.ledger.budget,
            books=data.books,
            book_max_age_ms=self.period_ms,
        )
        self.funding = FundingSchedule(data.funding, self.ts, self.period_ms)
        self.history = CandleHistory(data.timeframe, data.arrays)
        self.risk: RiskManager | None = None
        if config.risk is not None:
            self.risk = RiskManager(
                config.risk,
                ts_ms=self.ts,
                period_ms=self.period_ms,
                prices=[self.valuation[s] for s in self.symbols],
                candles=data.arrays,
                bases={s: data.instruments[s].base for s in self.symbols},
            )
            self.chain = chain.then(*self.risk.checks())
        self.policies = {s.strategy_id: _breaker_policy(s) for s in strategies}
        split = config.capital_split or {s.strategy_id: 1.0 / len(strategies) for s in strategies}
        self.runs: dict[StrategyId, _Strategy] = {}
        for strategy in strategies:
            book = StrategyBook(
                strategy.strategy_id, config.initial_capital * split.get(strategy.strategy_id, 0.0)
            )
            self.runs[strategy.strategy_id] = _Strategy(
                strategy, book, BacktestContext(self, strategy, book)
            )
        self.run_order = list(self.runs.values())
        self.books: dict[str, StrategyBook] = {sid: run.book for sid, run in self.runs.items()}
        self.chain_state = ChainState(self)
        self.bar = -1
        self._now_ms = 0
        self.order_seq = 0
        self.trade_seq = 0
        self.rejections: list[tuple[Any, ...]] = []
        self.timers: list[tuple[int, int, StrategyId, str]] = []
        self.watches = PriceWatches(data.arrays)
        self.events = 0
        self._parts: tuple[int, float, np.ndarray] = (-1, 0.0, np.zeros(0))
        """(ledger version, constant, quantities) of the account's equity."""
        self._risk_callbacks: list[Callable[[], None]] = []
        """Where the risk manager's cancellations queue the strategies' updates."""

    def close(self) -> None:
        """The run is over: the strategies' contexts and the chain's view let go of it."""
        for run in self.run_order:
            run.context.close()
        self.chain_state.close()

    # -- the loop -----------------------------------------------------------------

    def run(self, run_id: str, progress: Progress | None) -> BacktestResult:
        started = time.perf_counter()
        self.wake_bar, self.wake_code, self.wake_symbol, self.wake_index = self._wakes()
        self.pointer = 0
        n = len(self.ts)
        self._snapshot(-1)
        if self.risk is not None:
            self.risk.start(self.account_equity(), self)
        for run in self.run_order:
            if not run.halted:
                self._call(run, "on_start", run.strategy.on_start, run.context)
        i = self._next_bar(-1)
        next_report = 0
        while i < n:
            self._step(i)
            if progress is not None and i >= next_report:
                progress(i, n)
                next_report = i + max(n // 100, 1)
            i = self._next_bar(i)
        self._set_bar(n - 1)
        for run in self.run_order:
            if not run.halted:
                self._call(run, "on_stop", run.strategy.on_stop, run.context)
        if progress is not None:
            progress(n, n)
        return self._result(run_id, time.perf_counter() - started)

    def _step(self, i: int) -> None:
        """Process bar ``i`` in the order of the module docstring; snapshot if anything moved."""
        self._set_bar(i)
        self.events += 1
        # Book every liquidation, execution, ending and funding payment of the bar before
        # any strategy reacts, so a reaction (a cancel, a halt) can never reach an order
        # whose fill on this bar is still to be booked.
        perpetuals = self.margin is not None
        fills_before = len(self.ledger.fill_rows)
        callbacks = self._liquidations(i) if perpetuals else []
        # Each execution is booked as it happens, so that the next order's budget sees it.
        venue_events = self.venue.process_bar(
            i, lambda event: callbacks.append(self._on_venue_event(event))
        )
        filled = any(isinstance(event, VenueFill) for event in venue_events)
        if perpetuals and filled:
            callbacks += self._liquidations(i)
        settled = self.funding.next_bar() <= i and self._settle_funding(i)
        if self.risk is not None:
            self._observe_risk(i, callbacks, filled=len(self.ledger.fill_rows) != fills_before)
        for callback in callbacks:
            callback()
        self._call_strategies(i)
        if callbacks or venue_events or settled:
            self._snapshot(i)

    def _call_strategies(self, i: int) -> None:
        """Steps 5 and 6: the price watches, candles and timers of bar ``i``."""
        for watch in self.watches.due(i):
            run = self.runs[watch.strategy_id]
            if not run.halted:
                bar = self._bar(run.strategy, watch.symbol, i, timeframe=self.data.timeframe)
                self._call(run, "on_price_alert", run.strategy.on_price_alert, bar, run.context)
        wake_bar = self.wake_bar
        while self.pointer < len(wake_bar) and wake_bar[self.pointer] == i:
            run = self.run_order[self.wake_code[self.pointer]]
            if not run.halted:
                symbol = run.strategy.symbols[self.wake_symbol[self.pointer]]
                bar = self._bar(run.strategy, symbol, int(self.wake_index[self.pointer]))
                self._call(run, "on_candle", run.strategy.on_candle, bar, run.context)
            self.pointer += 1
        while self.timers and self.timers[0][0] <= i:
            _, _, strategy_id, name = heapq.heappop(self.timers)
            run = self.runs[strategy_id]
            if not run.halted:
                self._call(run, "on_timer", run.strategy.on_timer, name, run.context)

    def _next_bar(self, i: int) -> int:
        """The next bar to process after ``i``.

        ``i + 1``, or on the fast path the next bar where anything can happen: a wake,
        an order arriving or reachable, a liquidation, a funding settlement, a timer,
        a bar the risk manager must observe.
        """
        if not self.config.skip_idle_bars:
            return i + 1
        candidates = [
            self.venue.next_event_bar(i + 1),
            self.funding.next_bar(),
            self.watches.next_bar(i + 1),
            len(self.ts),
        ]
        if self.margin is not None:
            candidates.append(self.margin.next_liquidation_bar(i + 1))
        if self.pointer < len(self.wake_bar):
            candidates.append(int(self.wake_bar[self.pointer]))
        if self.timers:
            candidates.append(max(self.timers[0][0], i + 1))
        upcoming = min(candidates)
        if self.risk is not None and upcoming > i + 1:
            constant, quantities = self._account_parts()
            upcoming = self.risk.next_bar(i + 1, upcoming, constant, quantities)
        return upcoming

    def _wakes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every wake, sorted: (base bar, strategy code, symbol code, candle index) arrays.

        Codes index ``self.run_order`` and each strategy's ``symbols``; ties on one bar
        run strategy by strategy, symbol by symbol, in declaration order.
        """
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for code, run in enumerate(self.run_order):
            strategy = run.strategy
            try:
                masks = self._masks(strategy)
            except Exception as exc:
                self._halt(run, StrategyError(strategy.strategy_id, "precompute", exc))
                continue
            for symbol_code, (decision, mask) in enumerate(masks):
                index = np.flatnonzero(mask)
                count = len(index)
                parts.append(
                    (
                        decision[index],
                        np.full(count, code, dtype=np.int64),
                        np.full(count, symbol_code, dtype=np.int64),
                        index,
                    )
                )
        if not parts:
            empty = np.array([], dtype=np.int64)
            return empty, empty, empty, empty
        bars = np.concatenate([p[0] for p in parts])
        codes = np.concatenate([p[1] for p in parts])
        symbol_codes = np.concatenate([p[2] for p in parts])
        indices = np.concatenate([p[3] for p in parts])
        order = np.lexsort((symbol_codes, codes, bars))
        return bars[order], codes[order], symbol_codes[order], indices[order]

    def _masks(self, strategy: Strategy) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per symbol of ``strategy``: its candles' decision bars and its wake mask.

        Raises whatever ``precompute`` raises, and ValueError for a mask that is
        missing or does not fit the symbol's candles: the caller halts the strategy.
        """
        masks = strategy.precompute(self.history)
        result = []
        for symbol in strategy.symbols:
            decision = self.history.decision_bars(symbol, strategy.timeframe)
            if masks is None:
                mask = np.ones(len(decision), dtype=bool)
            elif symbol not in masks:
                raise ValueError(f"no wake mask for {symbol}")
            else:
                mask = np.array(masks[symbol], dtype=bool)
            if len(mask) != len(decision):
                raise ValueError(
                    f"wake mask for {symbol}: {len(mask)} values, {len(decision)} candles"
                )
            mask[: strategy.warmup_bars] = False
            result.append((decision, mask))
        return result

    def _bar(
        self, strategy: Strategy, symbol: str, index: int, *, timeframe: str | None = None
    ) -> Bar:
        """Candle ``index`` of ``symbol`` at ``timeframe`` (the strategy's by default)."""
        timeframe = timeframe or strategy.timeframe
        candles = self.history.candles(symbol, timeframe)
        return Bar(
            symbol,
            timeframe,
            index,
            int(candles.ts_ms[index]),
            float(candles.open[index]),
            float(candles.high[index]),
            float(candles.low[index]),
            float(candles.close[index]),
            float(candles.volume[index]),
        )

    # -- strategy calls -------------------------------------------------------------

    def _call(self, run: _Strategy, hook: str, function: Callable[..., None], *args: Any) -> None:
        try:
            function(*args)
        except StrategyError as exc:
            self._halt(run, exc)
        except Exception as exc:
            # A strategy's bug stops that strategy only.
            self._halt(run, StrategyError(run.strategy.strategy_id, hook, exc))

    def _halt(self, run: _Strategy, error: StrategyError) -> None:
        if run.halted:
            return
        run.halted = True
        log_event(
            _log,
            LogEvent.ERROR,
            "%s",
            error,
            level=logging.ERROR,
            strategy=run.strategy.strategy_id,
        )
        for order in list(run.book.open_orders.values()):
            self._cancel(order)
        self.watches.clear(run.strategy.strategy_id)

    # -- orders ---------------------------------------------------------------------

    def submit(self, strategy: Strategy, intent: OrderIntent) -> Order | None:
        return self._place(self.runs[strategy.strategy_id], intent)

    def _place(
        self, run: _Strategy, intent: OrderIntent, *, risk_close: bool = False
    ) -> Order | None:
        """Pass ``intent`` through the chain to the venue.

        The risk manager's closing orders (``risk_close``) are placed for halted
        strategies too (their positions are closed like any other) and have client
        order ids of their own, ``risk-close-<sequence>``, so that the fills show them
        (as liquidations show as ``liquidation-<sequence>``).
        """
        strategy = run.strategy
        if not (math.isfinite(intent.qty) and intent.qty > 0):
            # Not an order at all (e.g. a stake of an empty account): refused, not built.
            self._refused(strategy, intent, "qty", f"qty {intent.qty} is not a positive number")
            return None
        self.order_seq += 1
        client_order_id = (
            ClientOrderId(f"{RISK_CLOSE_PREFIX}{self.order_seq}")
            if risk_close
            else make_client_order_id(strategy.strategy_id, self.order_seq)
        )
        self.chain_state.begin()
        outcome = self.chain.run(intent, self.chain_state)
        final = outcome.intent or intent
        now = self.now_ms
        order = Order(
            client_order_id=client_order_id,
            strategy_id=strategy.strategy_id,
            symbol=final.symbol,
            side=final.side,
            order_type=final.order_type,
            qty=final.qty,
            ts_ms=now,
            price=final.price,
            stop_price=final.stop_price,
            time_in_force=final.time_in_force,
            reduce_only=final.reduce_only,
        )
        rejection = outcome.rejection
        if (run.halted and not risk_close) or rejection is not None:
            reason = rejection.reason if rejection is not None else "strategy halted"
            check = rejection.check if rejection is not None else "engine"
            order.apply(
                OrderRejected(
                    client_order_id=client_order_id,
                    ts_ms=now,
                    reason=check_rejection_reason(check, reason),
                )
            )
            self._refused(strategy, intent, check, reason)
            return order
        self.venue.submit(order, decided_at=self.bar)
        order.apply(
            OrderAccepted(
                client_order_id=client_order_id,
                ts_ms=now,
                venue_order_id=VenueOrderId(client_order_id),
            )
        )
        run.book.open_orders[client_order_id] = order
        self.ledger.reserve(
            order,
            final,
            price=self.last_price(order.symbol),
            position=self.venue.position(order.symbol),
        )
        return order

    def _refused(self, strategy: Strategy, intent: OrderIntent, check: str, reason: str) -> None:
        self.rejections.append(
            (
                self.now_ms,
                strategy.strategy_id,
                intent.symbol,
                str(intent.side),
                intent.qty,
                check,
                reason,
            )
        )
        if self.risk is not None and check in self.risk.rule_names:
            log_event(
                _log,
                LogEvent.RISK_REJECTED,
                "%s %s %s refused by %s: %s",
                intent.side,
                intent.qty,
                intent.symbol,
                check,
                reason,
                level=logging.DEBUG,
                strategy=strategy.strategy_id,
                pair=intent.symbol,
                check=check,
                side=str(intent.side),
                qty=intent.qty,
                order_type=str(intent.order_type),
                price=intent.price,
                stop_price=intent.stop_price,
                reduce_only=intent.reduce_only,
            )
            return
        log_event(
            _log,
            LogEvent.ORDER_REJECTED,
            "%s %s %s refused: %s",
            intent.side,
            intent.qty,
            intent.symbol,
            reason,
            level=logging.DEBUG,
            strategy=strategy.strategy_id,
            pair=intent.symbol,
            check=check,
        )

    def cancel(self, strategy: Strategy, client_order_id: ClientOrderId) -> None:
        order = self.runs[strategy.strategy_id].book.open_orders.get(client_order_id)
        if order is not None:
            self._cancel(order)

    def _cancel(self, order: Order) -> None:
        now = self.now_ms
        order.apply(OrderCancelRequested(client_order_id=order.client_order_id, ts_ms=now))
        if self.venue.cancel(order.client_order_id):
            order.apply(OrderCanceled(client_order_id=order.client_order_id, ts_ms=now))
            self._closed(order)

    def _on_venue_event(self, event: VenueFill | VenueCancel) -> Callable[[], None]:
        """Book one event of the venue; return the strategy's update."""
        if isinstance(event, VenueFill):
            return self._on_fill(event)
        return self._on_cancel(event)

    def _on_fill(self, event: VenueFill) -> Callable[[], None]:
        order = event.order
        instrument = self.instruments[order.symbol]
        self.trade_seq += 1
        ts_ms = int(self.ts[event.bar])
        fill = Fill(
            trade_id=TradeId(f"{self.config.exchange}-{self.trade_seq}"),
            client_order_id=order.client_order_id,
            venue_order_id=order.venue_order_id,
            strategy_id=order.strategy_id,
            symbol=order.symbol,
            side=order.side,
            qty=event.qty,
            price=event.price,
            fee=event.fee,
            fee_currency=instrument.quote,
            liquidity=LiquiditySide.MAKER if event.maker else LiquiditySide.TAKER,
            ts_ms=ts_ms,
        )
        order.apply(OrderFilled(client_order_id=order.client_order_id, ts_ms=ts_ms, fill=fill))
        run = self.runs[order.strategy_id]
        self.ledger.book(run.book, fill, slippage=event.slippage)
        self.ledger.release(order, event.qty)
        if order.is_terminal:
            self._closed(order)
        return partial(self._notify, run, "on_fill", run.strategy.on_fill, fill)

    # -- the risk manager's actions (quantbot.engine.risk_manager.RiskActions) --------------

    def _observe_risk(self, bar: int, callbacks: list[Callable[[], None]], *, filled: bool) -> None:
        """Let the risk manager observe ``bar``; the strategies' updates join ``callbacks``.

        ``filled``: whether anything filled on the bar, liquidations included.
        """
        assert self.risk is not None
        self._risk_callbacks = callbacks
        constant, quantities = self._account_parts()
        self.risk.step(bar, constant, quantities, filled=filled, actions=self)

    def cancel_orders(self, symbol: str | None) -> None:
        """Cancel every strategy's open orders (of ``symbol``); they hear of it this bar."""
        for run in self.run_order:
            orders = [
                o for o in run.book.open_orders.values() if symbol is None or o.symbol == symbol
            ]
            for order in orders:
                self._cancel(order)
                self._risk_callbacks.append(
                    partial(
                        self._notify, run, "on_order_update", run.strategy.on_order_update, order
                    )
                )

    def close_positions(self, policies: frozenset[BreakerPolicy]) -> list[ClosedPosition]:
        """Close at market the positions of the strategies whose breaker policy is in ``policies``.

        One reduce-only market order a position, attributed to the strategy holding it,
        through the chain (where it is a closing order) to the venue: it fills from the
        next open. Returns the positions whose order the chain let through.
        """
        closed: list[ClosedPosition] = []
        for run in self.run_order:
            strategy_id = run.strategy.strategy_id
            if self.policies[strategy_id] not in policies:
                continue
            for symbol, position in list(run.book.positions.items()):
                if position.is_flat:
                    continue
                qty = position.qty
                intent = OrderIntent(
                    strategy_id,
                    symbol,
                    Side.SELL if qty > 0 else Side.BUY,
                    abs(qty),
                    reduce_only=True,
                    tag="risk_close",
                )
                order = self._place(run, intent, risk_close=True)
                if order is not None and order.state is not OrderState.REJECTED:
                    closed.append(ClosedPosition(strategy_id, symbol, qty))
        return closed

    def shutdown(self) -> None:
        """Stop every strategy: no hook is called any more (a monthly shutdown)."""
        for run in self.run_order:
            if not run.halted:
                run.halted = True
                self.watches.clear(run.strategy.strategy_id)
                log_event(
                    _log,
                    LogEvent.SHUTDOWN,
                    "strategy %s stopped by the risk manager",
                    run.strategy.strategy_id,
                    level=logging.WARNING,
                    strategy=run.strategy.strategy_id,
                )

    def _account_parts(self) -> tuple[float, np.ndarray]:
        """The account's equity parts (the ledger's), kept until the next booking."""
        version, constant, quantities = self._parts
        if version != self.ledger.version:
            constant, values = self.ledger.account_parts()
            quantities = np.array(values, dtype=np.float64)
            self._parts = (self.ledger.version, constant, quantities)
        return constant, quantities

    def account_equity(self) -> float:
        """The account's equity now: balances plus positions at the latest valuation prices."""
        constant, quantities = self._account_parts()
        total = 0.0
        for symbol, qty in zip(self.symbols, quantities.tolist(), strict=True):
            if qty:
                total += qty * self.mark_price(symbol)
        return constant + total

    def correlation_groups(self) -> tuple[frozenset[str], ...]:
        """The rolling correlation's groups now (none without a risk manager)."""
        return () if self.risk is None else self.risk.correlation_groups(self.bar)

    # -- perpetuals: liquidations and funding ----------------------------------------------

    def _liquidations(self, bar: int) -> list[Callable[[], None]]:
        """Close what bar ``bar``'s marks liquidate; return the strategies' callbacks."""
        assert self.margin is not None
        liquidations = self.margin.due(bar)
        if not liquidations:
            return []
        callbacks: list[Callable[[], None]] = []
        scope = set(self.perpetuals) if self.margin.is_cross else {q.symbol for q in liquidations}
        for run in self.run_order:
            for order in [o for o in run.book.open_orders.values() if o.symbol in scope]:
                self._cancel(order)
                callbacks.append(
                    partial(
                        self._notify, run, "on_order_update", run.strategy.on_order_update, order
                    )
                )
        for liquidation in liquidations:
            callbacks += self._liquidate(bar, liquidation)
        return callbacks

    def _liquidate(self, bar: int, liquidation: Liquidation) -> list[Callable[[], None]]:
        """Close every strategy's position in the liquidated symbol at the liquidation price.

        The account's clearance fee is shared in proportion to the positions closed.
        """
        symbol = liquidation.symbol
        instrument = self.instruments[symbol]
        ts_ms = int(self.ts[bar])
        holders = [
            (run, position)
            for run in self.run_order
            if (position := run.book.positions.get(symbol)) is not None and not position.is_flat
        ]
        gross = sum(abs(position.qty) for _, position in holders)
        callbacks: list[Callable[[], None]] = []
        for run, position in holders:
            qty = abs(position.qty)
            self.order_seq += 1
            client_order_id = ClientOrderId(f"liquidation-{self.order_seq}")
            order = Order(
                client_order_id=client_order_id,
                strategy_id=run.strategy.strategy_id,
                symbol=symbol,
                side=Side.SELL if position.qty > 0 else Side.BUY,
                order_type=OrderType.MARKET,
                qty=qty,
                ts_ms=ts_ms,
                reduce_only=True,
            )
            order.apply(
                OrderAccepted(
                    client_order_id=client_order_id,
                    ts_ms=ts_ms,
                    venue_order_id=VenueOrderId(client_order_id),
                )
            )
            self.trade_seq += 1
            fill = Fill(
                trade_id=TradeId(f"{self.config.exchange}-{self.trade_seq}"),
                client_order_id=client_order_id,
                venue_order_id=order.venue_order_id,
                strategy_id=order.strategy_id,
                symbol=symbol,
                side=order.side,
                qty=qty,
                price=liquidation.price,
                fee=liquidation.fee * qty / gross,
                fee_currency=instrument.quote,
                liquidity=LiquiditySide.TAKER,
                ts_ms=ts_ms,
            )
            order.apply(OrderFilled(client_order_id=client_order_id, ts_ms=ts_ms, fill=fill))
            self.ledger.book(run.book, fill, slippage=0.0, liquidation=True)
            callbacks.append(partial(self._notify, run, "on_fill", run.strategy.on_fill, fill))
        self.venue.close_position(symbol)
        side = "long" if liquidation.size > 0 else "short"
        qty = abs(liquidation.size) / instrument.contract_size
        self.ledger.record_liquidation(ts_ms, liquidation)
        log_event(
            _log,
            LogEvent.ORDER_FILLED,
            "liquidation: %s %s %g closed at %g (fee %g%s)",
            side,
            symbol,
            qty,
            liquidation.price,
            liquidation.fee,
            ", bankrupt" if liquidation.bankrupt else "",
            level=logging.WARNING,
            pair=symbol,
        )
        return callbacks

    def _settle_funding(self, bar: int) -> bool:
        """Book the funding settled at the close of ``bar``; whether anything was paid."""
        books = [run.book for run in self.run_order]
        paid = False
        for settlement in self.funding.due(bar):
            closes = self.marks[settlement.symbol].close
            mark = float(closes[bar])
            if not mark > 0.0:
                # A bar without prices: the latest mark known before it.
                known = np.flatnonzero(closes[:bar] > 0.0)
                if not len(known):
                    continue
                mark = float(closes[known[-1]])
            paid = self.ledger.settle(settlement, mark, books) or paid
        return paid

    def _on_cancel(self, event: VenueCancel) -> Callable[[], None]:
        order = event.order
        now = self.now_ms
        if event.expired:
            order.apply(OrderExpired(client_order_id=order.client_order_id, ts_ms=now))
        else:
            order.apply(OrderCancelRequested(client_order_id=order.client_order_id, ts_ms=now))
            order.apply(OrderCanceled(client_order_id=order.client_order_id, ts_ms=now))
        self._closed(order)
        run = self.runs[order.strategy_id]
        log_event(
            _log,
            LogEvent.ORDER_CANCELED,
            "%s: %s",
            order.client_order_id,
            event.reason,
            level=logging.DEBUG,
            strategy=order.strategy_id,
            pair=order.symbol,
        )
        return partial(self._notify, run, "on_order_update", run.strategy.on_order_update, order)

    def _notify(
        self, run: _Strategy, hook: str, function: Callable[..., None], subject: object
    ) -> None:
        """Deliver one execution or order update to its strategy, unless it was halted."""
        if not run.halted:
            self._call(run, hook, function, subject, run.context)

    def _closed(self, order: Order) -> None:
        self.runs[order.strategy_id].book.open_orders.pop(order.client_order_id, None)
        self.ledger.release(order, None)

    # -- reading the state -------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        """The close of the bar being processed; before the first bar, its open."""
        if self.bar < 0:
            return int(self.ts[0])
        return self._now_ms

    def _set_bar(self, bar: int) -> None:
        """Make ``bar`` the bar being processed (:attr:`now_ms` is read at every order)."""
        self.bar = bar
        if bar >= 0:
            self._now_ms = int(self.ts[bar]) + self.period_ms

    def take_profit_factor(self) -> float:
        if self.risk is None or self.risk.brakes is None:
            return 1.0
        return self.risk.brakes.current().take_profit_factor

    def last_price(self, symbol: str) -> float:
        """The latest price known now: the bar's close, or the first open before it."""
        if self.bar < 0:
            return float(self.data.arrays[symbol].open[0])
        return float(self.closes[symbol][self.bar])

    def mark_price(self, symbol: str) -> float:
        """The price a position is valued at now: the mark close for perpetuals, else the close."""
        if self.bar < 0:
            return float(self.data.mark_arrays(symbol).open[0])
        return float(self.valuation[symbol][self.bar])

    def watch_price(
        self, strategy: Strategy, symbol: str, above: float | None, below: float | None
    ) -> None:
        if symbol not in self.data.arrays:
            raise ValueError(f"cannot watch {symbol}: not in the data")
        self.watches.set(strategy.strategy_id, symbol, above, below)

    def set_timer(self, strategy: Strategy, at_ms: int, name: str) -> None:
        bar = int(np.searchsorted(self.ts + self.period_ms, at_ms, side="left"))
        heapq.heappush(
            self.timers, (max(bar, self.bar + 1), len(self.timers), strategy.strategy_id, name)
        )

    # -- equity --------------------------------------------------------------------------

    def _snapshot(self, bar: int) -> None:
        self.ledger.snapshot(bar, self.books)

    def _result(self, run_id: str, elapsed: float) -> BacktestResult:
        n = len(self.ts)
        curves = self.ledger.equity.curves(
            np.column_stack([self.valuation[s] for s in self.symbols])
        )
        last_prices = {s: float(self.valuation[s][-1]) for s in self.symbols}
        trades = build_trades(
            self.ledger.trade_records,
            last_ts_ms=int(self.ts[-1]) + self.period_ms,
            last_prices=last_prices,
        )
        return BacktestResult(
            run_id=run_id,
            timeframe=self.data.timeframe,
            ts_ms=self.ts,
            equity=curves.equity,
            strategy_equity=curves.strategy_equity,
            exposure=curves.exposure,
            closes={s: self.closes[s] for s in self.symbols},
            fills=self.ledger.fills_frame(),
            trades=trades,
            initial_capital=self.config.initial_capital,
            quote_currency=self.config.quote_currency,
            rejections=pd.DataFrame(self.rejections, columns=list(_REJECTION_DTYPES)).astype(
                _REJECTION_DTYPES
            ),
            funding=self.ledger.funding_frame(),
            liquidations=self.ledger.liquidations_frame(),
            risk_events=risk_events_frame() if self.risk is None else self.risk.frame(),
            bars_processed=n,
            events_processed=self.events,
            elapsed_s=elapsed,
            records={sid: run.strategy.records() for sid, run in self.runs.items()},
            config={
                "timeframe": self.data.timeframe,
                "symbols": self.symbols,
                "initial_capital": self.config.initial_capital,
                "quote_currency": self.config.quote_currency,
                "skip_idle_bars": self.config.skip_idle_bars,
                "fill_model": {
                    k: getattr(self.config.fill_model, k) for k in self.config.fill_model.__slots__
                },
                "order_books": self.data.book_coverage(self.period_ms),
                "margin": self.config.margin.describe(),
                "risk": None if self.config.risk is None else describe_risk_setup(self.config.risk),
                "strategies": [run.strategy.describe() for run in self.runs.values()],
            },
        )
