"""The event engine, backtest assembly: strategies, pre-trade chain, simulated venue, ledger.

One loop over one clock. Each step is a bar ``i`` of the base timeline, processed in
this order:

1. the venue fills what bar ``i`` fills (orders decided earlier); the engine applies
   each execution to the order (state machine), the account and the strategy's book,
   then calls the strategy's ``on_fill`` / ``on_order_update``;
2. strategies whose candle closed at the end of bar ``i`` with a wake are called
   (``on_candle``), symbol by symbol, strategy by strategy; orders they submit pass the
   pre-trade check chain and reach the venue for bar ``i + 1`` at the earliest;
3. timers due by the close of bar ``i`` fire.

The fast path (DESIGN.md, "How one event engine stays fast"): the loop visits only
bars where something can happen — a strategy wake, an order arrival, a bar whose range
reaches a resting order (the venue's compiled scan), a timer — and fills in the equity
of the bars in between vectorised at the end: between events positions do not change,
so equity is ``constant + sum(qty * close)`` with the parts stored at each event.
``skip_idle_bars=False`` visits every bar; both give identical fills (tested).
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from quantbot.core import (
    ClientOrderId,
    Fill,
    Instrument,
    LiquiditySide,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRequested,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderType,
    Portfolio,
    Position,
    Side,
    StrategyId,
    TimeInForce,
    TradeId,
    VenueOrderId,
    make_client_order_id,
)
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.resample import timeframe_ms
from quantbot.engine.attribution import StrategyBook
from quantbot.engine.history import CandleHistory
from quantbot.engine.results import FILL_COLUMNS, BacktestResult
from quantbot.engine.trades import FillRecord, build_trades
from quantbot.logs import LogEvent, log_event
from quantbot.risk import CheckChain, OrderIntent, venue_rule_checks
from quantbot.strategies.base import Bar, Strategy
from quantbot.strategies.errors import StrategyError
from quantbot.venues.simulated import FillModel, SimulatedVenue, VenueCancel, VenueFill

__all__ = ["BacktestConfig", "BacktestData", "run_backtest"]

_log = logging.getLogger(__name__)

_FILL_DTYPES = {
    "ts_ms": "int64",
    "strategy": "object",
    "symbol": "object",
    "side": "object",
    "price": "float64",
    "qty": "float64",
    "fee": "float64",
    "fee_currency": "object",
    "liquidity": "object",
    "slippage": "float64",
    "client_order_id": "object",
    "trade_id": "object",
}
_REJECTION_DTYPES = {
    "ts_ms": "int64",
    "strategy": "object",
    "symbol": "object",
    "side": "object",
    "qty": "float64",
    "check": "object",
    "reason": "object",
}

Progress = Callable[[int, int], None]
"""Progress callback: (bars covered so far, bars in all)."""


@dataclass(frozen=True)
class BacktestData:
    """The market a backtest runs on.

    Attributes:
        timeframe: base timeframe of every array (the engine's step).
        arrays: per symbol, candles on one shared timeline (identical ``ts_ms``).
        instruments: per symbol, its trading rules (tick, lot, minimum notional).
    """

    timeframe: str
    arrays: Mapping[str, OhlcvArrays]
    instruments: Mapping[str, Instrument]

    def __post_init__(self) -> None:
        if not self.arrays:
            raise ValueError("a backtest needs at least one symbol")
        timelines = [a.ts_ms for a in self.arrays.values()]
        if any(
            len(t) != len(timelines[0]) or not np.array_equal(t, timelines[0]) for t in timelines
        ):
            raise ValueError("every symbol's candles must share one timeline (fill gaps first)")
        missing = set(self.arrays) - set(self.instruments)
        if missing:
            raise ValueError(f"no instrument for {sorted(missing)}")

    @property
    def ts_ms(self) -> np.ndarray:
        """The shared timeline: bar open times."""
        return next(iter(self.arrays.values())).ts_ms


@dataclass(frozen=True)
class BacktestConfig:
    """How a backtest runs.

    Attributes:
        initial_capital: quote currency in the account at the start.
        quote_currency: the account's currency (every symbol must be quoted in it).
        fill_model: fees, slippage, volume cap and latency of the simulated venue.
        capital_split: share of the capital each strategy is allotted (by strategy id);
            equal shares by default.
        skip_idle_bars: jump over bars where nothing can happen (the fast path).
        exchange: account name in the portfolio.
    """

    initial_capital: float = 10_000.0
    quote_currency: str = "USDT"
    fill_model: FillModel = field(default_factory=FillModel)
    capital_split: Mapping[str, float] | None = None
    skip_idle_bars: bool = True
    exchange: str = "sim"


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
        config: capital, fill model, fast path.
        chain: the pre-trade check chain; the venue rules by default.
        run_id: identifier written into the result.
        progress: optional progress callback.

    Raises:
        ValueError: on inconsistent inputs (duplicate strategy ids, symbols a strategy
            trades that the data lacks, a symbol quoted in another currency).
    """
    engine = _Engine(
        data, strategies, config or BacktestConfig(), chain or CheckChain(venue_rule_checks())
    )
    return engine.run(run_id, progress)


@dataclass(slots=True)
class _Strategy:
    """A strategy in the run: the object, its book, context and state."""

    strategy: Strategy
    book: StrategyBook
    context: _Context
    halted: bool = False


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
        self.venue = SimulatedVenue(
            data.arrays, data.instruments, config.fill_model, budget=self._budget
        )
        self.portfolio = Portfolio()
        self.portfolio.deposit(config.exchange, config.quote_currency, config.initial_capital)
        self.history = CandleHistory(data.timeframe, data.arrays)
        split = config.capital_split or {s.strategy_id: 1.0 / len(strategies) for s in strategies}
        self.runs: dict[StrategyId, _Strategy] = {}
        for strategy in strategies:
            book = StrategyBook(
                strategy.strategy_id, config.initial_capital * split.get(strategy.strategy_id, 0.0)
            )
            self.runs[strategy.strategy_id] = _Strategy(
                strategy, book, _Context(self, strategy, book)
            )
        self.run_order = list(self.runs.values())
        self.bar = -1
        self.order_seq = 0
        self.trade_seq = 0
        self.reserved: dict[str, float] = {}
        self.reservations: dict[str, tuple[str, float]] = {}
        self.fill_rows: list[tuple[Any, ...]] = []
        self.fill_records: list[FillRecord] = []
        self.rejections: list[tuple[Any, ...]] = []
        self.timers: list[tuple[int, int, StrategyId, str]] = []
        self.snapshots: list[
            tuple[int, float, list[float], dict[StrategyId, tuple[float, dict[str, float]]]]
        ] = []
        self.events = 0

    # -- the loop -----------------------------------------------------------------

    def run(self, run_id: str, progress: Progress | None) -> BacktestResult:
        started = time.perf_counter()
        self.wake_bar, self.wake_code, self.wake_symbol, self.wake_index = self._wakes()
        self.pointer = 0
        n = len(self.ts)
        self._snapshot(-1)
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
        self.bar = n - 1
        for run in self.run_order:
            if not run.halted:
                self._call(run, "on_stop", run.strategy.on_stop, run.context)
        if progress is not None:
            progress(n, n)
        return self._result(run_id, time.perf_counter() - started)

    def _step(self, i: int) -> None:
        """Process bar ``i``: fills, then wakes, then timers; snapshot if anything moved."""
        self.bar = i
        self.events += 1
        venue_events = self.venue.process_bar(i)
        # Book every execution and ending of the bar before any strategy reacts, so a
        # reaction (a cancel, a halt) can never reach an order whose fill on this bar
        # is still to be booked.
        callbacks = [
            self._on_fill(e) if isinstance(e, VenueFill) else self._on_cancel(e)
            for e in venue_events
        ]
        for callback in callbacks:
            callback()
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
        if venue_events:
            self._snapshot(i)

    def _next_bar(self, i: int) -> int:
        """The next bar to process after ``i``.

        ``i + 1``, or on the fast path the next bar where anything can happen: a wake,
        an order arriving or reachable, a timer.
        """
        if not self.config.skip_idle_bars:
            return i + 1
        candidates = [self.venue.next_event_bar(i + 1), len(self.ts)]
        if self.pointer < len(self.wake_bar):
            candidates.append(int(self.wake_bar[self.pointer]))
        if self.timers:
            candidates.append(max(self.timers[0][0], i + 1))
        return min(candidates)

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

    def _bar(self, strategy: Strategy, symbol: str, index: int) -> Bar:
        candles = self.history.candles(symbol, strategy.timeframe)
        return Bar(
            symbol,
            strategy.timeframe,
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

    # -- orders ---------------------------------------------------------------------

    def submit(self, strategy: Strategy, intent: OrderIntent) -> Order | None:
        run = self.runs[strategy.strategy_id]
        if not (math.isfinite(intent.qty) and intent.qty > 0):
            # Not an order at all (e.g. a stake of an empty account): refused, not built.
            self._refused(strategy, intent, "qty", f"qty {intent.qty} is not a positive number")
            return None
        self.order_seq += 1
        client_order_id = make_client_order_id(strategy.strategy_id, self.order_seq)
        outcome = self.chain.run(intent, _ChainState(self))
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
        if run.halted or rejection is not None:
            reason = rejection.reason if rejection is not None else "strategy halted"
            check = rejection.check if rejection is not None else "engine"
            order.apply(OrderRejected(client_order_id=client_order_id, ts_ms=now, reason=reason))
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
        self._reserve(order, final)
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
        self.portfolio.apply_fill(self.config.exchange, fill, instrument)
        run = self.runs[order.strategy_id]
        run.book.apply_fill(fill, instrument)
        self._release(order, event.qty)
        if order.is_terminal:
            self._closed(order)
        buy = order.side is Side.BUY
        self.fill_rows.append(
            (
                ts_ms,
                order.strategy_id,
                order.symbol,
                "buy" if buy else "sell",
                event.price,
                event.qty,
                event.fee,
                instrument.quote,
                fill.liquidity.value,
                event.slippage,
                order.client_order_id,
                fill.trade_id,
            )
        )
        size = event.qty * instrument.contract_size
        self.fill_records.append(
            FillRecord(ts_ms, order.strategy_id, order.symbol, buy, size, event.price, event.fee)
        )
        return partial(self._notify, run, "on_fill", run.strategy.on_fill, fill)

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
        self._release(order, None)

    # -- balance reservations (what open orders commit) -------------------------------

    def _reserve(self, order: Order, intent: OrderIntent) -> None:
        instrument = self.instruments[order.symbol]
        if instrument.is_perpetual:
            return
        if order.side is Side.BUY:
            price = intent.reference_price(self.last_price(order.symbol))
            per_unit = price * (1.0 + self.config.fill_model.taker_fee_pct / 100.0)
            asset = instrument.quote
        else:
            per_unit, asset = 1.0, instrument.base
        self.reservations[order.client_order_id] = (asset, per_unit)
        self.reserved[asset] = self.reserved.get(asset, 0.0) + per_unit * order.qty

    def _budget(self, order: Order, cost_per_unit: float) -> float:
        """The most of ``order`` the account can pay for now (the venue asks at execution).

        Spot only: free balance plus what the order itself has reserved. Perpetuals are
        margin trades; the margin checks govern them.
        """
        reservation = self.reservations.get(order.client_order_id)
        if reservation is None:
            return math.inf
        asset, per_unit = reservation
        available = self.free_balance(asset) + per_unit * order.remaining_qty
        return available / cost_per_unit if order.side is Side.BUY else available

    def _release(self, order: Order, filled: float | None) -> None:
        """Release what a fill used (``filled``) or, for an ended order, all that is left."""
        reservation = self.reservations.get(order.client_order_id)
        if reservation is None:
            return
        asset, per_unit = reservation
        if filled is None:
            amount = per_unit * order.remaining_qty
            del self.reservations[order.client_order_id]
        else:
            amount = per_unit * filled
        self.reserved[asset] = max(self.reserved.get(asset, 0.0) - amount, 0.0)

    # -- reading the state -------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        """The close of the bar being processed; before the first bar, its open."""
        if self.bar < 0:
            return int(self.ts[0])
        return int(self.ts[self.bar]) + self.period_ms

    def last_price(self, symbol: str) -> float:
        """The latest price known now: the bar's close, or the first open before it."""
        if self.bar < 0:
            return float(self.data.arrays[symbol].open[0])
        return float(self.closes[symbol][self.bar])

    def free_balance(self, asset: str) -> float:
        return self.portfolio.balance(self.config.exchange, asset) - self.reserved.get(asset, 0.0)

    def set_timer(self, strategy: Strategy, at_ms: int, name: str) -> None:
        bar = int(np.searchsorted(self.ts + self.period_ms, at_ms, side="left"))
        heapq.heappush(
            self.timers, (max(bar, self.bar + 1), len(self.timers), strategy.strategy_id, name)
        )

    # -- equity --------------------------------------------------------------------------

    def _snapshot(self, bar: int) -> None:
        constant = self.portfolio.balance(self.config.exchange, self.config.quote_currency)
        quantities = []
        for symbol in self.symbols:
            instrument = self.instruments[symbol]
            if instrument.is_perpetual:
                position = self.portfolio.position(self.config.exchange, symbol)
                size = 0.0 if position is None else position.qty * instrument.contract_size
                constant -= size * (0.0 if position is None else position.avg_entry_price)
                quantities.append(size)
            else:
                quantities.append(self.portfolio.balance(self.config.exchange, instrument.base))
        books = {sid: run.book.linear_value() for sid, run in self.runs.items()}
        self.snapshots.append((bar, constant, quantities, books))

    def _result(self, run_id: str, elapsed: float) -> BacktestResult:
        n = len(self.ts)
        snap_bars = np.array([s[0] for s in self.snapshots], dtype=np.int64)
        which = np.searchsorted(snap_bars, np.arange(n), side="right") - 1
        constants = np.array([s[1] for s in self.snapshots])[which]
        quantities = np.array([s[2] for s in self.snapshots])[which]
        closes = np.column_stack([self.closes[s] for s in self.symbols])
        values = quantities * closes
        equity = constants + values.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            exposure = np.where(equity > 0, np.abs(values).sum(axis=1) / equity, 0.0)
        strategy_equity: dict[str, np.ndarray] = {}
        for sid in self.runs:
            parts = [s[3][sid] for s in self.snapshots]
            c = np.array([p[0] for p in parts])[which]
            q = np.array([[p[1].get(symbol, 0.0) for symbol in self.symbols] for p in parts])[which]
            strategy_equity[sid] = c + (q * closes).sum(axis=1)
        last_prices = {s: float(self.closes[s][-1]) for s in self.symbols}
        trades = build_trades(
            self.fill_records, last_ts_ms=int(self.ts[-1]) + self.period_ms, last_prices=last_prices
        )
        fills = pd.DataFrame(self.fill_rows, columns=list(FILL_COLUMNS)).astype(_FILL_DTYPES)
        rejections = pd.DataFrame(self.rejections, columns=list(_REJECTION_DTYPES)).astype(
            _REJECTION_DTYPES
        )
        return BacktestResult(
            run_id=run_id,
            timeframe=self.data.timeframe,
            ts_ms=self.ts,
            equity=equity,
            strategy_equity=strategy_equity,
            exposure=exposure,
            closes={s: self.closes[s] for s in self.symbols},
            fills=fills,
            trades=trades,
            initial_capital=self.config.initial_capital,
            quote_currency=self.config.quote_currency,
            rejections=rejections,
            bars_processed=n,
            events_processed=self.events,
            elapsed_s=elapsed,
            config={
                "timeframe": self.data.timeframe,
                "symbols": self.symbols,
                "initial_capital": self.config.initial_capital,
                "quote_currency": self.config.quote_currency,
                "skip_idle_bars": self.config.skip_idle_bars,
                "fill_model": {
                    k: getattr(self.config.fill_model, k) for k in self.config.fill_model.__slots__
                },
                "strategies": [run.strategy.describe() for run in self.runs.values()],
            },
        )


class _ChainState:
    """The engine as the pre-trade checks see it."""

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine

    def instrument(self, symbol: str) -> Instrument:
        return self._engine.instruments[symbol]

    def last_price(self, symbol: str) -> float:
        return self._engine.last_price(symbol)

    def free_balance(self, asset: str) -> float:
        return self._engine.free_balance(asset)

    def position_qty(self, symbol: str) -> float:
        return self._engine.venue.position(symbol)

    def taker_fee_rate(self) -> float:
        return self._engine.config.fill_model.taker_fee_pct / 100.0


class _Context:
    """What one strategy may do and read (:class:`~quantbot.strategies.base.StrategyContext`)."""

    def __init__(self, engine: _Engine, strategy: Strategy, book: StrategyBook) -> None:
        self._engine = engine
        self._strategy = strategy
        self._book = book

    @property
    def now_ms(self) -> int:
        return self._engine.now_ms

    def submit(
        self,
        symbol: str,
        side: Side,
        qty: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        price: float | None = None,
        stop_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str = "",
    ) -> Order | None:
        intent = OrderIntent(
            self._strategy.strategy_id,
            symbol,
            side,
            qty,
            order_type,
            price,
            stop_price,
            time_in_force,
            reduce_only,
            tag,
        )
        return self._engine.submit(self._strategy, intent)

    def cancel(self, client_order_id: ClientOrderId) -> None:
        self._engine.cancel(self._strategy, client_order_id)

    def position(self, symbol: str) -> Position:
        return self._book.position(self._engine.instruments[symbol])

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return [o for o in self._book.open_orders.values() if symbol is None or o.symbol == symbol]

    def instrument(self, symbol: str) -> Instrument:
        return self._engine.instruments[symbol]

    def last_price(self, symbol: str) -> float:
        return self._engine.last_price(symbol)

    def equity(self) -> float:
        prices = {s: self._engine.last_price(s) for s in self._book.positions}
        return self._book.equity(prices)

    def set_timer(self, at_ms: int, name: str = "") -> None:
        self._engine.set_timer(self._strategy, at_ms, name)
