"""Resampling builds the candles an exchange would, and only once they have closed.

The proof is on real data: Binance's own 5m, 15m and 1h candles are rebuilt from its 1m
candles (tests skip when ../shared/data is absent). Properties cover the rest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.data.errors import DataFormatError
from quantbot.data.files import read_ohlcv_csv
from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.resample import (
    SOURCE_COUNT_COLUMN,
    bucket_end_ms,
    bucket_start_ms,
    resample,
    timeframe_ms,
)

MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000


def utc_ms(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value // 1_000_000)


T0 = utc_ms("2025-05-20 00:00")  # a Tuesday


def minutes(
    count: int, *, start_ms: int = T0, drop: tuple[int, ...] = (), seed: int = 1
) -> pd.DataFrame:
    """Consistent 1m candles (open = previous close), minus the minutes in ``drop``."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, count)))
    open_ = np.concatenate(([100.0], close[:-1]))[:count]
    frame = pd.DataFrame(
        {
            "ts_ms": start_ms + MINUTE * np.arange(count, dtype=np.int64),
            "open": open_,
            "high": np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, count)),
            "low": np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, count)),
            "close": close,
            "volume": rng.uniform(0.0, 5.0, count),
        }
    )
    return frame.drop(index=list(drop)).reset_index(drop=True)


# -- the grid ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeframe", "ts", "start"),
    [
        ("1m", "2025-05-20 13:47:59.999", "2025-05-20 13:47"),
        ("5m", "2025-05-20 13:47", "2025-05-20 13:45"),
        ("1h", "2025-05-20 13:47", "2025-05-20 13:00"),
        ("4h", "2025-05-20 13:47", "2025-05-20 12:00"),
        ("1d", "2025-05-20 23:59", "2025-05-20 00:00"),
        ("1w", "2025-05-20 13:47", "2025-05-19 00:00"),  # Monday
        ("1w", "2025-05-25 23:59", "2025-05-19 00:00"),  # Sunday: same week
        ("1w", "2025-05-26 00:00", "2025-05-26 00:00"),
        ("1M", "2024-02-29 23:59", "2024-02-01 00:00"),
        ("1M", "2025-12-31 23:59", "2025-12-01 00:00"),
        ("3M", "2025-05-20 00:00", "2025-04-01 00:00"),
    ],
)
def test_buckets_open_on_the_exchange_grid_in_utc(timeframe: str, ts: str, start: str) -> None:
    assert bucket_start_ms(np.array([utc_ms(ts)]), timeframe)[0] == utc_ms(start)


@pytest.mark.parametrize(
    ("timeframe", "start", "end"),
    [
        ("1h", "2025-05-20 13:00", "2025-05-20 14:00"),
        ("1w", "2025-05-19 00:00", "2025-05-26 00:00"),
        ("1M", "2024-02-01", "2024-03-01"),
        ("1M", "2025-12-01", "2026-01-01"),
    ],
)
def test_bucket_ends_follow_the_calendar(timeframe: str, start: str, end: str) -> None:
    assert bucket_end_ms(np.array([utc_ms(start)]), timeframe)[0] == utc_ms(end)


def test_fixed_timeframes_have_a_length_and_months_do_not() -> None:
    assert timeframe_ms("1m") == MINUTE
    assert timeframe_ms("4h") == 4 * HOUR
    assert timeframe_ms("1w") == 7 * DAY
    with pytest.raises(ValueError, match="no fixed length"):
        timeframe_ms("1M")
    with pytest.raises(ValueError, match="not a timeframe"):
        timeframe_ms("1 hour")


# -- how a candle is built -----------------------------------------------------------------


def test_a_bucket_takes_first_open_max_high_min_low_last_close_and_summed_volume() -> None:
    source = pd.DataFrame(
        {
            "ts_ms": T0 + MINUTE * np.arange(5, dtype=np.int64),
            "open": [10.0, 11.0, 9.0, 12.0, 13.0],
            "high": [11.0, 15.0, 12.0, 13.0, 14.0],
            "low": [9.5, 10.0, 7.0, 11.0, 12.5],
            "close": [11.0, 9.0, 12.0, 13.0, 12.75],
            "volume": [1.0, 2.0, 0.5, 0.25, 4.0],
        }
    )
    [row] = resample(source, "1m", "5m").to_dict("records")
    assert row == {
        "ts_ms": T0,
        "open": 10.0,
        "high": 15.0,
        "low": 7.0,
        "close": 12.75,
        "volume": 7.75,
        SOURCE_COUNT_COLUMN: 5,
    }


def test_output_is_an_ohlcv_frame_plus_the_source_count() -> None:
    out = resample(minutes(120), "1m", "1h")
    assert list(out.columns) == [*OHLCV_COLUMNS, SOURCE_COUNT_COLUMN]
    assert out["ts_ms"].dtype == np.int64
    assert out[SOURCE_COUNT_COLUMN].dtype == np.int64
    assert out["ts_ms"].tolist() == [T0, T0 + HOUR]


def test_the_last_bucket_is_dropped_until_its_final_source_candle_is_there() -> None:
    assert resample(minutes(119), "1m", "1h")["ts_ms"].tolist() == [T0]
    assert resample(minutes(120), "1m", "1h")["ts_ms"].tolist() == [T0, T0 + HOUR]


def test_a_last_bucket_missing_inner_minutes_but_not_its_final_one_has_closed() -> None:
    out = resample(minutes(120, drop=(70, 71, 90)), "1m", "1h")
    assert out["ts_ms"].tolist() == [T0, T0 + HOUR]
    assert out[SOURCE_COUNT_COLUMN].tolist() == [60, 57]


def test_with_a_clock_a_bucket_is_complete_once_its_period_has_elapsed() -> None:
    data = minutes(100)  # up to 01:39, the second hour is still open at 01:40
    assert resample(data, "1m", "1h", now_ms=T0 + 2 * HOUR - 1)["ts_ms"].tolist() == [T0]
    # At 02:00 the exchange has closed the 01:00 candle, even with its last minutes missing.
    closed = resample(data, "1m", "1h", now_ms=T0 + 2 * HOUR)
    assert closed["ts_ms"].tolist() == [T0, T0 + HOUR]
    assert closed[SOURCE_COUNT_COLUMN].tolist() == [60, 40]


def test_with_a_clock_even_complete_looking_data_waits_for_the_period_to_end() -> None:
    assert resample(minutes(60), "1m", "1h", now_ms=T0 + HOUR - 1).empty


def test_a_gap_inside_a_bucket_still_makes_a_candle_from_what_is_there() -> None:
    data = minutes(180, drop=tuple(range(65, 95)))
    out = resample(data, "1m", "1h")
    assert out[SOURCE_COUNT_COLUMN].tolist() == [60, 30, 60]
    second = data[(data["ts_ms"] >= T0 + HOUR) & (data["ts_ms"] < T0 + 2 * HOUR)]
    assert out["high"].iloc[1] == second["high"].max()
    assert out["volume"].iloc[1] == pytest.approx(second["volume"].sum())


def test_a_bucket_with_no_source_candle_produces_no_row() -> None:
    data = minutes(180, drop=tuple(range(60, 120)))
    assert resample(data, "1m", "1h")["ts_ms"].tolist() == [T0, T0 + 2 * HOUR]


def test_weekly_candles_open_on_monday_and_daily_ones_at_midnight() -> None:
    days = resample(minutes(14 * 1440, start_ms=utc_ms("2025-05-19")), "1m", "1d")
    weeks = resample(days.drop(columns=SOURCE_COUNT_COLUMN), "1d", "1w")
    assert pd.to_datetime(weeks["ts_ms"], unit="ms").dt.day_name().tolist() == ["Monday"] * 2
    assert weeks[SOURCE_COUNT_COLUMN].tolist() == [7, 7]


def test_monthly_candles_follow_calendar_months() -> None:
    start = utc_ms("2024-02-01")
    days = resample(minutes(60 * 1440, start_ms=start), "1m", "1d").drop(
        columns=SOURCE_COUNT_COLUMN
    )
    months = resample(days, "1d", "1M")  # 60 days: leap February and all of March
    assert months["ts_ms"].tolist() == [start, utc_ms("2024-03-01")]
    assert months[SOURCE_COUNT_COLUMN].tolist() == [29, 31]
    assert resample(days.iloc[:-1], "1d", "1M")["ts_ms"].tolist() == [start]


def test_no_candles_give_an_empty_frame_with_the_columns() -> None:
    out = resample(minutes(0), "1m", "1h")
    assert out.empty
    assert list(out.columns) == [*OHLCV_COLUMNS, SOURCE_COUNT_COLUMN]


# -- what it refuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target"),
    [("7m", "1h"), ("1h", "1m"), ("1w", "1M"), ("2d", "1M"), ("1M", "1w"), ("3d", "1w")],
)
def test_targets_whose_boundaries_are_not_on_the_source_grid_are_refused(
    source: str, target: str
) -> None:
    with pytest.raises(ValueError, match="cannot resample"):
        resample(minutes(0), source, target)


@pytest.mark.parametrize(
    ("source", "target"), [("1d", "1w"), ("4h", "1w"), ("1h", "1M"), ("1M", "3M")]
)
def test_compatible_calendar_targets_are_accepted(source: str, target: str) -> None:
    assert resample(minutes(0), source, target).empty


def test_unsorted_candles_are_rejected() -> None:
    data = minutes(10).iloc[[0, 2, 1, 3]]
    with pytest.raises(DataFormatError, match="strictly increasing"):
        resample(data, "1m", "5m")


def test_duplicate_candles_are_rejected() -> None:
    data = minutes(10).iloc[[0, 1, 1, 2]]
    with pytest.raises(DataFormatError, match="strictly increasing"):
        resample(data, "1m", "5m")


def test_candles_off_the_source_grid_are_rejected() -> None:
    data = minutes(10)
    data.loc[3, "ts_ms"] += 1_000
    with pytest.raises(DataFormatError, match="not on the 1m grid"):
        resample(data, "1m", "5m")


def test_a_frame_without_ohlcv_columns_is_rejected() -> None:
    with pytest.raises(DataFormatError, match="volume"):
        resample(minutes(10).drop(columns="volume"), "1m", "5m")


# -- properties ----------------------------------------------------------------------------

TARGETS = st.sampled_from(["3m", "5m", "15m", "30m", "1h", "2h", "4h", "1d"])


@st.composite
def gappy_minutes(draw: st.DrawFn) -> pd.DataFrame:
    """1m candles from a random start of day, with scattered missing minutes and a hole."""
    count = draw(st.integers(min_value=1, max_value=3000))
    offset = draw(st.integers(min_value=0, max_value=1439))
    seed = draw(st.integers(0, 2**16))
    missing_rate = draw(st.sampled_from([0.0, 0.01, 0.3, 0.9]))
    hole_start = draw(st.integers(0, count - 1))
    hole_length = draw(st.integers(0, 300))
    keep = np.random.default_rng(seed).random(count) >= missing_rate
    keep[hole_start : hole_start + hole_length] = False
    keep[draw(st.integers(0, count - 1))] = True
    data = minutes(count, start_ms=T0 + offset * MINUTE, seed=seed)
    return data[keep].reset_index(drop=True)


@given(data=gappy_minutes(), target=TARGETS)
def test_every_candle_is_its_bucket_aggregated(data: pd.DataFrame, target: str) -> None:
    out = resample(data, "1m", target)
    period = timeframe_ms(target)
    buckets = data.groupby(data["ts_ms"] // period * period)
    expected = pd.DataFrame(
        {
            "open": buckets["open"].first(),
            "high": buckets["high"].max(),
            "low": buckets["low"].min(),
            "close": buckets["close"].last(),
            "volume": buckets["volume"].sum(),
            SOURCE_COUNT_COLUMN: buckets.size(),
        }
    ).loc[out["ts_ms"]]
    np.testing.assert_array_equal(out["open"], expected["open"])
    np.testing.assert_array_equal(out["high"], expected["high"])
    np.testing.assert_array_equal(out["low"], expected["low"])
    np.testing.assert_array_equal(out["close"], expected["close"])
    np.testing.assert_allclose(out["volume"], expected["volume"], rtol=1e-12)
    np.testing.assert_array_equal(out[SOURCE_COUNT_COLUMN], expected[SOURCE_COUNT_COLUMN])


@given(data=gappy_minutes(), target=TARGETS)
def test_only_the_last_bucket_can_be_left_out_and_volume_is_conserved(
    data: pd.DataFrame, target: str
) -> None:
    out = resample(data, "1m", target)
    period = timeframe_ms(target)
    all_buckets = np.unique(data["ts_ms"] // period * period)
    assert out["ts_ms"].tolist() == all_buckets[: len(out)].tolist()
    assert len(out) >= len(all_buckets) - 1
    last_ts = int(data["ts_ms"].iloc[-1])
    last_is_complete = last_ts == all_buckets[-1] + period - MINUTE
    assert len(out) == len(all_buckets) - (0 if last_is_complete else 1)
    kept = data[data["ts_ms"] < (out["ts_ms"].iloc[-1] + period if len(out) else 0)]
    assert out["volume"].sum() == pytest.approx(kept["volume"].sum(), rel=1e-12)
    assert out[SOURCE_COUNT_COLUMN].sum() == len(kept)


@given(data=gappy_minutes(), target=TARGETS)
def test_built_candles_are_consistent(data: pd.DataFrame, target: str) -> None:
    out = resample(data, "1m", target)
    assert (out["high"] >= np.maximum(out["open"], out["close"])).all()
    assert (out["low"] <= np.minimum(out["open"], out["close"])).all()
    assert (np.diff(out["ts_ms"]) > 0).all()
    assert (bucket_start_ms(out["ts_ms"].to_numpy(), target) == out["ts_ms"]).all()
    assert (
        (out[SOURCE_COUNT_COLUMN] >= 1)
        & (out[SOURCE_COUNT_COLUMN] <= timeframe_ms(target) // MINUTE)
    ).all()


@given(data=gappy_minutes(), lag_ms=st.integers(0, 2 * HOUR))
def test_resampling_in_two_steps_on_a_clock_gives_the_same_candles(
    data: pd.DataFrame, lag_ms: int
) -> None:
    now_ms = int(data["ts_ms"].iloc[-1]) + lag_ms
    direct = resample(data, "1m", "1h", now_ms=now_ms)
    quarters = resample(data, "1m", "15m", now_ms=now_ms).drop(columns=SOURCE_COUNT_COLUMN)
    stepped = resample(quarters, "15m", "1h", now_ms=now_ms)
    assert stepped["ts_ms"].tolist() == direct["ts_ms"].tolist()
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(stepped[column], direct[column])
    np.testing.assert_allclose(stepped["volume"], direct["volume"], rtol=1e-12)


def test_without_a_clock_a_middle_step_can_hide_that_a_bucket_closed() -> None:
    # 00:01 then 01:00: the 00:00 hour has closed (later data exists), but the 15m step
    # drops the unfinished 01:00 quarter, the only evidence of it; hence "pass now_ms".
    data = minutes(61, drop=tuple(range(2, 60)))[1:]
    assert resample(data, "1m", "1h")["ts_ms"].tolist() == [T0]
    quarters = resample(data, "1m", "15m").drop(columns=SOURCE_COUNT_COLUMN)
    assert resample(quarters, "15m", "1h").empty


@given(data=gappy_minutes(), target=TARGETS, lag_ms=st.integers(0, 2 * DAY))
def test_with_a_clock_exactly_the_ended_buckets_are_kept(
    data: pd.DataFrame, target: str, lag_ms: int
) -> None:
    now_ms = int(data["ts_ms"].iloc[-1]) + lag_ms
    out = resample(data, "1m", target, now_ms=now_ms)
    assert ((out["ts_ms"] + timeframe_ms(target)) <= now_ms).all()
    dropped = resample(data, "1m", target, now_ms=2**62)
    assert len(dropped) - len(out) == int(
        ((dropped["ts_ms"] + timeframe_ms(target)) > now_ms).sum()
    )


# -- the proof on real exchange data -------------------------------------------------------

REAL_PAIRS = [
    ("binance_BTC-USDT_1m.csv.gz", "1m", "binance_BTC-USDT_1h.csv.gz", "1h"),
    ("binance_BTC-USDT_1m.csv.gz", "1m", "binance_BTC-USDT_15m.csv.gz", "15m"),
    ("binance_BTC-USDT_1m.csv.gz", "1m", "binance_BTC-USDT_5m.csv.gz", "5m"),
    ("binance_ETH-USDT_1m.csv.gz", "1m", "binance_ETH-USDT_1h.csv.gz", "1h"),
    ("binance_ETH-USDT_5m.csv.gz", "5m", "binance_ETH-USDT_1h.csv.gz", "1h"),
    ("binance_SOL-USDT_1m.csv.gz", "1m", "binance_SOL-USDT_1h.csv.gz", "1h"),
    ("binance-usdm_BTC-USDT-PERP_1m.csv.gz", "1m", "binance-usdm_BTC-USDT-PERP_1h.csv.gz", "1h"),
    ("binance-usdm_SOL-USDT-PERP_1m.csv.gz", "1m", "binance-usdm_SOL-USDT-PERP_5m.csv.gz", "5m"),
]


def compare_with_exchange(
    shared_data: Path, source: str, source_tf: str, reference: str, target: str
) -> pd.DataFrame:
    """Resampled candles joined with the exchange's own candles of the target timeframe."""
    built = resample(read_ohlcv_csv(shared_data / source), source_tf, target)
    complete = built[built[SOURCE_COUNT_COLUMN] == timeframe_ms(target) // timeframe_ms(source_tf)]
    return complete.merge(read_ohlcv_csv(shared_data / reference), on="ts_ms", suffixes=("", "_x"))


@pytest.mark.parametrize(("source", "source_tf", "reference", "target"), REAL_PAIRS)
def test_resampled_binance_candles_equal_binance_own_candles(
    shared_data: Path, source: str, source_tf: str, reference: str, target: str
) -> None:
    joined = compare_with_exchange(shared_data, source, source_tf, reference, target)
    assert len(joined) >= 1000, "the files should overlap by weeks"
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(joined[column], joined[f"{column}_x"], err_msg=column)
    np.testing.assert_allclose(joined["volume"], joined["volume_x"], rtol=1e-9, atol=1e-12)


def test_an_hour_cut_short_by_an_exchange_halt_matches_the_exchange_candle(
    shared_data: Path,
) -> None:
    # Binance spot halted trading on 2023-03-24 from 12:40 to 13:59 UTC; its 12:00 candle
    # was built from the 40 minutes before the halt, exactly as resample builds it.
    hour = utc_ms("2023-03-24 12:00")
    built = resample(read_ohlcv_csv(shared_data / "binance_SOL-USDT_1m.csv.gz"), "1m", "1h")
    exchange = read_ohlcv_csv(shared_data / "binance_SOL-USDT_1h.csv.gz")
    ours = built[built["ts_ms"] == hour].iloc[0]
    theirs = exchange[exchange["ts_ms"] == hour].iloc[0]
    assert ours[SOURCE_COUNT_COLUMN] == 40
    for column in ("open", "high", "low", "close"):
        assert ours[column] == theirs[column], column
    assert ours["volume"] == pytest.approx(theirs["volume"], rel=1e-9, abs=1e-12)
