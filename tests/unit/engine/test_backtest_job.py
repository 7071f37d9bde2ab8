"""``prepare_backtest``: the risk manager of the configuration by default, none on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantbot.config import QuantbotConfig, load_config
from quantbot.engine.backtest_job import BacktestRequest, prepare_backtest
from quantbot.engine.loading import LoadedMarket, from_synthetic
from quantbot.engine.risk_setup import risk_setup

START_MS = 1_735_689_600_000


@pytest.fixture(scope="module")
def market() -> LoadedMarket:
    config = load_config(None, environ={})
    return from_synthetic(
        ["BTC/USDT"], start_ms=START_MS, days=1, seed=3, quality=config.settings.data_quality
    )


def tight_config(directory: Path) -> QuantbotConfig:
    directory.mkdir()
    (directory / "settings.yaml").write_text(
        "risk_management:\n"
        "  max_order_size_usd: 150\n"
        "  daily_loss_limit_pct: 0.5\n"
        "  weekly_loss_limit_pct: 1\n"
        "  monthly_loss_limit_pct: 2\n"
        "  drawdown_brakes: {enabled: false}\n"
    )
    return load_config(directory, environ={})


def test_a_backtest_applies_the_configured_risk_manager_by_default(
    tmp_path: Path, market: LoadedMarket
) -> None:
    config = tight_config(tmp_path / "config")

    prepared = prepare_backtest(config, BacktestRequest(strategies=("ema_cross",)), market=market)

    assert prepared.config.risk == risk_setup(config.settings)
    assert prepared.config.risk is not None
    assert prepared.config.risk.limits.max_order_size_usd == 150
    assert prepared.config.risk.loss_limits.daily_loss_limit_pct == 0.5
    assert prepared.config.risk.brake_levels == ()
    assert prepared.notes == ()


def test_the_default_configuration_gives_the_default_risk_manager(market: LoadedMarket) -> None:
    config = load_config(None, environ={})

    prepared = prepare_backtest(config, BacktestRequest(strategies=("ema_cross",)), market=market)

    assert prepared.config.risk == risk_setup(config.settings)


def test_without_risk_only_the_venue_rules_apply_and_a_note_says_so(
    market: LoadedMarket,
) -> None:
    request = BacktestRequest(strategies=("ema_cross",), risk=False)

    prepared = prepare_backtest(load_config(None, environ={}), request, market=market)

    assert prepared.config.risk is None
    assert prepared.notes == ("risk manager off (--no-risk): only the venue's rules check orders",)
