"""Properties of the risk manager in the engine, on random orders over random markets.

A strategy places a seeded random stream of spot orders — market and limit buys of
random sizes, reduce-only sells of part of what it holds, cancels — on two symbols,
against limits drawn at random, with a daily breaker tight enough to trip. Before each
order it computes the account's state itself, from what a strategy sees (it holds all
the capital, so its book is the account); after each it checks:

- an accepted order that opens never left a limit above its bound at the time it was
  accepted: exposure (total, per pair, per correlated group, per exchange), leverage,
  order size and reserve cash, unless it lowered that exposure (as the rules allow);
- an accepted opening order was never decided while a circuit breaker was in force, and
  in recovery mode it was cut to at most half of what was asked;
- closing orders are always accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from backtest_runs import BTC, CAPITAL, ETH, market, tight_risk
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.core import OrderState, OrderType, Side
from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import RiskLimits, worst_case_qty
from quantbot.strategies import Bar, Strategy, StrategyContext
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import NoParams

TAKER = 0.001
MODEL = FillModel(maker_fee_pct=0.05, taker_fee_pct=100 * TAKER, max_volume_share=None)
SLACK = 1e-6
"""Relative tolerance between the state computed here and the engine's (float sums)."""


@dataclass
class Accepted:
    """An opening order the chain let through, with the state it was accepted in."""

    ts_ms: int
    asked: float
    qty: float
    violations: list[str] = field(default_factory=list)


class RandomOrders(Strategy):
    """Places seeded random orders and checks each accepted one against the limits."""

    name = "random_orders"
    Params = NoParams

    def __init__(self, seed: int, limits: RiskLimits, every: int) -> None:
        super().__init__(NoParams(), symbols=[BTC, ETH], strategy_id="random")
        self.rng = np.random.default_rng(seed)
        self.limits = limits
        self.every = every
        self.accepted: list[Accepted] = []
        self.closing_rejected: list[str] = []
        self.closing = 0

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        if bar.symbol != BTC or bar.index % self.every:
            return
        symbol = BTC if self.rng.random() < 0.6 else ETH
        action = self.rng.random()
        held = ctx.position(symbol).qty
        if action < 0.25 and held > 0.01:
            self._close(ctx, symbol, held)
        elif action < 0.35:
            orders = ctx.open_orders()
            if orders:
                ctx.cancel(orders[int(self.rng.integers(len(orders)))].client_order_id)
        else:
            self._open(ctx, symbol)

    def _close(self, ctx: StrategyContext, symbol: str, held: float) -> None:
        if any(o.side is Side.SELL for o in ctx.open_orders(symbol)):
            return  # the base is committed already
        qty = round(held * float(self.rng.uniform(0.2, 1.0)), 5)
        if qty <= 0.0:
            return
        self.closing += 1
        order = ctx.submit(symbol, Side.SELL, qty, reduce_only=True)
        if order is None or order.state is OrderState.REJECTED:
            self.closing_rejected.append(order.history[-1].reason if order else "None")

    def _open(self, ctx: StrategyContext, symbol: str) -> None:
        price = ctx.last_price(symbol)
        notional = float(self.rng.choice([500.0, 5_000.0, 20_000.0, 60_000.0]))
        qty = round(notional / price, 5)
        limit = self.rng.random() < 0.5
        limit_price = round(price * float(self.rng.uniform(0.98, 0.999)), 2) if limit else None
        state = _State.read(ctx, self.symbols)
        order = ctx.submit(
            symbol,
            Side.BUY,
            qty,
            order_type=OrderType.LIMIT if limit else OrderType.MARKET,
            price=limit_price,
        )
        if order is None or order.state is OrderState.REJECTED:
            return
        reference = order.price if order.price is not None else price
        self.accepted.append(
            Accepted(
                ctx.now_ms,
                qty,
                order.qty,
                state.violations(self.limits, symbol, order.qty, reference),
            )
        )


@dataclass
class _State:
    """The account as the strategy computes it: equity, positions, pending buys, cash."""

    equity: float
    prices: dict[str, float]
    positions: dict[str, float]
    pending_buys: dict[str, float]
    pending_sells: dict[str, float]
    cash: float

    @classmethod
    def read(cls, ctx: StrategyContext, symbols: list[str]) -> _State:
        prices = {s: ctx.last_price(s) for s in symbols}
        positions = {s: ctx.position(s).qty for s in symbols}
        buys = dict.fromkeys(symbols, 0.0)
        sells = dict.fromkeys(symbols, 0.0)
        committed = 0.0
        for order in ctx.open_orders():
            if order.side is Side.BUY:
                buys[order.symbol] += order.remaining_qty
                reference = order.price if order.price is not None else prices[order.symbol]
                committed += order.remaining_qty * reference * (1.0 + TAKER)
            elif not order.reduce_only:
                sells[order.symbol] += order.remaining_qty
        equity = ctx.equity()
        quote = equity - sum(positions[s] * prices[s] for s in symbols)
        return cls(equity, prices, positions, buys, sells, quote - committed)

    def exposure(self, symbol: str, bought: float = 0.0) -> float:
        qty = worst_case_qty(
            self.positions[symbol] + bought, self.pending_buys[symbol], self.pending_sells[symbol]
        )
        return qty * self.prices[symbol]

    def violations(
        self, limits: RiskLimits, symbol: str, qty: float, reference: float
    ) -> list[str]:
        """The limits an opening buy of ``qty`` at ``reference`` takes above their bound."""
        found = []
        equity = self.equity
        others = sum(self.exposure(s) for s in self.prices if s != symbol)
        pair_before, pair_after = self.exposure(symbol), self.exposure(symbol, qty)
        total_before, total_after = others + pair_before, others + pair_after
        bounds = {
            "max_total_exposure_pct": (total_before, total_after, limits.max_total_exposure_pct),
            "max_single_pair_exposure_pct": (
                pair_before,
                pair_after,
                limits.max_single_pair_exposure_pct,
            ),
            "max_correlated_exposure_pct": (
                pair_before,
                pair_after,
                limits.max_correlated_exposure_pct,
            ),
            "max_capital_per_exchange_pct": (
                total_before,
                total_after,
                limits.max_capital_per_exchange_pct,
            ),
            "leverage_cap": (total_before, total_after, 100.0 * limits.leverage_cap),
        }
        for name, (before, after, pct) in bounds.items():
            bound = pct * equity / 100.0
            if after > before * (1 + SLACK) and after > bound * (1 + SLACK):
                found.append(f"{name}: {after:.2f} > {bound:.2f}")
        if qty * reference > limits.max_order_size_usd * (1 + SLACK):
            found.append(f"max_order_size_usd: {qty * reference:.2f}")
        left = self.cash - qty * reference * (1.0 + TAKER)
        reserve = limits.reserve_cash_pct * equity / 100.0
        if left < reserve - SLACK * equity:
            found.append(f"reserve_cash_pct: {left:.2f} < {reserve:.2f}")
        return found


limits_drawn = st.builds(
    RiskLimits,
    max_order_size_usd=st.sampled_from([10_000.0, 30_000.0, 1e9]),
    max_total_exposure_pct=st.sampled_from([30.0, 60.0, 100.0]),
    max_single_pair_exposure_pct=st.sampled_from([20.0, 40.0, 100.0]),
    max_correlated_exposure_pct=st.sampled_from([25.0, 100.0]),
    max_capital_per_exchange_pct=st.sampled_from([50.0, 100.0]),
    reserve_cash_pct=st.sampled_from([0.0, 20.0, 50.0]),
    leverage_cap=st.sampled_from([0.4, 6.0]),
)


@settings(max_examples=25)
@given(
    market_seed=st.integers(0, 40),
    strategy_seed=st.integers(0, 10_000),
    limits=limits_drawn,
    daily_pct=st.sampled_from([0.05, 0.2, 1.0]),
    every=st.sampled_from([3, 10]),
)
def test_no_accepted_opening_order_breaks_a_limit_and_closing_orders_always_pass(
    market_seed: int, strategy_seed: int, limits: RiskLimits, daily_pct: float, every: int
) -> None:
    setup: RiskSetup = tight_risk(
        daily_pct=daily_pct, weekly_pct=10 * daily_pct, brakes_pct=(), shock_pct=5.0, limits=limits
    )
    strategy = RandomOrders(strategy_seed, limits, every)
    config = BacktestConfig(initial_capital=CAPITAL, fill_model=MODEL, risk=setup)

    result = run_backtest(market(market_seed, minutes=1440, symbols=(BTC, ETH)), [strategy], config)

    assert strategy.accepted or not result.rejections.empty
    assert [a for a in strategy.accepted if a.violations] == []
    assert strategy.closing_rejected == []
    events = result.risk_events
    trips = events[events["kind"].str.endswith(("CIRCUIT_BREAK", "SHUTDOWN"))]["ts_ms"].tolist()
    resumes = events[events["kind"] == "RESUMED"]["ts_ms"].tolist()
    breaks = [(t, next((r for r in resumes if r > t), 2**62)) for t in trips]
    starts = events[events["kind"] == "RECOVERY_STARTED"]["ts_ms"].tolist()
    ends = [*events[events["kind"] == "RECOVERY_ENDED"]["ts_ms"], *trips]
    recoveries = [(s, min([e for e in ends if e > s] + [2**62])) for s in starts]
    for accepted in strategy.accepted:
        assert not any(begin <= accepted.ts_ms < end for begin, end in breaks)
        if any(begin <= accepted.ts_ms < end for begin, end in recoveries):
            assert accepted.qty <= accepted.asked / 2 + 1e-5
