import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.storage.json_documents import dumps

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(value=JSON_VALUES)
def test_finite_documents_round_trip_unchanged(value: object) -> None:
    assert json.loads(dumps(value)) == value


def test_non_finite_floats_become_null_at_any_depth() -> None:
    document = {"rsi": math.nan, "bands": [1.0, math.inf, -math.inf], "nested": {"x": (math.nan,)}}

    assert json.loads(dumps(document)) == {
        "rsi": None,
        "bands": [1.0, None, None],
        "nested": {"x": [None]},
    }


def test_output_is_strict_json() -> None:
    assert "NaN" not in dumps([math.nan])
    assert "Infinity" not in dumps([math.inf])


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"levels": {1.0, 2.0}})
