"""Indicators: a thin typed layer over TA-Lib, plus what TA-Lib lacks.

Every indicator takes whole 1-D arrays (numpy arrays, pandas Series, lists: converted
to float64) and returns float64 arrays (boolean for the masks) of the same length, NaN
where it is not defined yet, e.g. during the warm-up. Strategies call them on a year
of bars at once in a backtest and on a rolling window live.

**Causal.** The value at bar t uses bars 0..t only: computing on ``series[:t + 1]``
gives exactly the values up to t that computing on the whole series gives, whatever
comes after t. A property test proves this for every indicator of
:data:`~quantbot.indicators.registry.INDICATORS`, which lists them all.

**Warm-up.** Finite-window indicators (SMA, Bollinger, Donchian, VWAP...) have the same
value at bar t whatever bar the series starts on, once the window is full. Recursive
ones (EMA, RSI, ATR, ADX, MACD) depend on their seed until it has decayed (about
10 periods' worth of bars to 1e-9 relative), and OBV is a running total whose level
depends on its first bar. A live window must cover that warm-up to reproduce the
backtest's values.

**Missing values.** TA-Lib skips NaNs at the start of a series, but one inside it
spoils the rest: its running sums stay NaN to the end, and its MAX and MIN (hence
Donchian) can miss the true extreme of a window holding it. Clean data first (the data
layer's quality policy). The indicators computed here (VWAP, volume ratio, realised
volatility, correlation, Hurst, divergence, swing levels) report NaN or no flag for
windows holding a NaN and recover once it has left them.

Families: :mod:`~quantbot.indicators.trend` (SMA, EMA, WMA, MACD, ADX),
:mod:`~quantbot.indicators.momentum` (RSI, stochastic RSI, ROC, CCI),
:mod:`~quantbot.indicators.volatility` (ATR, Bollinger, Donchian, realised volatility),
:mod:`~quantbot.indicators.volume` (OBV, MFI, volume ratio, VWAP),
:mod:`~quantbot.indicators.crosses`, :mod:`~quantbot.indicators.divergence`,
:mod:`~quantbot.indicators.levels` (support/resistance),
:mod:`~quantbot.indicators.hurst`, :mod:`~quantbot.indicators.correlation` and
:mod:`~quantbot.indicators.returns`. Bad arguments raise :class:`IndicatorError`.
"""

from quantbot.indicators.correlation import return_correlation
from quantbot.indicators.crosses import crossover, crossunder
from quantbot.indicators.divergence import Divergence, divergence, rsi_divergence
from quantbot.indicators.errors import IndicatorError
from quantbot.indicators.hurst import hurst_exponent
from quantbot.indicators.levels import SwingLevels, swing_levels
from quantbot.indicators.momentum import StochRsi, cci, roc, rsi, stoch_rsi
from quantbot.indicators.registry import INDICATORS, IndicatorOutput, IndicatorSpec
from quantbot.indicators.returns import log_returns
from quantbot.indicators.series import BoolArray, FloatArray
from quantbot.indicators.trend import Macd, adx, ema, macd, sma, wma
from quantbot.indicators.volatility import (
    BollingerBands,
    DonchianChannel,
    atr,
    bollinger,
    donchian,
    realised_volatility,
)
from quantbot.indicators.volume import mfi, obv, rolling_vwap, session_vwap, volume_ratio

__all__ = [
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
]
