"""The momentum strategy's vectorised signals: indicators, entry conditions and exit masks.

Everything here is computed once over a whole history (a backtest) or a rolling window
(live) and read at candle ``k`` by the strategy; every value at ``k`` uses candles
``<= k`` only, and the confirmation trend only confirmation candles that had closed by
the close of ``k`` (:meth:`~quantbot.strategies.base.MarketHistory.align`).

An entry needs every condition of :func:`entry_conditions` on the candle, each a
boolean array named after the rule it checks (the names are what an entry records).
Exits read the opposite EMA cross and the RSI divergence masks; the trailing stop and
the time stop depend on the trade and live in the strategy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.resample import timeframe_ms
from quantbot.indicators import (
    BoolArray,
    FloatArray,
    adx,
    atr,
    crossover,
    crossunder,
    divergence,
    ema,
    macd,
    rsi,
    sma,
    volume_ratio,
)
from quantbot.strategies.momentum_params import MomentumParams

__all__ = [
    "FUNDING_INTERVAL_MS",
    "MomentumIndicators",
    "MomentumSignals",
    "entry_conditions",
    "momentum_indicators",
    "momentum_signals",
    "near_funding",
]

FUNDING_INTERVAL_MS = 8 * 3_600_000
"""Binance settles perpetual funding every 8 hours from midnight: 00:00, 08:00, 16:00 UTC."""

_DAY_MS = 86_400_000


@dataclass(frozen=True)
class MomentumIndicators:
    """Indicator values per candle of the signal timeframe (NaN where not defined yet).

    Attributes:
        close_ms: close time of each candle (when a decision on it is taken).
        close: closes.
        atr: average true range, in price.
        ema_fast, ema_slow: the EMAs whose cross is the signal.
        rsi: relative strength index, 0..100.
        volume_ratio: volume over its mean of the last ``volume_period`` candles.
        adx: average directional index, 0..100.
        macd_hist: MACD histogram (MACD line minus signal line).
        confirm_fast, confirm_slow: the same EMAs on the confirmation timeframe, taken
            from its last candle closed by each candle's close (NaN before the first).
        daily_volume_usd: quote volume (volume x close) of the last 24 hours of candles.
    """

    close_ms: np.ndarray
    close: FloatArray
    atr: FloatArray
    ema_fast: FloatArray
    ema_slow: FloatArray
    rsi: FloatArray
    volume_ratio: FloatArray
    adx: FloatArray
    macd_hist: FloatArray
    confirm_fast: FloatArray
    confirm_slow: FloatArray
    daily_volume_usd: FloatArray


@dataclass(frozen=True)
class MomentumSignals:
    """What the strategy reads at a candle: indicators, entry conditions and masks.

    Attributes:
        indicators: the indicator values.
        long_conditions, short_conditions: per entry rule, the candles where it holds
            (no short condition holds on a spot market).
        enter_long, enter_short: candles where every condition of the direction holds.
        cross_up, cross_down: the fast EMA crossed above / below the slow one (the
            opposite cross ends a trade: ``signal_reversal``).
        bearish_divergence, bullish_divergence: a new ``divergence_lookback`` high (low)
            of the close that the RSI does not confirm (ends a long / a short:
            ``rsi_divergence``).
    """

    indicators: MomentumIndicators
    long_conditions: dict[str, BoolArray]
    short_conditions: dict[str, BoolArray]
    cross_up: BoolArray
    cross_down: BoolArray
    enter_long: BoolArray
    enter_short: BoolArray
    bearish_divergence: BoolArray
    bullish_divergence: BoolArray

    def entry_record(self, index: int, *, long: bool) -> dict[str, dict[str, float | bool]]:
        """The indicator values and the state of every entry rule at candle ``index``.

        JSON-ready, what an entry decision keeps as its signals: ``values`` (undefined
        ones left out) and ``conditions`` (rule name: held).
        """
        values = {name: float(getattr(self.indicators, name)[index]) for name in _RECORDED_VALUES}
        values["macd_hist_prev"] = (
            float(self.indicators.macd_hist[index - 1]) if index > 0 else math.nan
        )
        conditions = self.long_conditions if long else self.short_conditions
        return {
            "values": {name: v for name, v in values.items() if not math.isnan(v)},
            "conditions": {name: bool(mask[index]) for name, mask in conditions.items()},
        }


_RECORDED_VALUES = (
    "close",
    "atr",
    "ema_fast",
    "ema_slow",
    "rsi",
    "volume_ratio",
    "adx",
    "macd_hist",
    "confirm_fast",
    "confirm_slow",
    "daily_volume_usd",
)
"""The indicator values an entry records (with the previous MACD histogram)."""


def momentum_indicators(
    candles: OhlcvArrays,
    confirmation: OhlcvArrays,
    aligned: np.ndarray,
    params: MomentumParams,
) -> MomentumIndicators:
    """Compute every indicator of the strategy on one symbol's candles.

    Args:
        candles: closed candles of the signal timeframe.
        confirmation: closed candles of the confirmation timeframe.
        aligned: per signal candle, the index of the last confirmation candle closed by
            its close, -1 before the first (``MarketHistory.align``).
        params: the periods.
    """
    p = params
    high, low, close, volume = candles.high, candles.low, candles.close, candles.volume
    period_ms = timeframe_ms(p.timeframe)
    confirm_fast = _aligned(ema(confirmation.close, p.ema_fast), aligned)
    confirm_slow = _aligned(ema(confirmation.close, p.ema_slow), aligned)
    day = math.ceil(_DAY_MS / period_ms)
    return MomentumIndicators(
        close_ms=candles.ts_ms + period_ms,
        close=close,
        atr=atr(high, low, close, p.atr_period),
        ema_fast=ema(close, p.ema_fast),
        ema_slow=ema(close, p.ema_slow),
        rsi=rsi(close, p.rsi_period),
        volume_ratio=volume_ratio(volume, p.volume_period),
        adx=adx(high, low, close, p.adx_period),
        macd_hist=macd(close, p.macd_fast, p.macd_slow, p.macd_signal).hist,
        confirm_fast=confirm_fast,
        confirm_slow=confirm_slow,
        daily_volume_usd=sma(volume * close, day) * day,
    )


def entry_conditions(
    values: MomentumIndicators, params: MomentumParams, *, long: bool, shorts_allowed: bool
) -> dict[str, BoolArray]:
    """Per entry rule, the candles on which it holds for a long (or a short) entry.

    Rules (all comparisons strict; NaN never holds): ``ema_cross`` the fast EMA crossed
    the slow one in the trade's direction on this candle; ``rsi`` above
    ``rsi_long_threshold`` (below ``rsi_short_threshold``); ``volume_surge`` volume
    above ``volume_surge_multiplier`` times its average; ``adx`` above
    ``adx_min_strength``; ``macd`` histogram positive and higher than on the previous
    candle (negative and lower); ``confirmation_trend`` the confirmation EMAs in the same
    order; ``daily_volume`` 24 h quote volume at least ``min_daily_volume_usd`` (always
    holds when that is 0); ``funding_clear`` the candle closes at least
    ``avoid_within_minutes_of_funding`` minutes away from a settlement;
    ``market_allows`` true for longs, and for shorts only on a perpetual.

    Args:
        values: the indicators.
        params: thresholds.
        long: the direction.
        shorts_allowed: whether the market can be sold short (a perpetual).
    """
    p = params
    sign = 1.0 if long else -1.0
    hist = values.macd_hist
    rising = np.zeros(len(hist), dtype=np.bool_)
    rising[1:] = sign * hist[1:] > sign * hist[:-1]
    if p.min_daily_volume_usd > 0:
        liquid = values.daily_volume_usd >= p.min_daily_volume_usd
    else:
        liquid = np.ones(len(hist), dtype=np.bool_)
    rsi_ok = values.rsi > p.rsi_long_threshold if long else values.rsi < p.rsi_short_threshold
    cross = crossover if long else crossunder
    return {
        "ema_cross": cross(values.ema_fast, values.ema_slow),
        "rsi": rsi_ok,
        "volume_surge": values.volume_ratio > p.volume_surge_multiplier,
        "adx": values.adx > p.adx_min_strength,
        "macd": (sign * hist > 0) & rising,
        "confirmation_trend": sign * (values.confirm_fast - values.confirm_slow) > 0,
        "daily_volume": liquid,
        "funding_clear": ~near_funding(values.close_ms, p.avoid_within_minutes_of_funding),
        "market_allows": np.full(len(hist), long or shorts_allowed, dtype=np.bool_),
    }


def momentum_signals(
    values: MomentumIndicators, params: MomentumParams, *, shorts_allowed: bool
) -> MomentumSignals:
    """Entry conditions and masks, and exit masks, from the indicators of one symbol."""
    long = entry_conditions(values, params, long=True, shorts_allowed=shorts_allowed)
    short = entry_conditions(values, params, long=False, shorts_allowed=shorts_allowed)
    bearish, bullish = divergence(values.close, values.rsi, params.divergence_lookback)
    return MomentumSignals(
        indicators=values,
        long_conditions=long,
        short_conditions=short,
        cross_up=long["ema_cross"],
        cross_down=short["ema_cross"],
        enter_long=_all(long),
        enter_short=_all(short),
        bearish_divergence=bearish,
        bullish_divergence=bullish,
    )


def near_funding(close_ms: np.ndarray, window_minutes: int) -> BoolArray:
    """Times less than ``window_minutes`` away from a funding settlement (either side).

    A pure timestamp rule on Binance's schedule (every 8 h from 00:00 UTC); a window
    of 0 flags nothing.
    """
    offset = np.asarray(close_ms, dtype=np.int64) % FUNDING_INTERVAL_MS
    distance = np.minimum(offset, FUNDING_INTERVAL_MS - offset)
    return np.asarray(distance < window_minutes * 60_000)


def _aligned(series: FloatArray, index: np.ndarray) -> FloatArray:
    """``series[index]`` with NaN where ``index`` is -1 (nothing closed yet)."""
    out = np.full(len(index), np.nan)
    known = index >= 0
    out[known] = series[index[known]]
    return out


def _all(conditions: dict[str, BoolArray]) -> BoolArray:
    masks = iter(conditions.values())
    result = np.array(next(masks), dtype=np.bool_)
    for mask in masks:
        result &= mask
    return result
