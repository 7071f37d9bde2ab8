import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import (
    MAX_CLIENT_ORDER_ID_LENGTH,
    InvalidValue,
    StrategyId,
    make_client_order_id,
)

BINANCE_CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")

strategy_ids = st.text(min_size=1, max_size=80).map(StrategyId)
sequences = st.integers(min_value=0, max_value=2**63 - 1)


@given(strategy_ids, sequences)
def test_client_order_id_fits_binance_rules(strategy_id: StrategyId, sequence: int) -> None:
    order_id = make_client_order_id(strategy_id, sequence)
    assert BINANCE_CLIENT_ORDER_ID.fullmatch(order_id)
    assert len(order_id) <= MAX_CLIENT_ORDER_ID_LENGTH


@given(strategy_ids, sequences)
def test_client_order_id_ends_with_the_sequence(strategy_id: StrategyId, sequence: int) -> None:
    assert make_client_order_id(strategy_id, sequence).rsplit("-", 2)[2] == str(sequence)


def test_client_order_id_is_deterministic_and_readable() -> None:
    first = make_client_order_id(StrategyId("grid_btc"), 42)
    assert first == make_client_order_id(StrategyId("grid_btc"), 42)
    assert first.startswith("grid_btc-")
    assert first.endswith("-42")


def test_strategies_sharing_a_long_prefix_get_distinct_ids() -> None:
    shared = "momentum_strategy_for_many_pairs_"
    ids = {make_client_order_id(StrategyId(shared + suffix), 7) for suffix in ("btc", "eth", "sol")}
    assert len(ids) == 3


def test_strategies_differing_only_in_replaced_characters_get_distinct_ids() -> None:
    dotted = make_client_order_id(StrategyId("grid.btc"), 1)
    underscored = make_client_order_id(StrategyId("grid_btc"), 1)
    assert dotted != underscored


@given(st.lists(st.tuples(strategy_ids, sequences), min_size=2, max_size=20, unique=True))
def test_distinct_decisions_get_distinct_ids(decisions: list[tuple[StrategyId, int]]) -> None:
    ids = {make_client_order_id(strategy_id, sequence) for strategy_id, sequence in decisions}
    assert len(ids) == len(decisions)


@pytest.mark.parametrize(("strategy_id", "sequence"), [("", 1), ("grid", -1), ("grid", 2**63)])
def test_client_order_id_rejects_bad_input(strategy_id: str, sequence: int) -> None:
    with pytest.raises(InvalidValue):
        make_client_order_id(StrategyId(strategy_id), sequence)
