"""The portfolio limits: REQUIREMENTS.md §7's defaults, and values that make no sense refused."""

from __future__ import annotations

import math
import re

import pytest

from quantbot.core import InvalidValue
from quantbot.risk import RiskLimits


def test_defaults_are_the_requirements_numbers() -> None:
    limits = RiskLimits()

    assert (
        limits.max_risk_per_trade_pct,
        limits.max_order_size_usd,
        limits.max_total_exposure_pct,
        limits.max_single_pair_exposure_pct,
        limits.max_correlated_exposure_pct,
        limits.max_capital_per_exchange_pct,
        limits.reserve_cash_pct,
        limits.leverage_cap,
        limits.correlation_threshold,
        limits.correlation_window_days,
    ) == (2.0, 500.0, 60.0, 20.0, 35.0, 60.0, 20.0, 6.0, 0.8, 30)
    assert limits.asset_whitelist == limits.asset_blacklist == frozenset()
    assert limits.correlation_groups == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_total_exposure_pct", -1.0),
        ("max_order_size_usd", math.inf),
        ("reserve_cash_pct", math.nan),
        ("max_risk_per_trade_pct", -2),
    ],
)
def test_negative_or_non_finite_limits_are_refused(field: str, value: float) -> None:
    with pytest.raises(
        InvalidValue, match=re.escape(f"risk limit {field} {value}, must be finite and >= 0")
    ):
        RiskLimits(**{field: value})  # type: ignore[arg-type]


def test_zero_limit_is_allowed_it_forbids_what_it_bounds() -> None:
    assert RiskLimits(max_total_exposure_pct=0.0).max_total_exposure_pct == 0.0


def test_leverage_cap_must_be_positive() -> None:
    with pytest.raises(InvalidValue, match=r"leverage_cap 0\.0, must be > 0"):
        RiskLimits(leverage_cap=0.0)


@pytest.mark.parametrize("threshold", [0.0, 1.01])
def test_correlation_threshold_outside_zero_to_one_is_refused(threshold: float) -> None:
    with pytest.raises(InvalidValue, match=r"correlation_threshold .*, must be in \(0, 1\]"):
        RiskLimits(correlation_threshold=threshold)


def test_correlation_window_needs_two_returns() -> None:
    assert RiskLimits(correlation_window_days=2).correlation_window_days == 2
    with pytest.raises(InvalidValue, match="correlation_window_days 1, must be >= 2"):
        RiskLimits(correlation_window_days=1)


def test_an_asset_both_white_and_blacklisted_is_refused() -> None:
    with pytest.raises(
        InvalidValue, match=r"assets \['ETH'\] are both whitelisted and blacklisted"
    ):
        RiskLimits(asset_whitelist=frozenset({"BTC", "ETH"}), asset_blacklist=frozenset({"ETH"}))
