"""INDICATORS lists every public indicator, honestly: the causality proof depends on it.

Also pins the package's public names (STYLE.md: a test pins ``__all__``) and checks
the argument handling every indicator shares, over the whole registry.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import quantbot.indicators as indicators
from quantbot.core.errors import QuantbotError
from quantbot.indicators import INDICATORS, IndicatorError, IndicatorSpec

from ._markets import random_market

PUBLIC_NAMES = {
    "INDICATORS",
    "BollingerBands",
    "BoolArray",
    "Divergence",
    "DonchianChannel",
    "FloatArray",
    "IndicatorError",
    "IndicatorOutput",
    "IndicatorSpec",
    "Macd",
    "StochRsi",
    "SwingLevels",
    "adx",
    "atr",
    "bollinger",
    "cci",
    "crossover",
    "crossunder",
    "divergence",
    "donchian",
    "ema",
    "hurst_exponent",
    "log_returns",
    "macd",
    "mfi",
    "obv",
    "realised_volatility",
    "return_correlation",
    "roc",
    "rolling_vwap",
    "rsi",
    "rsi_divergence",
    "session_vwap",
    "sma",
    "stoch_rsi",
    "swing_levels",
    "volume_ratio",
    "wma",
}


def test_public_names_are_pinned_and_importable() -> None:
    assert set(indicators.__all__) == PUBLIC_NAMES
    for name in indicators.__all__:
        assert hasattr(indicators, name), name


def test_every_public_function_is_registered_under_its_own_name() -> None:
    functions = {
        name for name in indicators.__all__ if inspect.isfunction(getattr(indicators, name))
    }
    assert set(INDICATORS) == functions
    for name, spec in INDICATORS.items():
        assert spec.name == name
        assert spec.function is getattr(indicators, name)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_inputs_are_the_leading_parameters_and_the_rest_have_defaults(name: str) -> None:
    spec = INDICATORS[name]
    parameters = list(inspect.signature(spec.function).parameters.values())
    assert tuple(parameter.name for parameter in parameters[: len(spec.inputs)]) == spec.inputs
    for parameter in parameters[: len(spec.inputs)]:
        assert parameter.default is inspect.Parameter.empty, parameter.name
    for parameter in parameters[len(spec.inputs) :]:
        assert parameter.default is not inspect.Parameter.empty, parameter.name


def test_compute_passes_parameters_through() -> None:
    market = random_market(1, 100)
    np.testing.assert_array_equal(
        INDICATORS["ema"].compute(market, period=9), indicators.ema(market["values"], 9)
    )


def test_compute_names_a_missing_input() -> None:
    with pytest.raises(IndicatorError, match="atr: missing input series low"):
        INDICATORS["atr"].compute({"high": [1.0], "close": [1.0]})


def test_indicator_error_is_a_quantbot_error_and_a_value_error() -> None:
    assert issubclass(IndicatorError, QuantbotError)
    assert issubclass(IndicatorError, ValueError)


# -- argument handling shared by every indicator ---------------------------------------


def int_parameters(spec: IndicatorSpec) -> list[str]:
    return [
        parameter.name
        for parameter in inspect.signature(spec.function).parameters.values()
        if type(parameter.default) is int
    ]


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_output_has_the_input_length_even_when_empty_or_shorter_than_the_warm_up(
    name: str,
) -> None:
    for size in (0, 1, 3):
        market = {key: series[:size] for key, series in random_market(3, 10).items()}
        output = INDICATORS[name].compute(market)
        for series in output if isinstance(output, tuple) else (output,):
            assert len(series) == size


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_lists_and_pandas_series_give_the_numpy_result(name: str) -> None:
    spec = INDICATORS[name]
    market = random_market(4, 300)
    expected = spec.compute(market)
    as_lists = {key: series.tolist() for key, series in market.items()}
    as_pandas = {key: pd.Series(series) for key, series in market.items()}
    for converted in (as_lists, as_pandas):
        result = spec.compute(converted)
        for got, want in zip(
            result if isinstance(result, tuple) else (result,),
            expected if isinstance(expected, tuple) else (expected,),
            strict=True,
        ):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_a_two_dimensional_input_is_refused(name: str) -> None:
    spec = INDICATORS[name]
    market = random_market(5, 40)
    market[spec.inputs[0]] = np.stack([market[spec.inputs[0]]] * 2)
    with pytest.raises(IndicatorError, match=rf"{name} {spec.inputs[0]}: must be a 1-D series"):
        spec.compute(market)


@pytest.mark.parametrize("name", sorted(n for n in INDICATORS if len(INDICATORS[n].inputs) > 1))
def test_series_of_different_lengths_are_refused(name: str) -> None:
    spec = INDICATORS[name]
    market = random_market(6, 40)
    market[spec.inputs[-1]] = market[spec.inputs[-1]][:-1]
    with pytest.raises(IndicatorError, match=f"{name}: series lengths differ"):
        spec.compute(market)


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        (name, parameter)
        for name in sorted(INDICATORS)
        for parameter in int_parameters(INDICATORS[name])
    ],
)
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "14", None])
def test_a_count_that_is_not_a_positive_integer_is_refused(
    name: str, parameter: str, bad: object
) -> None:
    with pytest.raises(IndicatorError, match=f"{name} {parameter}"):
        INDICATORS[name].compute(random_market(8, 40), **{parameter: bad})


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        (name, parameter)
        for name in sorted(INDICATORS)
        for parameter in int_parameters(INDICATORS[name])
    ],
)
def test_a_numpy_integer_count_is_accepted(name: str, parameter: str) -> None:
    spec = INDICATORS[name]
    market = random_market(9, 300)
    default = inspect.signature(spec.function).parameters[parameter].default
    with_numpy = spec.compute(market, **{parameter: np.int64(default)})
    plain = spec.compute(market)
    for got, want in zip(
        with_numpy if isinstance(with_numpy, tuple) else (with_numpy,),
        plain if isinstance(plain, tuple) else (plain,),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
