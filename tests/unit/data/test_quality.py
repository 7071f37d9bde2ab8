"""The quality report: severities decide ``ok``, findings are looked up by check, and
times read as ISO UTC."""

from __future__ import annotations

from quantbot.data.errors import DataError, DataQualityError
from quantbot.data.quality import Finding, QualityCheck, QualityReport, Severity, iso_utc

GAP = Finding(QualityCheck.GAPS, Severity.ERROR, 1, 80, 1_679_661_600_000, "1 hole, 80 missing")
SPIKE = Finding(QualityCheck.SPIKE, Severity.WARNING, 2, 2, 1_679_500_000_000, "2 candles")
ZERO = Finding(QualityCheck.ZERO_VOLUME, Severity.INFO, 73, 73, 1_679_657_280_000, "73 candles")


def report(*findings: Finding) -> QualityReport:
    return QualityReport(rows=10, first_ts_ms=0, last_ts_ms=540_000, findings=findings)


def test_a_report_is_ok_unless_a_finding_is_an_error() -> None:
    assert report().ok
    assert report(SPIKE, ZERO).ok
    assert not report(GAP, SPIKE, ZERO).ok


def test_findings_are_selected_by_severity_and_looked_up_by_check() -> None:
    full = report(GAP, SPIKE, ZERO)
    assert full.errors == (GAP,)
    assert full.warnings == (SPIKE,)
    assert full.with_severity(Severity.INFO) == (ZERO,)
    assert full.finding(QualityCheck.SPIKE) is SPIKE
    assert full.finding(QualityCheck.STALE) is None


def test_iso_utc_shows_milliseconds_only_when_there_are_some() -> None:
    assert iso_utc(1_679_661_600_000) == "2023-03-24T12:40:00Z"
    assert iso_utc(1_679_661_600_250) == "2023-03-24T12:40:00.250Z"


def test_a_finding_describes_itself_with_check_severity_and_first_time() -> None:
    assert GAP.describe() == "gaps (error, first at 2023-03-24T12:40:00Z): 1 hole, 80 missing"


def test_the_span_of_an_empty_report_says_so() -> None:
    assert QualityReport(0, None, None, ()).span() == "empty"
    assert report().span() == "1970-01-01T00:00:00Z .. 1970-01-01T00:09:00Z"


def test_a_quality_error_is_a_data_error_carrying_its_report_and_naming_its_causes() -> None:
    error = DataQualityError("binance SOL/USDT 1m", report(GAP, SPIKE), "refused")
    assert isinstance(error, DataError)
    assert error.report.errors == (GAP,)
    assert str(error) == f"binance SOL/USDT 1m: refused: {GAP.describe()}"
