"""``funding_arb`` in whole backtests: real spot + perpetual candles with the recorded funding, and the synthetic market.

Behaviour checked on every run (never a P&L figure):

- a position is entered only on a candle whose funding estimate is above
  ``min_funding_rate`` with the basis inside ``max_basis_divergence_pct``, and unwound
  only on one where its exit condition holds;
- at most ``max_positions`` positions at once, each sized to ``position_size_pct`` of
  the strategy's equity (spot notional plus perpetual margin), rounded down to a lot;
- once the strategy has reacted to a bar, an open position's legs hold the same base
  amount within ``rebalance_threshold_pct`` (or the lot, when that is coarser), unless
  a trim is on its way; a closed position is flat on both legs;
- funding: every position's funding is what the settlements paid on its short, and
  it is positive for a position held through settlements that all paid the shorts;
- ``summary.json``'s ``strategies`` object breaks the strategy's P&L into funding,
  fees, slippage and price (basis) P&L, which add up to its total return and agree
  with the strategy's own per-position attribution.

On the Binance BTC/USDT spot and USD-M perpetual candles of ``../shared/data`` with
the recorded funding (skipped when absent): 1m candles of the weeks both cover, where
funding stayed at or under the 0.01 % baseline, and 1h candles of early 2021, when it
paid the shorts far above the entry threshold. On seeded synthetic markets of three
pairs under fill models from frictionless to volume-starved with latency.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integration.engine.backtest_runs import fill_models
from quantbot.analytics import analyse_backtest, summary_document
from quantbot.config import load_config
from quantbot.config.settings import DataQualitySettings
from quantbot.core import Fill, Order
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.backtest_job import BacktestRequest, prepare_backtest
from quantbot.engine.loading import from_synthetic
from quantbot.engine.results import BacktestResult
from quantbot.strategies.base import Bar, StrategyContext
from quantbot.strategies.funding_arb import FundingArb
from quantbot.strategies.funding_arb_params import FundingArbParams
from quantbot.strategies.funding_arb_position import ArbAction, ArbState, attribution
from quantbot.strategies.funding_arb_signal import FundingSignals, funding_signals
from quantbot.venues.simulated import FillModel

from factories import START_MS
from fixtures.cli import quantbot

SPOT_1M, PERP_1M = "binance_BTC-USDT_1m.csv.gz", "binance-usdm_BTC-USDT-PERP_1m.csv.gz"
SPOT_1H, PERP_1H = "binance_BTC-USDT_1h.csv.gz", "binance-usdm_BTC-USDT-PERP_1h.csv.gz"
FUNDING = "binance-usdm_BTC-USDT-PERP_funding.csv.gz"
MAY_20_2025, JUNE_1_2025 = 1_747_699_200_000, 1_748_736_000_000
"""The first day both 1m files cover, and the first settlement after it that paid the longs."""
JAN_1_2021, FEB_11_2021 = 1_609_459_200_000, 1_613_001_600_000
"""Six weeks of 2021 funding far above 0.03 %, without a gap in the spot 1h candles."""
BREAKDOWN = ("funding_net_quote", "fees_paid_quote", "slippage_paid_quote", "price_pnl_quote")
SYNTHETIC_SPOTS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
SYNTHETIC_PARAMS = {
    "min_funding_rate": 0.02,
    "exit_funding_rate": 0.012,
    "premium_clamp_pct": 0.0,
    "funding_interval_hours": 1,
    "max_basis_divergence_pct": 0.1,
}
"""As in the no-lookahead test: the estimate follows the synthetic premium closely, and
both exits happen within days."""


class Observed(FundingArb):
    """``FundingArb`` that notes, after each of its callbacks, every active position's legs.

    ``seen`` holds ``(now_ms, spot, state, long, short, working)`` rows: the base
    amounts held by each leg and whether an order is working on either.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[tuple[int, str, ArbState, float, float, bool]] = []

    def _note(self, ctx: StrategyContext) -> None:
        for position in self.open_positions():
            long, short = position.legs(ctx)
            working = bool(ctx.open_orders(position.spot) or ctx.open_orders(position.perp))
            self.seen.append((ctx.now_ms, position.spot, position.state, long, short, working))

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        super().on_candle(bar, ctx)
        self._note(ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        super().on_fill(fill, ctx)
        self._note(ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        super().on_order_update(order, ctx)
        self._note(ctx)

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        super().on_timer(name, ctx)
        self._note(ctx)


def _real_run(
    shared_data: Path,
    spot: str,
    perp: str,
    *,
    start_ms: int,
    end_ms: int,
    params: dict[str, Any] | None = None,
) -> tuple[BacktestData, BacktestResult, Observed]:
    """The run ``quantbot backtest -s funding_arb --data ... --funding ...`` sets up."""
    request = BacktestRequest(
        strategies=("funding_arb",),
        params={"funding_arb": params or {}},
        data=(f"BTC/USDT={shared_data / spot}", f"BTC/USDT:USDT={shared_data / perp}"),
        funding=(f"BTC/USDT:USDT={shared_data / FUNDING}",),
        start_ms=start_ms,
        end_ms=end_ms,
        # The strategy's own sizing is under test: max_order_size_usd 500 of the default
        # risk manager would cut its legs of about 730 USDT.
        risk=False,
    )
    prepared = prepare_backtest(load_config(None, environ={}), request)
    (built,) = prepared.strategies
    assert isinstance(built, FundingArb)
    arb = Observed(built.params, symbols=built.symbols, timeframe=built.timeframe)
    data = prepared.market.data
    return data, run_backtest(data, [arb], prepared.config), arb


def _settled(shared_data: Path, start_ms: int, end_ms: int) -> pd.Series:
    """The recorded funding rates settled in ``[start_ms, end_ms)``, percent per 8 h."""
    frame = pd.read_csv(shared_data / FUNDING)
    inside = frame[(frame["timestamp"] >= start_ms) & (frame["timestamp"] < end_ms)]
    return inside.set_index("timestamp")["funding_rate"] * 100.0


def _signals(data: BacktestData, arb: FundingArb) -> dict[str, FundingSignals]:
    """Each pair's signals, recomputed from the run's candles."""
    assert arb.timeframe == data.timeframe
    return {
        spot: funding_signals(
            data.arrays[spot].close, data.arrays[perp].close, arb.params, arb.timeframe
        )
        for spot, perp in arb.pairs
    }


def _bar_of_close(data: BacktestData, close_ms: int) -> int:
    """The bar that closes at ``close_ms``."""
    bar_ms = int(data.ts_ms[1] - data.ts_ms[0])
    k = int(np.searchsorted(data.ts_ms, close_ms - bar_ms))
    assert data.ts_ms[k] == close_ms - bar_ms
    return k


def _check_decisions(data: BacktestData, arb: FundingArb) -> None:
    """Entries only on an entry signal, exits only on their condition, sizes to the budget."""
    p: FundingArbParams = arb.params
    signals = _signals(data, arb)
    for decision in arb.decisions:
        k = _bar_of_close(data, decision.ts_ms)
        signal = signals[decision.pair]
        if decision.action is ArbAction.ENTER:
            assert signal.funding_rate_pct[k] > p.min_funding_rate, decision
            assert abs(signal.basis_pct[k]) <= p.max_basis_divergence_pct, decision
        elif decision.action is ArbAction.EXIT and "decided while entering" not in decision.reason:
            if decision.reason.startswith("funding_below_exit"):
                assert signal.funding_rate_pct[k] < p.exit_funding_rate, decision
            elif decision.reason.startswith("basis_divergence"):
                assert abs(signal.basis_pct[k]) > p.max_basis_divergence_pct, decision
            else:
                assert decision.reason.startswith("leg_failed"), decision
    entered = {(d.ts_ms, d.pair) for d in arb.decisions if d.action is ArbAction.ENTER}
    assert {(position.decided_ms, position.spot) for position in arb.positions} <= entered


def _check_sizes(data: BacktestData, result: BacktestResult, arb: FundingArb) -> None:
    """Spot notional plus perpetual margin at the decision: the budget, less under a lot."""
    p: FundingArbParams = arb.params
    equity = result.strategy_equity[arb.strategy_id]
    for position in arb.positions:
        k = _bar_of_close(data, position.decided_ms)
        spot, perp = data.instruments[position.spot], data.instruments[position.perp]
        lot = max(spot.lot_size or 0.0, (perp.lot_size or 0.0) * perp.contract_size)
        per_unit = (
            data.arrays[position.spot].close[k] + data.arrays[position.perp].close[k] / p.leverage
        )
        budget_qty = equity[k] * p.position_size_pct / 100.0 / per_unit
        assert budget_qty - lot - 1e-9 <= position.qty <= budget_qty * (1 + 1e-9), position


def _check_concurrency(arb: FundingArb, end_ms: int) -> None:
    """Never more than ``max_positions`` positions between their decision and their close."""
    edges = sorted(
        [(position.decided_ms, 1) for position in arb.positions]
        + [(position.closed_ms or end_ms + 1, -1) for position in arb.positions],
        key=lambda edge: (edge[0], edge[1]),
    )
    held = np.cumsum([step for _, step in edges]) if edges else np.zeros(1)
    assert held.max() <= arb.params.max_positions


def _check_legs(data: BacktestData, result: BacktestResult, arb: Observed) -> None:
    """Open positions hedged once the strategy has reacted to a bar; closed ones flat."""
    p: FundingArbParams = arb.params
    last: dict[tuple[int, str], tuple[ArbState, float, float, bool]] = {}
    for now_ms, spot, state, long, short, working in arb.seen:
        last[(now_ms, spot)] = (state, long, short, working)
    perp_of = dict(arb.pairs)
    open_checked = 0
    for (now_ms, spot), (state, long, short, working) in last.items():
        if state is not ArbState.OPEN or working:
            continue
        perp = data.instruments[perp_of[spot]]
        lot = max(
            data.instruments[spot].lot_size or 0.0, (perp.lot_size or 0.0) * perp.contract_size
        )
        allowed = max(max(long, short) * p.rebalance_threshold_pct / 100.0, lot * (1 + 1e-9))
        assert abs(long - short) <= allowed, (now_ms, spot, long, short)
        open_checked += 1
    assert open_checked or not any(position.held_qty for position in arb.positions)
    fills = result.fills
    signed = np.where(fills["side"] == "buy", 1.0, -1.0) * fills["qty"].to_numpy()
    for position in arb.positions:
        if position.closed_ms is None:
            continue
        for symbol in (position.spot, position.perp):
            mine = ((fills["symbol"] == symbol) & (fills["ts_ms"] < position.closed_ms)).to_numpy()
            assert signed[mine].sum() == pytest.approx(0.0, abs=1e-9), (position, symbol)


def _check_funding(result: BacktestResult, arb: FundingArb) -> None:
    """Each position's funding is what its short was paid; positive when every rate was."""
    paid = result.funding[result.funding["strategy"] == arb.strategy_id]
    end_ms = int(result.ts_ms[-1]) + int(result.ts_ms[1] - result.ts_ms[0])
    for position in arb.positions:
        held = paid[
            (paid["symbol"] == position.perp)
            & (paid["ts_ms"] > position.decided_ms)
            & (paid["ts_ms"] <= (position.closed_ms or end_ms))
        ]
        assert position.funding == pytest.approx(held["amount"].sum(), rel=1e-9, abs=1e-9)
        assert (held["position_qty"] < 0).all()  # only ever the short leg
        if len(held) and (held["rate"] > 0).all():
            assert position.funding > 0, position
    assert sum(position.funding for position in arb.positions) == pytest.approx(
        paid["amount"].sum(), rel=1e-9, abs=1e-9
    )


def _check_summary(result: BacktestResult, arb: FundingArb) -> dict[str, Any]:
    """``summary.json``'s breakdown of the strategy: adds up, and agrees with its positions."""
    document = json.loads(json.dumps(summary_document(analyse_backtest(result)), allow_nan=False))
    mine = document["strategies"][arb.strategy_id]
    funding, fees, slippage, price = (mine[key] for key in BREAKDOWN)
    assert funding - fees - slippage + price == pytest.approx(
        mine["total_return_quote"], rel=1e-9, abs=1e-6
    )
    rows = attribution(arb.positions, result.fills)
    assert funding == pytest.approx(rows["funding"].sum(), rel=1e-9, abs=1e-9)
    assert fees == pytest.approx(rows["fees"].sum(), rel=1e-9, abs=1e-9)
    assert slippage == pytest.approx(rows["slippage"].sum(), rel=1e-9, abs=1e-9)
    if not arb.open_positions():  # open ones: the strategy marks the close, the engine the mark
        assert price == pytest.approx(rows["basis_pnl"].sum(), rel=1e-9, abs=1e-6)
    return mine


def _check_run(data: BacktestData, result: BacktestResult, arb: Observed) -> dict[str, Any]:
    """Every behaviour of the module docstring; returns the strategy's summary."""
    _check_decisions(data, arb)
    _check_sizes(data, result, arb)
    _check_concurrency(arb, int(data.ts_ms[-1]))
    _check_legs(data, result, arb)
    _check_funding(result, arb)
    return _check_summary(result, arb)


# -- real data ----------------------------------------------------------------------------


def test_the_documented_run_on_real_1m_data_opens_nothing_while_funding_stays_at_the_baseline(
    workdir: Path, shared_data: Path
) -> None:
    result = quantbot(
        "backtest",
        "--strategy",
        "funding_arb",
        "--data",
        f"BTC/USDT={shared_data / SPOT_1M}",
        "--data",
        f"BTC/USDT:USDT={shared_data / PERP_1M}",
        "--funding",
        f"BTC/USDT:USDT={shared_data / FUNDING}",
        "--out",
        "out",
    )

    assert result.exit_code == 0, result.output
    summary = json.loads((workdir / "out" / "summary.json").read_text())
    start_ms, end_ms = (
        int(pd.Timestamp(summary[k]).value // 1_000_000) for k in ("start_time", "end_time")
    )
    # What the defaults wait for never came: the settled rates stayed under 0.03 %.
    assert _settled(shared_data, start_ms, end_ms).max() <= FundingArbParams().min_funding_rate
    mine = summary["strategies"]["funding_arb"]
    assert summary["num_fills"] == 0
    assert {key: mine[key] for key in BREAKDOWN} == dict.fromkeys(BREAKDOWN, 0.0)
    assert summary["final_equity"] == summary["initial_capital"]


def test_real_1m_data_with_lower_thresholds_collects_the_positive_funding_of_late_may(
    workdir: Path, shared_data: Path
) -> None:
    # Every settlement of these twelve days paid the shorts, at most 0.01 %; entering
    # above 0.008 % catches the days the perpetual traded at its richest.
    assert (_settled(shared_data, MAY_20_2025, JUNE_1_2025) > 0).all()
    params = {"min_funding_rate": 0.008, "exit_funding_rate": 0.002}

    data, result, arb = _real_run(
        shared_data, SPOT_1M, PERP_1M, start_ms=MAY_20_2025, end_ms=JUNE_1_2025, params=params
    )

    mine = _check_run(data, result, arb)
    assert len(arb.positions) >= 2
    assert mine["funding_net_quote"] > 0
    assert mine["fees_paid_quote"] > 0
    assert mine["slippage_paid_quote"] > 0


def test_real_1h_data_of_early_2021_holds_the_hedge_through_funding_far_above_the_threshold(
    workdir: Path, shared_data: Path
) -> None:
    settled = _settled(shared_data, JAN_1_2021, FEB_11_2021)
    assert (settled > 0).all()
    assert settled.mean() > FundingArbParams().min_funding_rate

    data, result, arb = _real_run(
        shared_data, SPOT_1H, PERP_1H, start_ms=JAN_1_2021, end_ms=FEB_11_2021
    )

    mine = _check_run(data, result, arb)
    assert arb.positions
    first = arb.positions[0]
    assert first.decided_ms == data.ts_ms[7] + 3_600_000  # the first full 8h window
    # The funding it collected dwarfs what the basis and the costs took.
    assert mine["funding_net_quote"] > 0
    assert mine["total_return_quote"] > 0
    assert mine["funding_net_quote"] > abs(mine["price_pnl_quote"]) + mine["fees_paid_quote"]


# -- synthetic market ---------------------------------------------------------------------


def _synthetic(seed: int) -> BacktestData:
    symbols = [*SYNTHETIC_SPOTS, *(f"{spot}:USDT" for spot in SYNTHETIC_SPOTS)]
    return from_synthetic(
        symbols, start_ms=START_MS, days=3, seed=seed, quality=DataQualitySettings()
    ).data


@settings(max_examples=10)
@given(seed=st.integers(0, 20), model=fill_models)
def test_on_synthetic_markets_every_run_keeps_its_rules_whatever_the_fills(
    seed: int, model: FillModel
) -> None:
    data = _synthetic(seed)
    arb = Observed(FundingArbParams(**SYNTHETIC_PARAMS), symbols=list(SYNTHETIC_SPOTS))

    result = run_backtest(data, [arb], BacktestConfig(100_000.0, fill_model=model))

    _check_run(data, result, arb)
    assert arb.positions


def test_the_synthetic_cli_run_reports_the_breakdown_for_every_strategy(workdir: Path) -> None:
    # Funding arbitrage beside a template trading both markets, in one account.
    result = quantbot(
        "backtest",
        "--strategy",
        "funding_arb",
        "--strategy",
        "ema_cross",
        "--symbols",
        "BTC/USDT,BTC/USDT:USDT",
        "--days",
        "10",
        "--out",
        "out",
    )

    assert result.exit_code == 0, result.output
    summary = json.loads((workdir / "out" / "summary.json").read_text())
    for name, scope in [("overall", summary["overall"]), *summary["strategies"].items()]:
        funding, fees, slippage, price = (scope[key] for key in BREAKDOWN)
        assert funding - fees - slippage + price == pytest.approx(
            scope["total_return_quote"], rel=1e-9, abs=1e-6
        ), name
    received = [scope["funding_net_quote"] for scope in summary["strategies"].values()]
    assert sum(received) == pytest.approx(summary["funding_net"], rel=1e-9, abs=1e-9)
    assert "Funding net" in result.output
    assert "Price P&L" in result.output
