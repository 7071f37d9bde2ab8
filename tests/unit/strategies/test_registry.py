"""Strategies by name: building them from raw parameters, and refusing unknown names."""

from __future__ import annotations

import json

import pytest

from quantbot.strategies import (
    STRATEGIES,
    EmaCross,
    EmaCrossParams,
    StrategyParams,
    UnknownStrategy,
    create_strategy,
)

from factories import SYMBOL


def test_unknown_name_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(UnknownStrategy, match=r"no strategy named 'nope'; known: .*ema_cross"):
        create_strategy("nope", symbols=[SYMBOL])


def test_raw_command_line_values_become_typed_parameters() -> None:
    strategy = create_strategy(
        "ema_cross", {"fast": "12", "slow": "30", "order_size": "0.5"}, symbols=[SYMBOL]
    )

    assert isinstance(strategy, EmaCross)
    assert strategy.params == EmaCrossParams(fast=12, slow=30, order_size=0.5)


def test_described_strategy_is_json_ready_and_names_its_parameters() -> None:
    strategy = create_strategy(
        "ema_cross",
        {"order_size": 0.01},
        symbols=[SYMBOL],
        timeframe="15m",
        strategy_id="ema_btc",
    )

    described = json.loads(json.dumps(strategy.describe()))

    assert described["name"] == "ema_cross"
    assert described["strategy_id"] == "ema_btc"
    assert described["timeframe"] == "15m"
    assert described["params"]["order_size"] == 0.01


def test_every_registered_strategy_is_registered_under_its_own_name() -> None:
    assert all(cls.name == name for name, cls in STRATEGIES.items())


def test_strategy_refuses_parameters_of_another_model() -> None:
    with pytest.raises(TypeError, match="EmaCross takes EmaCrossParams"):
        EmaCross(StrategyParams(), symbols=[SYMBOL])
