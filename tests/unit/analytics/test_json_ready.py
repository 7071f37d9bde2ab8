import math
from dataclasses import dataclass

import numpy as np
import pytest

from quantbot.analytics.json_ready import json_document, json_ready


@dataclass(frozen=True)
class Record:
    ratio: float
    ceiling: float
    count: int
    peak_ts_ms: int | None
    end_ts_ms: int | None


def test_non_finite_floats_become_null_and_times_iso_strings() -> None:
    record = Record(math.nan, math.inf, 3, 1_704_067_200_000, None)

    assert json_ready(record) == {
        "ratio": None,
        "ceiling": None,
        "count": 3,
        "peak_time": "2024-01-01T00:00:00.000Z",
        "end_time": None,
    }


def test_nested_documents_lose_numpy_types_and_tuples() -> None:
    document = json_document({"a": (np.float64(1.5), np.int64(2)), 3: np.array([np.nan, 1.0])})

    assert document == {"a": [1.5, 2], "3": [None, 1.0]}
    assert type(document["a"][1]) is int


def test_only_dataclass_instances_are_flattened() -> None:
    with pytest.raises(TypeError, match="not a dataclass"):
        json_ready({"a": 1})
