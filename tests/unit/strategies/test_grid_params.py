"""Grid parameters: the configuration file's defaults and rules, per-pair settings."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from quantbot.config.grid import GridPair, GridStrategyConfig
from quantbot.strategies.grid_params import GridLevelParams, GridParams

GLOBAL = {"max_open_orders", "min_profit_after_fees", "fee_rate"}


def test_the_defaults_are_the_configuration_files() -> None:
    config = GridStrategyConfig()
    default_pair = config.pairs[0].model_dump(exclude={"symbol", "grid_type"})
    params = GridParams()

    assert params.model_dump(include=set(default_pair)) == default_pair
    assert params.model_dump(include=GLOBAL) == config.model_dump(include=GLOBAL)
    assert params.grid_type == GridPair.model_fields["grid_type"].default == "geometric"
    assert (params.variant, params.pairs) == ("standard", {})


def test_the_per_pair_settings_are_exactly_the_configured_pairs_fields() -> None:
    assert set(GridLevelParams.model_fields) == set(GridPair.model_fields) - {"symbol"}


def test_a_configuration_section_becomes_one_parameter_set_with_its_pairs() -> None:
    config = GridStrategyConfig(max_open_orders=12, fee_rate=0.1)

    params = GridParams.from_config(config, variant="infinity")

    assert (params.max_open_orders, params.fee_rate, params.variant) == (12, 0.1, "infinity")
    for pair in config.pairs:
        settings = params.for_symbol(pair.symbol)
        assert settings.model_dump() == pair.model_dump(exclude={"symbol"})


def test_a_symbol_without_its_own_settings_takes_the_top_level_ones() -> None:
    params = GridParams(num_grids=7, pairs={"ETH/USDT": {"num_grids": 9}})

    assert params.for_symbol("BTC/USDT").num_grids == 7
    assert params.for_symbol("ETH/USDT").num_grids == 9
    assert params.for_symbol("ETH/USDT").grid_spacing_pct == 0.5  # the field default


def test_command_line_text_becomes_typed_values() -> None:
    params = GridParams.model_validate(
        {"num_grids": "12", "grid_spacing_pct": "0.8", "take_profit_pct": "3"}
    )

    assert (params.num_grids, params.grid_spacing_pct, params.take_profit_pct) == (12, 0.8, 3.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"grid_spacing_pct": 0.25},
            "grid_spacing_pct: 0.25 is below 2 x fee_rate + min_profit_after_fees = 0.3",
        ),
        (
            {"grid_spacing_pct": 0.5, "fee_rate": 0.2},
            "grid_spacing_pct: 0.5 is below 2 x fee_rate + min_profit_after_fees = 0.55",
        ),
        ({"num_grids": 1}, "num_grids: Input should be greater than or equal to 2"),
        ({"lower_bound_pct": 0.3}, "lower_bound_pct: 0.3 is narrower than grid_spacing_pct 0.5"),
        ({"rebalance_trigger_pct": 12.0}, "rebalance_trigger_pct: 12.0 is beyond upper_bound_pct"),
        ({"max_open_orders": 0}, "max_open_orders: Input should be greater than 0"),
        (
            {"pairs": {"ETH/USDT": {"grid_spacing_pct": 0.2}}},
            "pairs['ETH/USDT'].grid_spacing_pct: 0.2 is below 2 x fee_rate",
        ),
    ],
)
def test_what_the_configuration_refuses_the_parameters_refuse_with_its_message(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        GridParams.model_validate(values)

    assert message in str(raised.value)


def test_the_fee_guard_accepts_a_spacing_exactly_at_its_floor() -> None:
    params = GridParams(grid_spacing_pct=0.3, fee_rate=0.075, min_profit_after_fees=0.15)

    assert params.grid_spacing_pct == 0.3


def test_an_override_of_a_pair_setting_reaches_every_configured_pair() -> None:
    configured = GridParams.from_config(GridStrategyConfig()).model_dump(exclude_unset=True)

    values = GridParams.merged(configured, {"grid_spacing_pct": 0.8, "max_open_orders": 10})
    params = GridParams.model_validate(values)

    assert params.grid_spacing_pct == 0.8
    assert params.max_open_orders == 10
    for symbol in ("BTC/USDT", "ETH/USDT"):
        assert params.for_symbol(symbol).grid_spacing_pct == 0.8
    assert params.for_symbol("BTC/USDT").grid_type == "arithmetic"  # the rest as configured


def test_overriding_the_pairs_themselves_replaces_them() -> None:
    configured = GridParams.from_config(GridStrategyConfig()).model_dump(exclude_unset=True)

    values = GridParams.merged(configured, {"pairs": {}, "num_grids": 5})

    assert values["pairs"] == {}
    assert GridParams.model_validate(values).for_symbol("BTC/USDT").num_grids == 5
