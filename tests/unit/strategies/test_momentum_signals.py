"""Momentum signals: every entry rule pinned on hand-set indicator values, and the indicators' timing.

The entry-rule tests build :class:`MomentumIndicators` by hand: three candles, the
last of which satisfies every rule of one direction; then one value at a time is
moved just past its rule, and the entry must disappear with exactly that rule failing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.synthetic import generate_market
from quantbot.engine.history import CandleHistory
from quantbot.indicators import ema
from quantbot.strategies.momentum_params import MomentumParams
from quantbot.strategies.momentum_signals import (
    FUNDING_INTERVAL_MS,
    MomentumIndicators,
    momentum_indicators,
    momentum_signals,
    near_funding,
)

from factories import START_MS

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
PARAMS = MomentumParams()
CLOSE_MS = START_MS + 3 * HOUR_MS  # 03:00 UTC: three hours from any funding settlement
K = 2  # the candle under test


def _arrays(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def _indicators(*, long: bool) -> MomentumIndicators:
    """Three 1h candles; the last satisfies every entry rule of the direction."""
    s = 1.0 if long else -1.0
    return MomentumIndicators(
        close_ms=np.array([CLOSE_MS - 2 * HOUR_MS, CLOSE_MS - HOUR_MS, CLOSE_MS]),
        close=_arrays(100, 100, 100 + s),
        atr=_arrays(1, 1, 1),
        ema_fast=_arrays(100, 100 - s, 100 + s),
        ema_slow=_arrays(100, 100, 100),
        rsi=_arrays(50, 50, 60 if long else 40),
        volume_ratio=_arrays(1, 1, 2),
        adx=_arrays(20, 24, 30),
        macd_hist=_arrays(0, 0.5 * s, 1.0 * s),
        confirm_fast=_arrays(101, 101, 100 + s),
        confirm_slow=_arrays(100, 100, 100),
        daily_volume_usd=_arrays(1e9, 1e9, 1e9),
    )


def _set(name: str, value: float, index: int = K) -> Callable[[MomentumIndicators], None]:
    def change(values: MomentumIndicators) -> None:
        getattr(values, name)[index] = value

    return change


def _at_close(ms: int) -> Callable[[MomentumIndicators], None]:
    def change(values: MomentumIndicators) -> None:
        values.close_ms[K] = ms

    return change


LONG_BREAKS = {
    "no cross: fast still below": ("ema_cross", _set("ema_fast", 99.9)),
    "no cross: fast was already above": ("ema_cross", _set("ema_fast", 100.5, K - 1)),
    "cross through equality": ("ema_cross", _set("ema_fast", 100.0, K - 1)),
    "rsi at the threshold": ("rsi", _set("rsi", 55.0)),
    "volume at 1.5x its mean": ("volume_surge", _set("volume_ratio", 1.5)),
    "volume unknown": ("volume_surge", _set("volume_ratio", math.nan)),
    "adx at 25": ("adx", _set("adx", 25.0)),
    "macd positive but falling": ("macd", _set("macd_hist", 1.5, K - 1)),
    "macd rising but negative": ("macd", _set("macd_hist", -0.1)),
    "4h trend down": ("confirmation_trend", _set("confirm_fast", 99.0)),
    "no 4h candle closed yet": ("confirmation_trend", _set("confirm_fast", math.nan)),
    "daily volume under the minimum": ("daily_volume", _set("daily_volume_usd", 49_999_999.0)),
    "less than a day of volume": ("daily_volume", _set("daily_volume_usd", math.nan)),
    "at a funding settlement": ("funding_clear", _at_close(START_MS + 8 * HOUR_MS)),
    "29 minutes before funding": (
        "funding_clear",
        _at_close(START_MS + 8 * HOUR_MS - 29 * MINUTE_MS),
    ),
    "29 minutes after funding": (
        "funding_clear",
        _at_close(START_MS + 16 * HOUR_MS + 29 * MINUTE_MS),
    ),
}
"""Per case: the rule that must fail, and the change that breaks it (long entry)."""

SHORT_BREAKS = {
    "no cross down": ("ema_cross", _set("ema_fast", 100.1)),
    "rsi at the threshold": ("rsi", _set("rsi", 45.0)),
    "adx at 25": ("adx", _set("adx", 25.0)),
    "macd negative but rising": ("macd", _set("macd_hist", -1.5, K - 1)),
    "macd falling but positive": ("macd", _set("macd_hist", 0.1)),
    "4h trend up": ("confirmation_trend", _set("confirm_fast", 101.0)),
}
"""The same for a short entry (rules that are not mirrored are tested on longs)."""


@pytest.mark.parametrize("long", [True, False], ids=["long", "short"])
def test_an_entry_needs_every_rule_and_records_them_all(long: bool) -> None:
    signals = momentum_signals(_indicators(long=long), PARAMS, shorts_allowed=True)

    entered, other = (
        (signals.enter_long, signals.enter_short)
        if long
        else (signals.enter_short, signals.enter_long)
    )
    assert entered.tolist() == [False, False, True]
    assert not other.any()
    record = signals.entry_record(K, long=long)
    assert all(record["conditions"].values())
    assert set(record["conditions"]) >= {"ema_cross", "rsi", "volume_surge", "adx", "macd"}
    assert record["values"]["rsi"] == (60.0 if long else 40.0)
    assert record["values"]["macd_hist_prev"] == (0.5 if long else -0.5)


@pytest.mark.parametrize("case", list(LONG_BREAKS))
def test_one_failing_rule_means_no_long_entry(case: str) -> None:
    rule, change = LONG_BREAKS[case]
    values = _indicators(long=True)
    change(values)

    signals = momentum_signals(values, PARAMS, shorts_allowed=True)

    assert not signals.enter_long[K]
    failing = [name for name, mask in signals.long_conditions.items() if not mask[K]]
    assert failing == [rule]
    assert signals.entry_record(K, long=True)["conditions"][rule] is False


@pytest.mark.parametrize("case", list(SHORT_BREAKS))
def test_one_failing_rule_means_no_short_entry(case: str) -> None:
    rule, change = SHORT_BREAKS[case]
    values = _indicators(long=False)
    change(values)

    signals = momentum_signals(values, PARAMS, shorts_allowed=True)

    assert not signals.enter_short[K]
    assert [name for name, mask in signals.short_conditions.items() if not mask[K]] == [rule]


def test_shorts_only_on_perpetuals_longs_everywhere() -> None:
    spot_short = momentum_signals(_indicators(long=False), PARAMS, shorts_allowed=False)
    spot_long = momentum_signals(_indicators(long=True), PARAMS, shorts_allowed=False)

    assert not spot_short.enter_short.any()
    assert [n for n, m in spot_short.short_conditions.items() if not m[K]] == ["market_allows"]
    assert spot_long.enter_long[K]


def test_thresholds_come_from_the_parameters() -> None:
    values = _indicators(long=True)
    values.rsi[K] = 62.0
    values.adx[K] = 20.0

    default = momentum_signals(values, PARAMS, shorts_allowed=True)
    looser = momentum_signals(values, MomentumParams(adx_min_strength=15.0), shorts_allowed=True)
    stricter = momentum_signals(
        values,
        MomentumParams(adx_min_strength=15.0, rsi_long_threshold=65.0),
        shorts_allowed=True,
    )

    assert (default.enter_long[K], looser.enter_long[K], stricter.enter_long[K]) == (
        False,
        True,
        False,
    )


def test_a_zero_minimum_daily_volume_turns_the_filter_off() -> None:
    values = _indicators(long=True)
    values.daily_volume_usd[:] = math.nan  # not even a day of history

    off = PARAMS.model_copy(update={"min_daily_volume_usd": 0.0})

    assert momentum_signals(values, off, shorts_allowed=True).enter_long[K]
    assert not momentum_signals(values, PARAMS, shorts_allowed=True).enter_long[K]


def test_exits_read_the_crosses_and_a_new_high_the_rsi_does_not_confirm() -> None:
    values = _indicators(long=True)
    params = MomentumParams(divergence_lookback=2)

    confirmed = momentum_signals(values, params, shorts_allowed=True)
    values.rsi[K - 1] = 70.0  # the new high at K comes with a lower RSI than at K - 1
    unconfirmed = momentum_signals(values, params, shorts_allowed=True)

    assert confirmed.cross_up.tolist() == [False, False, True]
    assert not confirmed.cross_down.any()
    assert not confirmed.bearish_divergence.any()
    assert unconfirmed.bearish_divergence.tolist() == [False, False, True]
    assert not unconfirmed.bullish_divergence.any()


@pytest.mark.parametrize(
    ("hh_mm", "near"),
    [
        ((0, 0), True),
        ((7, 31), True),
        ((8, 29), True),
        ((16, 0), True),
        ((23, 45), True),
        ((7, 30), False),
        ((8, 30), False),
        ((12, 0), False),
        ((20, 0), False),
    ],
)
def test_funding_window_is_thirty_minutes_either_side_of_each_settlement(
    hh_mm: tuple[int, int], near: bool
) -> None:
    hours, minutes = hh_mm
    ms = START_MS + 5 * 86_400_000 + hours * HOUR_MS + minutes * MINUTE_MS

    assert near_funding(np.array([ms]), 30).tolist() == [near]


@given(st.integers(0, 10**13), st.integers(0, 240))
def test_funding_window_repeats_every_settlement_and_zero_minutes_flags_nothing(
    ms: int, window: int
) -> None:
    times = np.array([ms, ms + FUNDING_INTERVAL_MS, ms + 3 * FUNDING_INTERVAL_MS])

    flags = near_funding(times, window)

    assert len(set(flags.tolist())) == 1
    assert not near_funding(times, 0).any()


# -- the indicators on real candles: timing ---------------------------------------------


def _history(hours: int, seed: int = 5) -> CandleHistory:
    market = generate_market(["BTC/USDT"], start_ms=START_MS, minutes=hours * 60, seed=seed)
    return CandleHistory("1m", {"BTC/USDT": OhlcvArrays.from_frame(market.candles["BTC/USDT"])})


def _indicators_of(history: CandleHistory, params: MomentumParams = PARAMS) -> MomentumIndicators:
    return momentum_indicators(
        history.candles("BTC/USDT", "1h"),
        history.candles("BTC/USDT", "4h"),
        history.align("BTC/USDT", "4h", "1h"),
        params,
    )


def test_the_4h_trend_at_each_hour_comes_from_the_last_4h_candle_closed_by_then() -> None:
    params = MomentumParams(ema_fast=2, ema_slow=3)  # defined from the third 4h candle
    history = _history(3 * 24)
    values = _indicators_of(history, params)
    four = history.candles("BTC/USDT", "4h")
    fast4, slow4 = ema(four.close, 2), ema(four.close, 3)
    closes4 = four.ts_ms + 4 * HOUR_MS

    for k, close_ms in enumerate(values.close_ms):
        closed = np.flatnonzero(closes4 <= close_ms)
        if len(closed) == 0:
            assert math.isnan(values.confirm_fast[k])
            continue
        np.testing.assert_equal(values.confirm_fast[k], fast4[closed[-1]])
        np.testing.assert_equal(values.confirm_slow[k], slow4[closed[-1]])
    # Hours closing 12:00 to 15:00 read the 08:00-12:00 candle; 16:00 reads the next one.
    assert len(set(values.confirm_slow[11:15].tolist())) == 1
    assert values.confirm_slow[15] != values.confirm_slow[14]
    assert not math.isnan(values.confirm_slow[11])


def test_daily_volume_is_the_quote_volume_of_the_last_24_hours() -> None:
    history = _history(3 * 24)
    values = _indicators_of(history)
    hours = history.candles("BTC/USDT", "1h")
    quote = hours.volume * hours.close

    assert np.isnan(values.daily_volume_usd[:23]).all()
    for k in (23, 40, len(hours) - 1):
        assert values.daily_volume_usd[k] == pytest.approx(quote[k - 23 : k + 1].sum(), rel=1e-9)


@settings(max_examples=10, deadline=None)
@given(cut_hours=st.integers(30, 7 * 24 - 1))
def test_indicators_up_to_an_hour_ignore_every_later_minute(cut_hours: int) -> None:
    full = _history(7 * 24)
    market = full.candles("BTC/USDT", "1m")
    cut = cut_hours * 60
    truncated = CandleHistory(
        "1m",
        {"BTC/USDT": OhlcvArrays(**{c: getattr(market, c)[:cut] for c in OhlcvArrays.__slots__})},
    )

    whole, part = _indicators_of(full), _indicators_of(truncated)

    for name in MomentumIndicators.__dataclass_fields__:
        mine = getattr(part, name)
        np.testing.assert_array_equal(getattr(whole, name)[: len(mine)], mine, err_msg=name)
