"""What a data-quality check found: findings, their severities, and the report of a series.

The checks themselves live in :mod:`quantbot.data.quality_checks`, the load policy that
acts on a report in :mod:`quantbot.data.quality_policy`. A report says exactly what is
wrong and where (the first offending candle's open time, and the largest or worst
instance in words), so a human can look the candle up, and carries a severity per
finding so that code can decide:

- ``error``: the data is wrong or unusable as a series (a hole, a duplicate, an
  impossible candle). The ``error`` load policy refuses the series.
- ``warning``: suspicious, possibly a real market event (a reverting spike, a long
  wick, a frozen feed). Logged, never refused.
- ``info``: facts worth knowing (zero-volume bars, large one-way moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from quantbot.core.clock import ms_to_datetime

__all__ = ["Finding", "QualityCheck", "QualityReport", "Severity", "iso_utc"]


class Severity(StrEnum):
    """How bad a finding is; see the module docstring."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class QualityCheck(StrEnum):
    """The checks a report can name (docs/data-quality.md explains each one)."""

    NON_MONOTONIC = "non_monotonic"
    DUPLICATES = "duplicates"
    OFF_GRID = "off_grid"
    GAPS = "gaps"
    NON_FINITE = "non_finite"
    NON_POSITIVE_PRICE = "non_positive_price"
    NEGATIVE_VOLUME = "negative_volume"
    OHLC_INCONSISTENT = "ohlc_inconsistent"
    SPIKE = "spike"
    WICK_SPIKE = "wick_spike"
    JUMP = "jump"
    STALE = "stale"
    ZERO_VOLUME_RUN = "zero_volume_run"
    ZERO_VOLUME = "zero_volume"
    IRREGULAR_INTERVAL = "irregular_interval"
    EXTREME_FUNDING_RATE = "extreme_funding_rate"


def iso_utc(ts_ms: int) -> str:
    """``2023-03-24T12:40:00Z``: epoch milliseconds as ISO 8601 UTC, for people.

    Milliseconds are shown only when the timestamp has some, so an off-grid time
    (a candle opening at ``12:40:00.250``) is visible as such.
    """
    spec = "milliseconds" if ts_ms % 1000 else "seconds"
    return ms_to_datetime(ts_ms).isoformat(timespec=spec).replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found in a series.

    Attributes:
        check: which check.
        severity: error, warning or info.
        count: how many times it occurs: holes for gaps, runs for run checks, extra
            rows for duplicates, candles (or settlements) for the per-candle checks.
        bars: candles (or settlements) concerned: missing ones for gaps, all candles
            of the runs for run checks; equal to ``count`` for the per-candle checks.
        first_ts_ms: open time of the earliest candle concerned (for gaps: the first
            missing candle), epoch ms UTC.
        detail: what and where in words, with the largest or worst instance.
    """

    check: QualityCheck
    severity: Severity
    count: int
    bars: int
    first_ts_ms: int
    detail: str

    def describe(self) -> str:
        """One line for logs and error messages: check, severity, where, detail."""
        return (
            f"{self.check} ({self.severity}, first at {iso_utc(self.first_ts_ms)}): {self.detail}"
        )


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Everything the checks found in one series.

    Attributes:
        rows: rows checked.
        first_ts_ms: earliest timestamp in the series, None when it is empty.
        last_ts_ms: latest timestamp in the series, None when it is empty.
        findings: what was found, errors first; empty for a clean series.
    """

    rows: int
    first_ts_ms: int | None
    last_ts_ms: int | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when no finding has error severity (warnings and info may remain)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings with error severity."""
        return self.with_severity(Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings with warning severity."""
        return self.with_severity(Severity.WARNING)

    def with_severity(self, severity: Severity) -> tuple[Finding, ...]:
        """The findings of one severity, in report order."""
        return tuple(f for f in self.findings if f.severity is severity)

    def finding(self, check: QualityCheck) -> Finding | None:
        """The finding of ``check``, or None when that check found nothing."""
        return next((f for f in self.findings if f.check is check), None)

    def span(self) -> str:
        """``first .. last`` in ISO UTC, or ``empty``."""
        if self.first_ts_ms is None or self.last_ts_ms is None:
            return "empty"
        return f"{iso_utc(self.first_ts_ms)} .. {iso_utc(self.last_ts_ms)}"
