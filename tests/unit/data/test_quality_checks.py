"""The candle and funding checks on hand-made series: each check fires on its defect,
at the right candle, and stays silent on clean data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataFormatError
from quantbot.data.quality import QualityCheck, QualityReport, Severity, iso_utc
from quantbot.data.quality_checks import (
    candle_numbers,
    candle_open_ms,
    check_funding,
    check_ohlcv,
    unusable_candles,
)

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
T0 = 1_700_000_040_000
"""2023-11-14T22:14:00Z, on the minute grid."""


def walk_candles(
    n: int = 300, *, seed: int = 1, sigma: float = 0.001, step_ms: int = MINUTE_MS
) -> pd.DataFrame:
    """Consistent candles of a Gaussian random walk: nothing a check should flag."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, sigma, n)))
    open_ = np.concatenate(([100.0], close[:-1]))[:n]
    wick = np.abs(rng.normal(0.0, sigma / 2, (2, n)))
    return pd.DataFrame(
        {
            "ts_ms": T0 + step_ms * np.arange(n, dtype=np.int64),
            "open": open_,
            "high": np.maximum(open_, close) * np.exp(wick[0]),
            "low": np.minimum(open_, close) * np.exp(-wick[1]),
            "close": close,
            "volume": rng.uniform(1.0, 10.0, n),
        }
    )


def only(report: QualityReport, check: QualityCheck) -> tuple[int, int, int]:
    """(count, bars, first_ts_ms) of the report's single finding, which must be ``check``."""
    assert [f.check for f in report.findings] == [check], report.findings
    finding = report.findings[0]
    return finding.count, finding.bars, finding.first_ts_ms


def test_a_clean_random_walk_has_no_findings() -> None:
    report = check_ohlcv(walk_candles(), "1m")
    assert report.findings == ()
    assert report.ok
    assert (report.rows, report.first_ts_ms, report.last_ts_ms) == (300, T0, T0 + 299 * MINUTE_MS)


def test_missing_candles_are_one_gap_with_its_first_and_last_missing_candle() -> None:
    frame = walk_candles().drop(index=[10, 11, 12])
    report = check_ohlcv(frame, "1m")
    assert only(report, QualityCheck.GAPS) == (1, 3, T0 + 10 * MINUTE_MS)
    assert not report.ok
    detail = report.findings[0].detail
    assert iso_utc(T0 + 10 * MINUTE_MS) in detail
    assert iso_utc(T0 + 12 * MINUTE_MS) in detail


def test_gaps_count_holes_and_missing_candles_and_name_the_largest() -> None:
    frame = walk_candles().drop(index=[5, 50, 51, 52, 53])
    count, bars, first = only(check_ohlcv(frame, "1m"), QualityCheck.GAPS)
    assert (count, bars, first) == (2, 5, T0 + 5 * MINUTE_MS)
    detail = check_ohlcv(frame, "1m").findings[0].detail
    assert f"largest 4 candles {iso_utc(T0 + 50 * MINUTE_MS)}" in detail


def test_a_repeated_timestamp_is_a_duplicate_and_conflicting_values_are_counted() -> None:
    frame = walk_candles()
    copy = frame.iloc[[5]]
    changed = frame.iloc[[9]].assign(close=frame["close"].iloc[9] * 1.0001)
    in_place = pd.concat([frame, copy, changed]).sort_values("ts_ms", kind="stable")
    report = check_ohlcv(in_place, "1m")
    assert only(report, QualityCheck.DUPLICATES) == (2, 2, T0 + 5 * MINUTE_MS)
    assert "2 timestamps, 1 of them with conflicting values" in report.findings[0].detail


def test_rows_out_of_time_order_are_non_monotonic() -> None:
    frame = walk_candles()
    swapped = frame.iloc[[*range(20), 21, 20, *range(22, 300)]]
    assert only(check_ohlcv(swapped, "1m"), QualityCheck.NON_MONOTONIC) == (
        1,
        1,
        T0 + 20 * MINUTE_MS,
    )


def test_a_timestamp_between_grid_points_is_off_grid() -> None:
    frame = walk_candles()
    frame.loc[7, "ts_ms"] += 250
    count, _, first = only(check_ohlcv(frame, "1m"), QualityCheck.OFF_GRID)
    assert (count, first) == (1, T0 + 7 * MINUTE_MS + 250)


@pytest.mark.parametrize("column", ["open", "high", "low", "close", "volume"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_any_column_is_found_at_its_candle(column: str, value: float) -> None:
    frame = walk_candles()
    frame.loc[8, column] = value
    assert only(check_ohlcv(frame, "1m"), QualityCheck.NON_FINITE) == (1, 1, T0 + 8 * MINUTE_MS)


@pytest.mark.parametrize("price", [0.0, -1.0])
def test_a_price_at_or_below_zero_is_found(price: float) -> None:
    frame = walk_candles()
    frame.loc[30, "low"] = price
    report = check_ohlcv(frame, "1m")
    assert only(report, QualityCheck.NON_POSITIVE_PRICE) == (1, 1, T0 + 30 * MINUTE_MS)
    assert report.findings[0].severity is Severity.ERROR


def test_a_negative_volume_is_found() -> None:
    frame = walk_candles()
    frame.loc[40, "volume"] = -0.5
    assert only(check_ohlcv(frame, "1m"), QualityCheck.NEGATIVE_VOLUME) == (
        1,
        1,
        T0 + 40 * MINUTE_MS,
    )


@pytest.mark.parametrize(
    "breakage",
    [
        {"low": "above_open_or_close"},
        {"high": "below_open_or_close"},
        {"low": "above_high"},
    ],
    ids=["low above body", "high below body", "low above high"],
)
def test_ohlc_inconsistency_is_found_in_each_form(breakage: dict[str, str]) -> None:
    frame = walk_candles()
    o, h, c = frame.loc[60, ["open", "high", "close"]]
    if breakage.get("low") == "above_open_or_close":
        frame.loc[60, "low"] = min(o, c) * 1.0001
    elif breakage.get("high") == "below_open_or_close":
        frame.loc[60, "high"] = max(o, c) * 0.9999
    else:
        frame.loc[60, "low"] = h * 1.001
    report = check_ohlcv(frame, "1m")
    assert only(report, QualityCheck.OHLC_INCONSISTENT) == (1, 1, T0 + 60 * MINUTE_MS)
    assert iso_utc(T0 + 60 * MINUTE_MS) in report.findings[0].detail


def test_a_reverting_bad_print_is_one_spike_at_its_candle_not_two_returns() -> None:
    frame = walk_candles()
    frame.loc[100, ["open", "high", "low", "close"]] *= 1.05
    report = check_ohlcv(frame, "1m")
    assert only(report, QualityCheck.SPIKE) == (1, 1, T0 + 100 * MINUTE_MS)
    assert report.findings[0].severity is Severity.WARNING
    assert report.ok


def test_a_move_that_stays_is_a_jump_not_a_spike() -> None:
    frame = walk_candles()
    frame.loc[100:, ["open", "high", "low", "close"]] *= 1.05
    frame.loc[100, "open"] = frame.loc[99, "close"]
    frame.loc[100, "low"] = min(frame.loc[100, "low"], frame.loc[100, "open"])
    report = check_ohlcv(frame, "1m")
    assert only(report, QualityCheck.JUMP) == (1, 1, T0 + 100 * MINUTE_MS)
    assert report.findings[0].severity is Severity.INFO


def test_a_long_wick_is_a_wick_spike() -> None:
    frame = walk_candles()
    frame.loc[120, "high"] *= 1.05
    assert only(check_ohlcv(frame, "1m"), QualityCheck.WICK_SPIKE) == (1, 1, T0 + 120 * MINUTE_MS)


def test_the_spike_threshold_comes_from_the_settings() -> None:
    frame = walk_candles()
    frame.loc[120, "high"] *= 1.05
    lenient = DataQualitySettings(spike_zscore=1000.0)
    assert check_ohlcv(frame, "1m", lenient).findings == ()


def test_an_illiquid_series_with_mostly_unchanged_closes_still_finds_a_bad_print() -> None:
    # Over half of the returns are 0, so the MAD is 0: the scale falls back to the mean
    # absolute deviation, and ordinary one-tick moves are not outliers.
    n = 200
    close = 100.0 + 0.01 * (np.arange(n) % 3 == 0)
    frame = pd.DataFrame(
        {
            "ts_ms": T0 + MINUTE_MS * np.arange(n),
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "volume": 1.0,
        }
    )
    assert check_ohlcv(frame, "1m").findings == ()
    frame.loc[50, ["open", "high", "low", "close"]] = 120.0
    assert only(check_ohlcv(frame, "1m"), QualityCheck.SPIKE)[2] == T0 + 50 * MINUTE_MS


def test_a_short_series_has_no_robust_scale_and_no_outlier_findings() -> None:
    frame = walk_candles(15)
    frame.loc[7, ["open", "high", "low", "close"]] *= 2.0
    assert check_ohlcv(frame, "1m").findings == ()


def zero_volume(frame: pd.DataFrame, rows: range) -> pd.DataFrame:
    frame.loc[rows.start : rows.stop - 1, "volume"] = 0.0
    return frame


def test_zero_volume_candles_are_counted_as_information() -> None:
    frame = zero_volume(walk_candles(), range(10, 15))
    report = check_ohlcv(frame, "1m")
    assert only(report, QualityCheck.ZERO_VOLUME) == (5, 5, T0 + 10 * MINUTE_MS)
    assert report.findings[0].severity is Severity.INFO


def test_a_zero_volume_run_longer_than_the_limit_is_a_warning_with_its_span() -> None:
    settings = DataQualitySettings(max_zero_volume_run=5, stale_after_bars=1000)
    at_limit = check_ohlcv(zero_volume(walk_candles(), range(10, 15)), "1m", settings)
    assert at_limit.finding(QualityCheck.ZERO_VOLUME_RUN) is None
    over = check_ohlcv(zero_volume(walk_candles(), range(10, 16)), "1m", settings)
    run = over.finding(QualityCheck.ZERO_VOLUME_RUN)
    assert run is not None
    assert (run.count, run.bars, run.first_ts_ms) == (1, 6, T0 + 10 * MINUTE_MS)
    assert f"{iso_utc(T0 + 10 * MINUTE_MS)} .. {iso_utc(T0 + 15 * MINUTE_MS)}" in run.detail


def repeated_candles(frame: pd.DataFrame, rows: range) -> pd.DataFrame:
    """Rows ``rows`` become copies of the candle before them with zero volume."""
    source = frame.loc[rows.start - 1, ["open", "high", "low", "close"]]
    for row in rows:
        frame.loc[row, ["open", "high", "low", "close"]] = source.to_numpy()
        frame.loc[row, "volume"] = 0.0
    after = rows.stop
    frame.loc[after, "open"] = source["close"]
    frame.loc[after, "high"] = max(frame.loc[after, "high"], source["close"])
    frame.loc[after, "low"] = min(frame.loc[after, "low"], source["close"])
    return frame


def test_identical_candles_without_volume_for_stale_after_bars_are_a_stale_feed() -> None:
    settings = DataQualitySettings(stale_after_bars=10, max_zero_volume_run=1000)
    # The candle at 49 and its 9 repeats: 10 identical candles.
    stale = check_ohlcv(repeated_candles(walk_candles(), range(50, 59)), "1m", settings)
    finding = stale.finding(QualityCheck.STALE)
    assert finding is not None
    assert (finding.count, finding.bars, finding.first_ts_ms) == (1, 10, T0 + 49 * MINUTE_MS)
    shorter = check_ohlcv(repeated_candles(walk_candles(), range(50, 58)), "1m", settings)
    assert shorter.finding(QualityCheck.STALE) is None


def test_repeated_prices_with_fresh_volume_are_not_stale() -> None:
    settings = DataQualitySettings(stale_after_bars=5)
    frame = repeated_candles(walk_candles(), range(50, 60))
    frame.loc[50:59, "volume"] = np.arange(1.0, 11.0)
    assert check_ohlcv(frame, "1m", settings).finding(QualityCheck.STALE) is None


def test_mark_price_candles_skip_the_volume_checks_but_not_the_stale_check() -> None:
    settings = DataQualitySettings(stale_after_bars=10)
    frame = repeated_candles(walk_candles(step_ms=HOUR_MS), range(50, 60)).assign(volume=0.0)
    frame["ts_ms"] -= T0 % HOUR_MS
    report = check_ohlcv(frame, "1h", settings, kind="mark")
    assert [f.check for f in report.findings] == [QualityCheck.STALE]
    as_traded = check_ohlcv(frame, "1h", settings)
    assert as_traded.finding(QualityCheck.ZERO_VOLUME_RUN) is not None


def month_starts(months: list[str]) -> np.ndarray:
    return pd.to_datetime(months, utc=True).as_unit("ms").asi8


def monthly(months: list[str]) -> pd.DataFrame:
    frame = walk_candles(len(months), sigma=0.05)
    frame["ts_ms"] = month_starts(months)
    return frame


def test_calendar_month_candles_are_on_the_grid_and_a_missing_month_is_a_gap() -> None:
    months = [f"2023-{m:02d}-01" for m in range(1, 13)]
    assert (
        check_ohlcv(monthly(months), "1M", DataQualitySettings()).finding(QualityCheck.GAPS) is None
    )
    without_march = monthly([m for m in months if m != "2023-03-01"])
    gap = check_ohlcv(without_march, "1M").finding(QualityCheck.GAPS)
    assert gap is not None
    assert (gap.count, gap.bars, gap.first_ts_ms) == (1, 1, month_starts(["2023-03-01"])[0])
    mid_month = monthly(months)
    mid_month.loc[3, "ts_ms"] = month_starts(["2023-04-15"])[0]
    assert check_ohlcv(mid_month, "1M").finding(QualityCheck.OFF_GRID) is not None


def test_weekly_candles_open_on_monday() -> None:
    mondays = pd.date_range("2024-01-01", periods=30, freq="7D", tz="UTC").as_unit("ms").asi8
    frame = walk_candles(30).assign(ts_ms=mondays)
    assert check_ohlcv(frame, "1w").finding(QualityCheck.OFF_GRID) is None
    thursdays = frame.assign(ts_ms=mondays + 3 * 86_400_000)
    off = check_ohlcv(thursdays, "1w").finding(QualityCheck.OFF_GRID)
    assert off is not None
    assert off.count == 30


def test_candle_numbers_step_by_one_and_open_times_invert_them() -> None:
    opens = month_starts(["2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01"])
    numbers = candle_numbers(opens, "1M")
    assert list(np.diff(numbers)) == [1, 1, 1]
    assert list(candle_open_ms(int(opens[0]), numbers - numbers[0], "1M")) == list(opens)
    hours = T0 - T0 % HOUR_MS + 4 * HOUR_MS * np.arange(5)
    assert list(np.diff(candle_numbers(hours, "4h"))) == [1, 1, 1, 1]


def test_an_empty_frame_is_clean() -> None:
    report = check_ohlcv(walk_candles(0), "1m")
    assert report == QualityReport(rows=0, first_ts_ms=None, last_ts_ms=None, findings=())


def test_a_frame_without_ohlcv_columns_or_with_float_timestamps_is_a_format_error() -> None:
    with pytest.raises(DataFormatError, match="volume"):
        check_ohlcv(walk_candles().drop(columns="volume"), "1m")
    with pytest.raises(DataFormatError, match="integer"):
        check_ohlcv(walk_candles().astype({"ts_ms": float}), "1m")
    with pytest.raises(ValueError, match="timeframe"):
        check_ohlcv(walk_candles(), "1 minute")


def test_findings_are_ordered_errors_first() -> None:
    frame = walk_candles().drop(index=[10])
    frame.loc[100, ["open", "high", "low", "close"]] *= 1.05
    frame.loc[[200, 201], "volume"] = 0.0
    report = check_ohlcv(frame, "1m")
    assert [f.severity for f in report.findings] == [
        Severity.ERROR,
        Severity.WARNING,
        Severity.INFO,
    ]


def test_unusable_candles_marks_exactly_what_drop_removes() -> None:
    frame = walk_candles()
    frame.loc[3, "close"] = np.nan
    frame.loc[100, ["open", "high", "low", "close"]] *= 1.05
    frame.loc[150, "low"] = frame.loc[150, "high"] * 1.01
    frame.loc[200, "ts_ms"] += 1
    frame = pd.concat([frame, frame.iloc[[250]]])  # a later copy of row 250: the earlier goes
    mask = unusable_candles(frame, "1m")
    flagged = set(np.flatnonzero(mask))
    assert flagged == {3, 100, 150, 200, 250}


# -- hypothesis -----------------------------------------------------------------------------

walks = st.builds(
    walk_candles,
    n=st.integers(30, 400),
    seed=st.integers(0, 2**32 - 1),
    sigma=st.floats(1e-4, 0.05),
)


@given(walks)
def test_any_clean_random_walk_has_no_findings(frame: pd.DataFrame) -> None:
    assert check_ohlcv(frame, "1m").findings == ()


BAD_CANDLES = {
    "nan close": (QualityCheck.NON_FINITE, lambda f, i: f.loc[i, "close"] * np.nan),
    "zero low": (QualityCheck.NON_POSITIVE_PRICE, lambda f, i: 0.0),
    "low above high": (QualityCheck.OHLC_INCONSISTENT, lambda f, i: f.loc[i, "high"] * 1.01),
}


@given(walks, st.data())
def test_one_bad_candle_is_found_at_exactly_its_timestamp(
    frame: pd.DataFrame, data: st.DataObject
) -> None:
    row = data.draw(st.integers(1, len(frame) - 2), label="row")
    defect = data.draw(st.sampled_from([*BAD_CANDLES, "spike"]), label="defect")
    if defect == "spike":
        sigma = float(np.std(np.diff(np.log(frame["close"]))))
        frame.loc[row, ["open", "high", "low", "close"]] *= np.exp(40 * sigma)
        check = QualityCheck.SPIKE
    else:
        check, value = BAD_CANDLES[defect]
        column = "close" if defect == "nan close" else "low"
        frame.loc[row, column] = value(frame, row)
    assert only(check_ohlcv(frame, "1m"), check) == (1, 1, int(frame.loc[row, "ts_ms"]))


# -- funding --------------------------------------------------------------------------------

EIGHT_HOURS = 8 * HOUR_MS
F0 = 1_699_920_000_000
"""2023-11-14T00:00:00Z, a settlement time."""


def funding(n: int = 100, *, step_ms: int = EIGHT_HOURS, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "ts_ms": F0 + step_ms * np.arange(n, dtype=np.int64),
            "funding_rate": rng.normal(0.0001, 0.0002, n),
        }
    )


def test_a_regular_funding_series_has_no_findings() -> None:
    assert check_funding(funding()).findings == ()


def test_a_missing_settlement_is_a_funding_gap() -> None:
    report = check_funding(funding().drop(index=[40, 41]))
    assert only(report, QualityCheck.GAPS) == (1, 2, F0 + 40 * EIGHT_HOURS)
    assert not report.ok


def test_a_switch_to_four_hour_settlements_is_information_not_an_error() -> None:
    eight = funding(60)
    four = funding(40, step_ms=4 * HOUR_MS).assign(ts_ms=lambda f: f["ts_ms"] + 60 * EIGHT_HOURS)
    report = check_funding(pd.concat([eight, four]), interval_ms=EIGHT_HOURS)
    count, _, first = only(report, QualityCheck.IRREGULAR_INTERVAL)
    # The first 4h candle is 8h after the last 8h one: 39 short intervals follow.
    assert (count, first) == (39, F0 + 60 * EIGHT_HOURS + 4 * HOUR_MS)
    assert report.ok


def test_the_nominal_interval_defaults_to_the_most_frequent_one() -> None:
    hourly = funding(50, step_ms=HOUR_MS).drop(index=[10])
    assert only(check_funding(hourly), QualityCheck.GAPS)[:2] == (1, 1)


@pytest.mark.parametrize(
    ("value", "check"),
    [(np.nan, QualityCheck.NON_FINITE), (0.05, QualityCheck.EXTREME_FUNDING_RATE)],
)
def test_nan_and_absurd_funding_rates_are_errors(value: float, check: QualityCheck) -> None:
    frame = funding()
    frame.loc[20, "funding_rate"] = value
    report = check_funding(frame)
    assert only(report, check) == (1, 1, F0 + 20 * EIGHT_HOURS)
    assert not report.ok


def test_a_settlement_off_the_full_hour_is_a_warning() -> None:
    frame = funding()
    frame.loc[20, "ts_ms"] += 5
    report = check_funding(frame, interval_ms=EIGHT_HOURS)
    finding = report.finding(QualityCheck.OFF_GRID)
    assert finding is not None
    assert finding.severity is Severity.WARNING


def test_funding_duplicates_and_disorder_are_errors() -> None:
    frame = funding()
    shuffled = pd.concat([frame.iloc[::-1], frame.iloc[[7]]])
    report = check_funding(shuffled)
    assert {f.check for f in report.errors} == {
        QualityCheck.NON_MONOTONIC,
        QualityCheck.DUPLICATES,
    }
