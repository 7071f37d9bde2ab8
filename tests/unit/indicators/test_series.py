"""Argument checks shared by every indicator: clear errors instead of TA-Lib's codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.indicators.errors import IndicatorError
from quantbot.indicators.series import (
    aligned,
    as_series,
    as_timestamps,
    check_period,
    check_positive,
)


def test_numbers_of_any_numeric_dtype_become_contiguous_float64() -> None:
    for values in ([1, 2, 3], np.array([1, 2, 3], dtype=np.int32), pd.Series([1.0, 2.0, 3.0])):
        series = as_series("sma", "values", values)
        assert series.dtype == np.float64
        assert series.flags.c_contiguous
        np.testing.assert_array_equal(series, [1.0, 2.0, 3.0])


def test_a_float64_array_is_used_without_a_copy() -> None:
    values = np.array([1.0, 2.0])
    assert as_series("sma", "values", values) is values


def test_a_strided_view_is_made_contiguous_for_talib() -> None:
    values = np.arange(10.0)[::2]
    series = as_series("sma", "values", values)
    assert series.flags.c_contiguous
    np.testing.assert_array_equal(series, [0.0, 2.0, 4.0, 6.0, 8.0])


def test_an_object_array_of_numbers_is_accepted() -> None:
    series = as_series("sma", "values", np.array([1, 2.5, None], dtype=object))
    np.testing.assert_array_equal(series, [1.0, 2.5, np.nan])


@pytest.mark.parametrize(
    "values",
    [
        ["1", "2"],
        np.array(["a"]),
        np.array([1 + 2j]),
        np.array(["2025-01-01"], dtype="datetime64[D]"),
    ],
)
def test_text_dates_and_complex_numbers_are_refused(values: object) -> None:
    with pytest.raises(IndicatorError, match="ema values: not real numbers"):
        as_series("ema", "values", values)


def test_an_object_array_holding_text_is_refused() -> None:
    with pytest.raises(IndicatorError, match="ema values: not numbers"):
        as_series("ema", "values", np.array([1.0, "x"], dtype=object))


@pytest.mark.parametrize("values", [5.0, [[1.0, 2.0], [3.0, 4.0]]])
def test_anything_but_one_dimension_is_refused_with_its_shape(values: object) -> None:
    with pytest.raises(IndicatorError, match=r"atr high: must be a 1-D series, got shape \("):
        as_series("atr", "high", values)


def test_aligned_returns_the_series_in_keyword_order() -> None:
    high, low = aligned("donchian", high=[2, 3], low=[1, 2])
    np.testing.assert_array_equal(high, [2.0, 3.0])
    np.testing.assert_array_equal(low, [1.0, 2.0])


def test_aligned_names_every_length_when_they_differ() -> None:
    with pytest.raises(IndicatorError, match="atr: series lengths differ: high 3, low 3, close 2"):
        aligned("atr", high=[1, 2, 3], low=[1, 2, 3], close=[1, 2])


def test_timestamps_must_be_integers() -> None:
    with pytest.raises(IndicatorError, match="integer epoch milliseconds"):
        as_timestamps("session_vwap", [1.0, 2.0])


def test_timestamps_going_back_in_time_are_refused_naming_the_row() -> None:
    with pytest.raises(IndicatorError, match=r"row 2 \(5\) is before row 1 \(9\)"):
        as_timestamps("session_vwap", [1, 9, 5])


def test_repeated_timestamps_are_accepted() -> None:
    np.testing.assert_array_equal(as_timestamps("session_vwap", [1, 1, 2]), [1, 1, 2])


@pytest.mark.parametrize("value", [1, 14, np.int32(3), 100_000])
def test_integer_periods_in_range_are_returned_as_int(value: int) -> None:
    period = check_period("sma", "period", value)
    assert period == value
    assert type(period) is int


def test_period_below_the_minimum_names_the_rule() -> None:
    with pytest.raises(IndicatorError, match="rsi period 1: must be >= 2"):
        check_period("rsi", "period", 1, minimum=2)


def test_period_above_talibs_limit_is_refused() -> None:
    with pytest.raises(IndicatorError, match="sma period 100001: must be <= 100000"):
        check_period("sma", "period", 100_001)


def test_period_without_a_maximum_may_be_large() -> None:
    assert check_period("hurst_exponent", "window", 10**7, maximum=None) == 10**7


@pytest.mark.parametrize("value", [2.0, True, "3", None])
def test_a_period_that_is_not_an_integer_is_refused_not_truncated(value: object) -> None:
    with pytest.raises(IndicatorError, match="must be an integer"):
        check_period("sma", "period", value)  # type: ignore[arg-type]


def test_positive_numbers_are_returned_as_float() -> None:
    assert check_positive("bollinger", "dev_up", 2) == 2.0
    assert check_positive("bollinger", "dev_up", 0.0, allow_zero=True) == 0.0


@pytest.mark.parametrize(
    ("value", "allow_zero", "rule"),
    [
        (0.0, False, "> 0"),
        (-1.0, True, ">= 0"),
        (float("nan"), True, ">= 0"),
        (float("inf"), False, "> 0"),
    ],
)
def test_zero_negative_and_non_finite_numbers_are_refused(
    value: float, allow_zero: bool, rule: str
) -> None:
    with pytest.raises(IndicatorError, match=f"must be finite and {rule}"):
        check_positive("realised_volatility", "bars_per_year", value, allow_zero=allow_zero)


@pytest.mark.parametrize("value", ["2", True, None, 1j])
def test_a_non_number_is_refused(value: object) -> None:
    with pytest.raises(IndicatorError, match="must be a number"):
        check_positive("bollinger", "dev_up", value)  # type: ignore[arg-type]
