"""The load policy: ``error`` refuses, ``ffill`` repairs the time axis, ``drop`` removes
bad candles; every refusal, repair and remaining finding reaches the log."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_quality_checks import HOUR_MS, MINUTE_MS, T0, month_starts, walk_candles

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataQualityError
from quantbot.data.quality import QualityCheck, iso_utc
from quantbot.data.quality_checks import check_ohlcv
from quantbot.data.quality_policy import apply_quality_policy

SERIES = "binance BTC/USDT 1m"
ERROR = DataQualitySettings(policy="error")
FFILL = DataQualitySettings(policy="ffill")
DROP = DataQualitySettings(policy="drop")
TIME_AXIS = {QualityCheck.GAPS, QualityCheck.DUPLICATES, QualityCheck.NON_MONOTONIC}


def apply(
    frame: pd.DataFrame, settings: DataQualitySettings, timeframe: str = "1m"
) -> pd.DataFrame:
    return apply_quality_policy(frame, timeframe, settings, series=SERIES)


def quality_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "series", None) == SERIES]


@pytest.mark.parametrize("settings", [ERROR, FFILL, DROP], ids=lambda s: s.policy)
def test_a_clean_series_is_returned_as_it_is_under_every_policy(
    settings: DataQualitySettings, caplog: pytest.LogCaptureFixture
) -> None:
    frame = walk_candles()
    with caplog.at_level(logging.DEBUG):
        assert apply(frame, settings) is frame
    assert quality_records(caplog) == []


def test_policy_error_refuses_a_gap_with_the_report_attached_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = walk_candles().drop(index=[10, 11])
    with pytest.raises(DataQualityError, match="gaps") as refused:
        apply(frame, ERROR)
    assert refused.value.report.finding(QualityCheck.GAPS) is not None
    assert refused.value.series == SERIES
    logged = quality_records(caplog)
    assert {r.levelno for r in logged} == {logging.ERROR}
    assert any(getattr(r, "check", None) == "gaps" for r in logged)


def test_policy_error_accepts_warnings_but_logs_them(caplog: pytest.LogCaptureFixture) -> None:
    frame = walk_candles()
    frame.loc[100, ["open", "high", "low", "close"]] *= 1.05
    assert apply(frame, ERROR) is frame
    [record] = quality_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.check == "spike"  # type: ignore[attr-defined]
    assert record.first_ts == iso_utc(T0 + 100 * MINUTE_MS)  # type: ignore[attr-defined]


def test_ffill_fills_a_gap_with_flat_zero_volume_candles_at_the_previous_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = walk_candles()
    filled = apply(frame.drop(index=[10, 11, 12]), FFILL)
    assert list(filled["ts_ms"]) == list(frame["ts_ms"])
    previous_close = frame.loc[9, "close"]
    for row in (10, 11, 12):
        assert filled.loc[row, ["open", "high", "low", "close"]].tolist() == [previous_close] * 4
        assert filled.loc[row, "volume"] == 0.0
    kept = frame.drop(index=[10, 11, 12]).index
    pd.testing.assert_frame_equal(filled.loc[kept], frame.loc[kept])
    summary = [r for r in quality_records(caplog) if getattr(r, "repaired", None)]
    assert summary[0].repaired == ["gaps"]  # type: ignore[attr-defined]
    assert summary[0].levelno == logging.WARNING


def test_ffill_sorts_and_keeps_the_last_row_of_a_repeated_timestamp() -> None:
    frame = walk_candles()
    correction = frame.iloc[[20]].assign(close=frame.loc[20, "close"] * 1.0001)
    correction["high"] = correction[["high", "close"]].max(axis=1)
    messy = pd.concat([frame.iloc[::-1], correction])
    repaired = apply(messy, FFILL)
    assert list(repaired["ts_ms"]) == list(frame["ts_ms"])
    assert repaired.loc[20, "close"] == correction["close"].iloc[0]


def test_ffill_fills_a_missing_calendar_month_on_the_month_grid() -> None:
    months = [f"2023-{m:02d}-01" for m in range(1, 7)]
    frame = walk_candles(6, sigma=0.05).assign(ts_ms=month_starts(months))
    repaired = apply(frame.drop(index=[2]), FFILL, timeframe="1M")
    assert list(repaired["ts_ms"]) == list(month_starts(months))


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("close", np.nan, "non_finite"),
        ("low", -1.0, "non_positive_price"),
        ("volume", -1.0, "negative_volume"),
        ("ts_ms", T0 + 7 * MINUTE_MS + 1, "off_grid"),
    ],
)
def test_ffill_refuses_what_it_cannot_repair(column: str, value: float, check: str) -> None:
    frame = walk_candles().drop(index=[40])
    frame.loc[7, column] = value
    with pytest.raises(DataQualityError, match=f"cannot repair {check}"):
        apply(frame, FFILL)


def test_drop_removes_bad_candles_and_leaves_the_gaps_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = walk_candles()
    frame.loc[3, "close"] = np.nan
    frame.loc[150, "low"] = frame.loc[150, "high"] * 1.01
    frame.loc[100, ["open", "high", "low", "close"]] *= 1.05
    kept = apply(frame, DROP)
    assert len(kept) == len(frame) - 3
    assert not {T0 + row * MINUTE_MS for row in (3, 100, 150)} & set(kept["ts_ms"])
    after = check_ohlcv(kept, "1m")
    assert [f.check for f in after.errors] == [QualityCheck.GAPS]
    gap_logs = [r for r in quality_records(caplog) if getattr(r, "check", None) == "gaps"]
    assert gap_logs
    assert gap_logs[0].levelno == logging.WARNING


def test_drop_removes_a_spike_from_an_otherwise_clean_series() -> None:
    frame = walk_candles()
    frame.loc[100, ["open", "high", "low", "close"]] *= 1.05
    kept = apply(frame, DROP)
    assert T0 + 100 * MINUTE_MS not in set(kept["ts_ms"])
    assert len(kept) == len(frame) - 1


def test_mark_price_series_are_not_refused_for_their_zero_volume() -> None:
    frame = walk_candles(200, step_ms=HOUR_MS).assign(volume=0.0)
    frame["ts_ms"] -= T0 % HOUR_MS
    assert (
        apply_quality_policy(
            frame, "1h", ERROR, series="binance BTC/USDT:USDT mark 1h", kind="mark"
        )
        is frame
    )


# -- hypothesis -----------------------------------------------------------------------------


@given(
    n=st.integers(30, 300),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_ffill_output_always_passes_the_time_axis_checks(
    n: int, seed: int, data: st.DataObject
) -> None:
    frame = walk_candles(n, seed=seed)
    rows = st.integers(1, n - 2)
    missing = data.draw(st.sets(rows, max_size=n // 3), label="missing")
    repeated = data.draw(st.lists(rows, max_size=5), label="repeated")
    messy = pd.concat([frame.drop(index=sorted(missing)), frame.loc[repeated]])
    messy = messy.sample(frac=1.0, random_state=seed % 1000)
    repaired = apply(messy, FFILL)
    assert not {f.check for f in check_ohlcv(repaired, "1m").errors} & TIME_AXIS
    assert list(repaired["ts_ms"]) == list(frame["ts_ms"])
    present = frame.drop(index=sorted(missing))
    pd.testing.assert_frame_equal(repaired.loc[present.index], present)


CORRUPTIONS = {
    "nan": lambda f, i: f.loc.__setitem__((i, "open"), np.nan),
    "inconsistent": lambda f, i: f.loc.__setitem__((i, "low"), f.loc[i, "high"] * 1.01),
    "non-positive": lambda f, i: f.loc.__setitem__((i, "low"), 0.0),
    "negative volume": lambda f, i: f.loc.__setitem__((i, "volume"), -1.0),
    "off grid": lambda f, i: f.loc.__setitem__((i, "ts_ms"), f.loc[i, "ts_ms"] + 7),
}


@given(
    n=st.integers(30, 300),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_drop_output_never_holds_an_unusable_candle(n: int, seed: int, data: st.DataObject) -> None:
    frame = walk_candles(n, seed=seed)
    damage = data.draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.sampled_from(sorted(CORRUPTIONS))), max_size=20
        ),
        label="damage",
    )
    for row, kind in damage:
        CORRUPTIONS[kind](frame, row)
    repeated = data.draw(st.lists(st.integers(0, n - 1), max_size=5), label="repeated")
    messy = pd.concat([frame, frame.loc[repeated]]).sample(frac=1.0, random_state=seed % 1000)
    kept = apply(messy, DROP)
    remaining = {f.check for f in check_ohlcv(kept, "1m").errors}
    assert remaining <= {QualityCheck.GAPS}
    low, high = kept["low"].to_numpy(), kept["high"].to_numpy()
    body_low = np.minimum(kept["open"], kept["close"]).to_numpy()
    assert (low <= body_low).all()
    assert (body_low <= high).all()
