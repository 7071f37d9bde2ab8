"""Momentum parameters: the configuration file's defaults, the added ones, and incoherent values refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from quantbot.config.momentum import MomentumStrategyConfig
from quantbot.strategies.momentum_params import MomentumParams

NOT_PARAMETERS = {"enabled", "pairs"}


def test_every_setting_of_the_configuration_section_is_a_parameter_with_its_default() -> None:
    config_defaults = MomentumStrategyConfig().model_dump(exclude=NOT_PARAMETERS)
    params = MomentumParams().model_dump()

    assert {k: params[k] for k in config_defaults} == config_defaults


def test_documented_defaults_of_the_blueprint() -> None:
    p = MomentumParams()

    assert (p.timeframe, p.confirmation_timeframe) == ("1h", "4h")
    assert (p.ema_fast, p.ema_slow, p.rsi_period, p.adx_period, p.atr_period) == (9, 21, 14, 14, 14)
    assert (p.rsi_long_threshold, p.rsi_short_threshold, p.adx_min_strength) == (55, 45, 25)
    assert (p.volume_surge_multiplier, p.volume_period) == (1.5, 20)
    assert (p.macd_fast, p.macd_slow, p.macd_signal) == (12, 26, 9)
    assert p.trailing_stop_atr_multiplier == 1.5
    assert p.stop_tightening == ((1.0, 1.2), (2.0, 1.0), (3.0, 0.8))
    assert (p.time_stop_hours, p.time_stop_target_r) == (72, 2)
    assert (p.risk_per_trade_pct, p.max_concurrent_positions) == (1.0, 3)
    assert p.min_daily_volume_usd == 50_000_000
    assert (p.avoid_within_minutes_of_funding, p.cooldown_after_loss_minutes) == (30, 60)


def test_a_configuration_section_becomes_the_same_parameters() -> None:
    config = MomentumStrategyConfig(
        pairs=["BTC/USDT"], ema_fast=5, ema_slow=34, timeframe="15m", min_daily_volume_usd=0.0
    )

    params = MomentumParams.from_config(config)

    assert (params.ema_fast, params.ema_slow, params.timeframe) == (5, 34, "15m")
    assert params.min_daily_volume_usd == 0
    assert params.rsi_period == config.rsi_period


def test_command_line_text_becomes_typed_values() -> None:
    params = MomentumParams.model_validate(
        {"ema_fast": "5", "risk_per_trade_pct": "0.5", "stop_tightening": [[1, 1.0]]}
    )

    assert (params.ema_fast, params.risk_per_trade_pct) == (5, 0.5)
    assert params.stop_tightening == ((1.0, 1.0),)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ema_fast": 21, "ema_slow": 9}, "ema_fast: 21 must be shorter than ema_slow 9"),
        ({"rsi_short_threshold": 60}, "rsi_short_threshold: 60.0 is above rsi_long_threshold"),
        ({"confirmation_timeframe": "1h"}, "'1h' must be longer than timeframe '1h'"),
        ({"timeframe": "4h"}, "'4h' must be longer than timeframe '4h'"),
        ({"macd_fast": 26}, "macd_fast: 26 must be shorter than macd_slow 26"),
        ({"timeframe": "hourly"}, "is not a timeframe"),
        ({"risk_per_trade_pct": 0}, "greater than 0"),
        ({"max_concurrent_positions": 0}, "greater than 0"),
        (
            {"stop_tightening": [[2, 1.2], [1, 1.0]]},
            r"stop_tightening\[1\]: profit 1.0R must be above 2.0R",
        ),
        (
            {"stop_tightening": [[1, 1.2], [2, 1.3]]},
            r"stop_tightening\[1\]: distance 1.3 ATR must be above 0 and below 1.2",
        ),
        (
            {"stop_tightening": [[1, 1.5]]},
            r"stop_tightening\[0\]: distance 1.5 ATR must be above 0 and below 1.5",
        ),
    ],
)
def test_incoherent_parameters_are_refused_with_the_rule(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        MomentumParams.model_validate(values)


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        MomentumParams.model_validate({"ema_fats": 5})


@pytest.mark.parametrize("key", ["rsi_period", "adx_period"])
def test_the_file_and_the_parameters_share_one_definition_and_bounds(key: str) -> None:
    config_fields = MomentumStrategyConfig.model_fields
    param_fields = MomentumParams.model_fields

    assert config_fields[key].description == param_fields[key].description
    with pytest.raises(ValidationError, match=key):
        MomentumStrategyConfig.model_validate({key: 1})  # TA-Lib needs a period of 2 or more
    with pytest.raises(ValidationError, match=key):
        MomentumParams.model_validate({key: "1"})
    assert getattr(MomentumParams.model_validate({key: "2"}), key) == 2
