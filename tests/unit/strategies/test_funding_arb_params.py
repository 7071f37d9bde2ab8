"""Funding-arbitrage parameters: the configuration file's defaults and rules, and the added ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from quantbot.config.funding import FundingStrategyConfig
from quantbot.strategies.funding_arb_params import FundingArbParams

NOT_PARAMETERS = {"enabled", "pairs", "exchanges"}


def test_every_setting_of_the_configuration_section_is_a_parameter_with_its_default() -> None:
    config_defaults = FundingStrategyConfig().model_dump(exclude=NOT_PARAMETERS)
    params = FundingArbParams().model_dump()

    assert {k: params[k] for k in config_defaults} == config_defaults


def test_documented_defaults_of_the_blueprint() -> None:
    p = FundingArbParams()

    assert (p.min_funding_rate, p.exit_funding_rate) == (0.03, 0.01)
    assert (p.position_size_pct, p.max_positions) == (15.0, 2)
    assert (p.max_basis_divergence_pct, p.rebalance_threshold_pct) == (1.5, 2.0)
    assert (p.funding_interval_hours, p.interest_rate_pct, p.premium_clamp_pct) == (8, 0.01, 0.05)
    assert p.leverage == 1.0


def test_a_configuration_section_becomes_the_same_parameters() -> None:
    config = FundingStrategyConfig(
        pairs=["ETH/USDT"], min_funding_rate=0.05, max_positions=3, position_size_pct=10.0
    )

    params = FundingArbParams.from_config(config)

    assert (params.min_funding_rate, params.max_positions, params.position_size_pct) == (
        0.05,
        3,
        10.0,
    )
    assert params.exit_funding_rate == config.exit_funding_rate


def test_command_line_text_becomes_typed_values() -> None:
    params = FundingArbParams.model_validate({"max_positions": "3", "min_funding_rate": "0.05"})

    assert (params.max_positions, params.min_funding_rate) == (3, 0.05)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"exit_funding_rate": 0.03},
            "exit_funding_rate: 0.03 must be below min_funding_rate 0.03",
        ),
        (
            {"position_size_pct": 40.0, "max_positions": 3},
            "position_size_pct: 40.0 x max_positions 3 = 120 % of equity",
        ),
        ({"leverage": 0}, "greater than 0"),
        ({"premium_clamp_pct": -0.01}, "greater than or equal to 0"),
    ],
)
def test_incoherent_values_are_refused_with_the_rule_they_break(
    values: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        FundingArbParams(**values)  # type: ignore[arg-type]


def test_every_broken_rule_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        FundingArbParams(exit_funding_rate=0.05, position_size_pct=60.0)

    text = str(caught.value)
    assert "exit_funding_rate: 0.05" in text
    assert "position_size_pct: 60.0" in text
