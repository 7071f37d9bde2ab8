"""Calendar periods of the loss limits: days, weeks and months in a configured time zone.

A daily loss limit means "since local midnight" to the user, so periods start at
midnight in the configured IANA zone, weeks on Monday, months on the 1st, and a day is
23 or 25 hours long when daylight saving time starts or ends. Times stay epoch
milliseconds (UTC) everywhere else; only the boundaries are computed here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from quantbot.core import InvalidValue

__all__ = ["Period", "period_bounds", "time_zone"]


class Period(StrEnum):
    """A P&L period, starting at local midnight (weeks on Monday, months on the 1st)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``UTC``, ``Europe/Berlin``).

    Raises:
        InvalidValue: if no such zone exists.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue(
            f"timezone {name!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)"
        ) from exc


def period_bounds(period: Period, ts_ms: int, zone: ZoneInfo) -> tuple[int, int]:
    """Start and end (exclusive) of the ``period`` holding ``ts_ms``, epoch milliseconds."""
    day = datetime.fromtimestamp(ts_ms // 1000, tz=zone).date()
    if period is Period.DAY:
        start, end = day, day + timedelta(days=1)
    elif period is Period.WEEK:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return _midnight_ms(start, zone), _midnight_ms(end, zone)


def _midnight_ms(day: date, zone: ZoneInfo) -> int:
    # Where a DST gap swallows midnight, the pre-transition offset maps it to the gap's
    # end: the first instant of the local day either way.
    return round(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()) * 1000
