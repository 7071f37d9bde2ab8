"""Loss-limit periods: local days, Monday weeks and months, across daylight saving changes."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import InvalidValue
from quantbot.risk.periods import Period, period_bounds, time_zone

H = 3_600_000
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/Santiago",  # spring forward at midnight: 00:00 does not exist
    "America/Havana",  # fall back at 01:00 to 00:00: midnight happens twice
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kolkata",
]


def at(text: str) -> int:
    """Epoch milliseconds of an ISO time written with its UTC offset."""
    return round(datetime.fromisoformat(text).timestamp() * 1000)


@pytest.mark.parametrize(
    ("zone", "inside", "start", "end"),
    [
        # Berlin springs forward on 2024-03-31 (23 h) and falls back on 2024-10-27 (25 h).
        (
            "Europe/Berlin",
            "2024-03-31T12:00:00+02:00",
            "2024-03-31T00:00:00+01:00",
            "2024-04-01T00:00:00+02:00",
        ),
        (
            "Europe/Berlin",
            "2024-10-27T12:00:00+01:00",
            "2024-10-27T00:00:00+02:00",
            "2024-10-28T00:00:00+01:00",
        ),
        # Santiago's 2022-09-11 begins at 01:00: midnight was skipped.
        (
            "America/Santiago",
            "2022-09-11T12:00:00-03:00",
            "2022-09-11T01:00:00-03:00",
            "2022-09-12T00:00:00-03:00",
        ),
        # Havana's 2022-11-06 begins at the first of its two midnights.
        (
            "America/Havana",
            "2022-11-06T12:00:00-05:00",
            "2022-11-06T00:00:00-04:00",
            "2022-11-07T00:00:00-05:00",
        ),
    ],
)
def test_days_run_from_local_midnight_to_local_midnight(
    zone: str, inside: str, start: str, end: str
) -> None:
    assert period_bounds(Period.DAY, at(inside), time_zone(zone)) == (at(start), at(end))


def test_weeks_start_on_monday_and_months_on_the_first_in_local_time() -> None:
    berlin = time_zone("Europe/Berlin")
    sunday_night = at("2024-03-31T23:30:00+02:00")
    monday = at("2024-04-01T00:00:00+02:00")

    assert period_bounds(Period.WEEK, sunday_night, berlin) == (
        at("2024-03-25T00:00:00+01:00"),
        monday,
    )
    assert period_bounds(Period.WEEK, monday, berlin) == (monday, at("2024-04-08T00:00:00+02:00"))
    assert period_bounds(Period.MONTH, monday, berlin) == (monday, at("2024-05-01T00:00:00+02:00"))


def test_december_is_followed_by_january() -> None:
    assert period_bounds(Period.MONTH, at("2024-12-31T23:59:59.999+00:00"), time_zone("UTC")) == (
        at("2024-12-01T00:00:00+00:00"),
        at("2025-01-01T00:00:00+00:00"),
    )


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidValue, match="'Mars/Olympus' is not an IANA time zone"):
        time_zone("Mars/Olympus")


@given(
    st.integers(at("1990-01-01T00:00:00+00:00"), at("2040-01-01T00:00:00+00:00")),
    st.sampled_from(ZONES),
    st.sampled_from(list(Period)),
)
def test_periods_hold_their_time_and_tile_it_without_gaps(
    ts_ms: int, zone_name: str, period: Period
) -> None:
    zone = time_zone(zone_name)

    start, end = period_bounds(period, ts_ms, zone)

    assert start <= ts_ms < end
    assert period_bounds(period, end, zone)[0] == end
    assert period_bounds(period, start - 1, zone)[1] == start
    if period is Period.DAY:
        assert 22 * H <= end - start <= 26 * H
        assert datetime.fromtimestamp(start / 1000, zone).date() == (
            datetime.fromtimestamp(ts_ms // 1000, zone).date()
        )
