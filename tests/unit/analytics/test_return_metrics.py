import math

import empyrical
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quantbot.analytics.daily_equity import DailyEquity
from quantbot.analytics.metrics import compute_metrics
from quantbot.analytics.return_metrics import (
    annual_return,
    annual_volatility,
    calmar_ratio,
    return_metrics,
    sharpe_ratio,
    sortino_ratio,
)

from .builders import DAY_MS, HOUR_MS, make_result

# Daily returns from -50 % to +50 % in steps of 0.0001 % (a hundredth of a basis point):
# finer steps are below what an equity curve in float64 can carry through its rounding.
RETURNS = st.lists(
    st.integers(-500_000, 500_000).map(lambda step: step / 1_000_000), min_size=2, max_size=400
)
RISK_FREE_PCT = st.sampled_from([0.0, 4.0])


def same(ours: float, theirs: float, *, abs_tol: float = 0.0) -> bool:
    """Equal to 1e-9 relative (or ``abs_tol``), or the same non-finite value."""
    if math.isnan(theirs) or math.isinf(theirs):
        return math.isnan(ours) if math.isnan(theirs) else ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=abs_tol)


def anchored(returns: list[float], start: float = 100.0) -> DailyEquity:
    values = start * np.cumprod(np.concatenate(([1.0], 1.0 + np.array(returns))))
    times = np.arange(len(values), dtype=np.int64) * DAY_MS
    return DailyEquity(close_ms=times, day_ms=times, values=values)


def test_a_curve_that_doubles_in_a_year_has_a_cagr_of_100_pct() -> None:
    equity = 1_000.0 * 2.0 ** (np.arange(1, 366) / 365)

    metrics = compute_metrics(make_result(equity, initial_capital=1_000.0)).overall.returns

    assert metrics.days == 365
    assert metrics.cagr_pct == pytest.approx(100.0, rel=1e-12)
    assert metrics.total_return_pct == pytest.approx(100.0, rel=1e-12)
    assert metrics.total_return_quote == pytest.approx(1_000.0, rel=1e-12)


def test_doubling_in_half_a_year_of_hourly_bars_compounds_to_300_pct_a_year() -> None:
    hours = 24 * 365 // 2 + 12  # 182.5 days rounds up to 183 daily closes
    equity = np.linspace(1_000.0, 2_000.0, hours)

    metrics = compute_metrics(
        make_result(equity, initial_capital=1_000.0, timeframe="1h", bar_ms=HOUR_MS)
    ).overall.returns

    assert metrics.days == 183
    assert metrics.cagr_pct == pytest.approx((2.0 ** (365 / 183) - 1) * 100.0, rel=1e-12)


def test_sortino_divides_by_the_root_mean_square_shortfall_over_all_days() -> None:
    returns = np.array([0.02, -0.01, 0.03, -0.02])
    downside = math.sqrt((0.01**2 + 0.02**2) / 4)  # the two up days count as zero shortfall

    expected = np.mean(returns) * 365 / (downside * math.sqrt(365))
    assert sortino_ratio(returns) == pytest.approx(expected, rel=1e-12)


def test_sharpe_subtracts_the_daily_share_of_the_annual_risk_free_rate() -> None:
    returns = np.array([0.01, -0.005, 0.02, 0.0])
    excess = returns - 0.0365 / 365

    expected = np.mean(excess) / np.std(excess, ddof=1) * math.sqrt(365)
    assert sharpe_ratio(returns, risk_free_daily=0.0365 / 365) == pytest.approx(expected)


def test_ratios_are_undefined_for_a_single_day() -> None:
    returns = np.array([0.01])

    assert math.isnan(sharpe_ratio(returns))
    assert math.isnan(sortino_ratio(returns))
    assert math.isnan(annual_volatility(returns))
    assert annual_return(returns) == pytest.approx(1.01**365 - 1)


def test_identical_gains_give_unbounded_sharpe_and_sortino_and_no_calmar() -> None:
    # Doubling every day: the curve (100 * 2**k) and its returns (exactly 1.0) are exact.
    metrics = return_metrics(anchored([1.0] * 10))

    assert metrics.sharpe == math.inf
    assert metrics.sortino == math.inf
    assert metrics.max_drawdown_pct == 0.0
    assert math.isnan(metrics.calmar)


def test_calmar_is_cagr_over_the_size_of_the_drawdown() -> None:
    assert calmar_ratio(0.3, -0.15) == pytest.approx(2.0)
    assert math.isnan(calmar_ratio(0.3, 0.0))


@given(RETURNS, RISK_FREE_PCT)
def test_ratios_agree_with_empyrical_on_the_same_daily_returns(
    returns: list[float], risk_free_pct: float
) -> None:
    daily = anchored(returns)
    ours = return_metrics(daily, risk_free_rate_pct=risk_free_pct)
    r = daily.returns  # what our curve yields; empyrical gets exactly the same numbers
    rf = risk_free_pct / 100 / 365

    assert same(ours.sharpe, empyrical.sharpe_ratio(r, risk_free=rf, annualization=365))
    assert same(ours.sortino, empyrical.sortino_ratio(r, required_return=rf, annualization=365))
    assert same(ours.cagr_pct / 100, empyrical.annual_return(r, annualization=365))
    assert same(ours.annual_volatility_pct / 100, empyrical.annual_volatility(r, annualization=365))
    assert same(ours.max_drawdown_pct / 100, empyrical.max_drawdown(r))
    assert same(ours.calmar, empyrical.calmar_ratio(r, annualization=365))


@given(RETURNS)
def test_the_anchored_curve_reproduces_the_returns_it_was_built_from(returns: list[float]) -> None:
    np.testing.assert_allclose(anchored(returns).returns, returns, rtol=0, atol=1e-12)


@given(st.lists(st.integers(-2_000, 2_000).map(lambda bp: bp / 10_000), min_size=3, max_size=120))
def test_metrics_of_an_hourly_backtest_agree_with_empyrical_on_its_daily_returns(
    returns: list[float],
) -> None:
    assume(np.std(returns) > 1e-4)
    closes = 10_000.0 * np.cumprod(1.0 + np.array(returns))
    # 24 hourly bars a day; intraday noise must not leak into the daily statistics.
    wiggle = 1.0 + 0.003 * np.sin(np.arange(24 * len(returns)))
    equity = np.repeat(closes, 24) * wiggle
    equity[23::24] = closes

    ours = compute_metrics(
        make_result(equity, initial_capital=10_000.0, timeframe="1h", bar_ms=HOUR_MS)
    ).overall.returns

    r = np.array(returns)
    # A zero mean comes back from the curve as ~1e-17: relative error means nothing there.
    assert same(ours.sharpe, empyrical.sharpe_ratio(r, annualization=365), abs_tol=1e-9)
    assert same(ours.sortino, empyrical.sortino_ratio(r, annualization=365), abs_tol=1e-9)
    assert same(ours.cagr_pct / 100, empyrical.annual_return(r, annualization=365))
    assert same(ours.max_drawdown_pct / 100, empyrical.max_drawdown(r))
    assert same(ours.calmar, empyrical.calmar_ratio(r, annualization=365))
