import functools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.analytics import AnalyticsError, EmptyBacktest, compute_metrics
from quantbot.config.settings import DataQualitySettings
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.loading import from_synthetic
from quantbot.engine.results import BacktestResult
from quantbot.strategies import create_strategy
from quantbot.venues.simulated import FillModel, MarginModel
from unit.engine.strategies_for_tests import MixedOrders, MixedOrdersParams

from .builders import DAY_MS, START_MS, fill, make_result, trade


def two_strategy_result() -> BacktestResult:
    grid = np.array([500.0, 520.0, 510.0, 540.0])
    ema = np.array([500.0, 490.0, 495.0, 480.0])
    return make_result(
        grid + ema,
        initial_capital=1_000.0,
        strategy_equity={"grid": grid, "ema": ema},
        trades=[
            trade(
                strategy="grid", pnl=40.0, entry_ts_ms=START_MS, exit_ts_ms=START_MS + 3 * DAY_MS
            ),
            trade(
                strategy="ema",
                pnl=-20.0,
                entry_ts_ms=START_MS + DAY_MS,
                exit_ts_ms=START_MS + 2 * DAY_MS,
            ),
        ],
        fills=[fill(strategy="grid", fee=1.0), fill(strategy="ema", fee=2.0)],
        exposure=[0.5, 0.0, 0.0, 0.0],
    )


def test_each_strategy_is_measured_on_its_own_curve_trades_and_fills() -> None:
    metrics = compute_metrics(two_strategy_result())

    grid, ema = metrics.strategies["grid"], metrics.strategies["ema"]
    assert grid.returns.initial_equity == 500.0
    assert grid.returns.total_return_pct == pytest.approx(8.0)
    assert ema.returns.total_return_pct == pytest.approx(-4.0)
    assert (grid.trades.num_trades, grid.trades.expectancy_quote) == (1, 40.0)
    assert (ema.trades.num_trades, ema.trades.expectancy_quote) == (1, -20.0)
    assert (grid.trades.fees_paid_quote, ema.trades.fees_paid_quote) == (1.0, 2.0)
    # grid holds bars 0..2 (exits on bar 3), ema holds bar 1 only.
    assert grid.trades.exposure_time_pct == 75.0
    assert ema.trades.exposure_time_pct == 25.0


def test_overall_figures_use_the_account_equity_all_trades_and_account_exposure() -> None:
    overall = compute_metrics(two_strategy_result()).overall

    assert overall.returns.initial_equity == 1_000.0
    assert overall.returns.final_equity == 1_020.0
    assert overall.trades.num_trades == 2
    assert overall.trades.fees_paid_quote == 3.0
    assert overall.trades.exposure_time_pct == 25.0


def test_to_dict_is_strict_json_with_iso_times_and_null_for_undefined() -> None:
    metrics = compute_metrics(
        make_result([100.0, 90.0, 95.0], initial_capital=100.0, trades=[trade(pnl=3.0)])
    )

    document = metrics.to_dict()
    text = json.dumps(document, allow_nan=False)

    overall = json.loads(text)["overall"]
    assert overall["profit_factor"] is None  # unbounded: no losing trade
    assert overall["sqn"] is None  # undefined: one trade
    # The peak is the latest close at the high: the first day's close (= the start).
    assert overall["max_drawdown_peak_time"] == "2024-01-02T00:00:00.000Z"
    assert overall["max_drawdown_trough_time"] == "2024-01-03T00:00:00.000Z"
    assert overall["max_drawdown_recovery_time"] is None
    assert "max_drawdown_peak_ts_ms" not in overall
    assert math.isclose(overall["max_drawdown_pct"], -10.0)
    assert set(document["strategies"]) == {"ema"}


def test_a_result_without_bars_is_refused() -> None:
    result = make_result(np.array([100.0]))
    empty = BacktestResult(
        run_id="empty",
        timeframe="1m",
        ts_ms=np.array([], dtype=np.int64),
        equity=np.array([]),
        strategy_equity={},
        exposure=np.array([]),
        closes={},
        fills=result.fills,
        trades=result.trades,
        initial_capital=100.0,
        quote_currency="USDT",
    )

    with pytest.raises(EmptyBacktest, match="empty"):
        compute_metrics(empty)


def test_an_empty_frame_without_columns_means_no_fills() -> None:
    result = make_result([100.0, 101.0])
    bare = BacktestResult(**{**result.__dict__, "fills": pd.DataFrame(), "trades": pd.DataFrame()})

    metrics = compute_metrics(bare).overall.trades

    assert (metrics.num_trades, metrics.fees_paid_quote) == (0, 0.0)


def test_a_trades_frame_missing_a_column_is_reported_by_name() -> None:
    result = make_result([100.0, 101.0], trades=[trade()])
    broken = BacktestResult(**{**result.__dict__, "trades": result.trades.drop(columns=["pnl"])})

    with pytest.raises(AnalyticsError, match="lacks columns pnl"):
        compute_metrics(broken)


@functools.cache
def _spot_and_perpetual(seed: int) -> BacktestData:
    """A day of the synthetic BTC spot and perpetual market, with its funding."""
    symbols = ["BTC/USDT", "BTC/USDT:USDT"]
    return from_synthetic(
        symbols, start_ms=START_MS, days=1, seed=seed, quality=DataQualitySettings()
    ).data


@settings(max_examples=8)
@given(
    seed=st.integers(0, 10),
    fee_pct=st.sampled_from([0.0, 0.1]),
    slippage_pct=st.sampled_from([0.0, 0.05]),
    leverage=st.sampled_from([1.0, 50.0]),
)
def test_each_scopes_pnl_parts_add_up_to_the_change_of_its_equity(
    seed: int, fee_pct: float, slippage_pct: float, leverage: float
) -> None:
    # A funding arbitrage (funding on its short) beside random orders on both markets
    # (longs paying funding, liquidations at 50x), in one account.
    data = _spot_and_perpetual(seed)
    arbitrage = create_strategy(
        "funding_arb",
        {
            "min_funding_rate": 0.02,
            "exit_funding_rate": 0.012,
            "premium_clamp_pct": 0.0,
            "funding_interval_hours": 1,
        },
        symbols=["BTC/USDT"],
        timeframe="1m",
    )
    mixed = MixedOrders(
        MixedOrdersParams(seed=seed, every=7, qty=0.5),
        symbols=["BTC/USDT", "BTC/USDT:USDT"],
        strategy_id="mixed",
    )
    config = BacktestConfig(
        100_000.0,
        fill_model=FillModel(fee_pct, fee_pct, slippage_pct),
        margin=MarginModel(leverage=leverage),
    )
    result = run_backtest(data, [arbitrage, mixed], config)

    metrics = compute_metrics(result)

    assert len(result.funding)  # funding was settled on someone's position
    for scope in [metrics.overall, *metrics.strategies.values()]:
        t = scope.trades
        parts = t.funding_net_quote - t.fees_paid_quote - t.slippage_paid_quote + t.price_pnl_quote
        assert parts == pytest.approx(scope.returns.total_return_quote, rel=1e-9, abs=1e-6)
    funding_by_strategy = result.funding.groupby("strategy")["amount"].sum()
    for name, scope in metrics.strategies.items():
        received = float(funding_by_strategy.get(name, 0.0))
        assert scope.trades.funding_net_quote == pytest.approx(received, rel=1e-12, abs=1e-9)
