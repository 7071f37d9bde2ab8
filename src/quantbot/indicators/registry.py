"""The catalogue of public indicators: each function by name, with the series it takes.

:data:`INDICATORS` is written out by hand, one line per indicator, and holds nothing
but the function and the names of its leading series parameters. Tests hold it to
that: every public function of :mod:`quantbot.indicators` must be listed here, its
``inputs`` must be its leading parameters and every other parameter must have a
default. Listing an indicator is what puts it under the causality property test (its
value at bar t must not change when anything after t does), so a new indicator that
is not listed fails the test suite instead of escaping the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy.typing as npt

from quantbot.indicators.correlation import return_correlation
from quantbot.indicators.crosses import crossover, crossunder
from quantbot.indicators.divergence import divergence, rsi_divergence
from quantbot.indicators.errors import IndicatorError
from quantbot.indicators.hurst import hurst_exponent
from quantbot.indicators.levels import swing_levels
from quantbot.indicators.momentum import cci, roc, rsi, stoch_rsi
from quantbot.indicators.returns import log_returns
from quantbot.indicators.trend import adx, ema, macd, sma, wma
from quantbot.indicators.volatility import atr, bollinger, donchian, realised_volatility
from quantbot.indicators.volume import mfi, obv, rolling_vwap, session_vwap, volume_ratio

__all__ = ["INDICATORS", "IndicatorOutput", "IndicatorSpec"]

IndicatorOutput: TypeAlias = npt.NDArray[Any] | tuple[npt.NDArray[Any], ...]
"""One array of the input's length, or a named tuple of them (MACD, Bollinger...)."""


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """An indicator function and the series it takes.

    Attributes:
        function: the indicator, e.g. :func:`~quantbot.indicators.trend.ema`.
        inputs: the names of its leading, positional series parameters in order, e.g.
            ``("high", "low", "close")``; its other parameters all have defaults.
    """

    function: Callable[..., IndicatorOutput]
    inputs: tuple[str, ...]

    @property
    def name(self) -> str:
        """The function's name, the key of :data:`INDICATORS`."""
        return self.function.__name__

    def compute(self, series: Mapping[str, npt.ArrayLike], **params: Any) -> IndicatorOutput:
        """Call the indicator on the series it takes, picked from ``series`` by name.

        Args:
            series: series by input name (``close``, ``high``...); extra ones are
                ignored, so one mapping of a market's columns serves every indicator.
            **params: the indicator's other parameters (``period``...), passed on.

        Raises:
            IndicatorError: if ``series`` lacks an input, or the indicator refuses
                its arguments.
        """
        absent = [name for name in self.inputs if name not in series]
        if absent:
            raise IndicatorError(f"{self.name}: missing input series {', '.join(absent)}")
        return self.function(*(series[name] for name in self.inputs), **params)


def _spec(function: Callable[..., IndicatorOutput], *inputs: str) -> tuple[str, IndicatorSpec]:
    return function.__name__, IndicatorSpec(function=function, inputs=inputs)


INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType(
    dict(
        [
            _spec(sma, "values"),
            _spec(ema, "values"),
            _spec(wma, "values"),
            _spec(macd, "close"),
            _spec(adx, "high", "low", "close"),
            _spec(rsi, "close"),
            _spec(stoch_rsi, "close"),
            _spec(roc, "values"),
            _spec(cci, "high", "low", "close"),
            _spec(atr, "high", "low", "close"),
            _spec(bollinger, "close"),
            _spec(donchian, "high", "low"),
            _spec(realised_volatility, "close"),
            _spec(log_returns, "close"),
            _spec(obv, "close", "volume"),
            _spec(mfi, "high", "low", "close", "volume"),
            _spec(volume_ratio, "volume"),
            _spec(rolling_vwap, "high", "low", "close", "volume"),
            _spec(session_vwap, "ts_ms", "high", "low", "close", "volume"),
            _spec(crossover, "a", "b"),
            _spec(crossunder, "a", "b"),
            _spec(hurst_exponent, "close"),
            _spec(return_correlation, "close", "reference"),
            _spec(divergence, "price", "oscillator"),
            _spec(rsi_divergence, "close"),
            _spec(swing_levels, "high", "low"),
        ]
    )
)
"""Every public indicator by name, in the order of the package's families."""
