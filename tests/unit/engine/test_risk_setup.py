"""``risk_management`` mapped onto the risk layer: every key reaches its parameter."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantbot.config import ConfigError, load_config
from quantbot.engine.risk_setup import risk_setup
from quantbot.risk import DEFAULT_BRAKE_LEVELS, LossLimits, OperationalLimits, RiskLimits


def test_the_default_configuration_gives_the_risk_layers_defaults() -> None:
    setup = risk_setup(load_config(None, environ={}).settings)
    assert setup.limits == RiskLimits(correlation_groups=(("BTC", "ETH"),))
    assert setup.loss_limits == LossLimits()
    assert setup.brake_levels == DEFAULT_BRAKE_LEVELS
    assert setup.operational == OperationalLimits()
    assert (setup.timezone, setup.check_interval_s) == ("UTC", 60)


def test_every_key_reaches_its_parameter(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(
        "bot: {timezone: Europe/Berlin}\n"
        "scheduling: {risk_check_interval_seconds: 30}\n"
        "risk_management:\n"
        "  max_risk_per_trade_pct: 1.5\n"
        "  max_order_size_usd: 800\n"
        "  max_total_exposure_pct: 50\n"
        "  max_single_pair_exposure_pct: 15\n"
        "  max_correlated_exposure_pct: 25\n"
        "  max_capital_per_exchange_pct: 40\n"
        "  reserve_cash_pct: 30\n"
        "  daily_loss_limit_pct: 2\n"
        "  weekly_loss_limit_pct: 5\n"
        "  monthly_loss_limit_pct: 9\n"
        "  leverage_cap: 2\n"
        "  asset_whitelist: [BTC, ETH, SOL]\n"
        "  asset_blacklist: [SOL]\n"
        "  after_circuit_breaker:\n"
        "    reduce_position_sizes_by_pct: 25\n"
        "    recovery_period_hours: 12\n"
        "    resume_after_hours: 6\n"
        "  correlation: {groups: [[SOL, AVAX]], threshold: 0.7, window_days: 14}\n"
        "  drawdown_brakes:\n"
        "    levels_pct: [4, 8]\n"
        "    tp_reduction_factor_level_1: 0.8\n"
        "    size_reduction_factor_level_2: 0.25\n"
        "    leverage_reduction_factor_level_2: 0.5\n"
        "  operational: {max_api_errors_per_minute: 3, exchange_pause_minutes: 2, "
        "price_shock_pct: 6}\n"
    )
    with pytest.raises(ConfigError, match=r"asset_blacklist: SOL also in asset_whitelist"):
        load_config(tmp_path, environ={})
    text = (tmp_path / "settings.yaml").read_text().replace("  asset_blacklist: [SOL]\n", "")
    (tmp_path / "settings.yaml").write_text(text)

    setup = risk_setup(load_config(tmp_path, environ={}).settings)

    assert setup.limits == RiskLimits(
        max_risk_per_trade_pct=1.5,
        max_order_size_usd=800,
        max_total_exposure_pct=50,
        max_single_pair_exposure_pct=15,
        max_correlated_exposure_pct=25,
        max_capital_per_exchange_pct=40,
        reserve_cash_pct=30,
        leverage_cap=2,
        asset_whitelist=frozenset({"BTC", "ETH", "SOL"}),
        correlation_groups=(("SOL", "AVAX"),),
        correlation_threshold=0.7,
        correlation_window_days=14,
    )
    assert setup.loss_limits == LossLimits(
        daily_loss_limit_pct=2,
        weekly_loss_limit_pct=5,
        monthly_loss_limit_pct=9,
        reduce_position_sizes_by_pct=25,
        recovery_period_hours=12,
        resume_after_hours=6,
    )
    first, last = setup.brake_levels
    assert (first.drawdown_pct, first.take_profit_factor, first.order_size_factor) == (4, 0.8, 1)
    assert not first.stop_opening
    assert (last.drawdown_pct, last.order_size_factor, last.leverage_factor) == (8, 0.25, 0.5)
    assert last.stop_opening
    assert setup.operational == OperationalLimits(
        max_api_errors=3, exchange_pause_s=120, price_shock_pct=6
    )
    assert (setup.timezone, setup.check_interval_s) == ("Europe/Berlin", 30)


def test_brakes_switched_off_give_no_levels(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(
        "risk_management:\n  drawdown_brakes: {enabled: false}\n"
    )
    assert risk_setup(load_config(tmp_path, environ={}).settings).brake_levels == ()
