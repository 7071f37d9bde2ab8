"""What loading does with a candle series that fails a check (``data_quality.policy``).

- ``error`` (the default): a series with an error finding is refused with
  :class:`~quantbot.data.errors.DataQualityError`, the report attached.
- ``ffill``: repairs the time axis. Rows are sorted, a repeated timestamp keeps its
  last row (the newest download of a candle), and every missing candle becomes a
  flat candle at the previous close with zero volume: what an exchange prints for a
  minute without trades. Broken *values* (NaN/inf, a price <= 0, a negative volume,
  inconsistent OHLC) and off-grid timestamps are still refused: putting a made-up
  candle in place of a broken one would hide a broken source. Use ``drop`` for those.
- ``drop``: removes the unusable candles (see
  :func:`~quantbot.data.quality_checks.unusable_candles`: duplicates, off-grid, broken
  values, spikes) and leaves the gaps, now also where candles were removed.

Every refusal, every repair and every finding left in the series returned is logged
(errors and warnings at WARNING, or ERROR for a refusal; information at DEBUG), so
the engine never trades on data that failed a check without the log saying so.
A repaired frame holds the OHLCV columns only, in time order, with a fresh index.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import numpy as np
import pandas as pd

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataQualityError
from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.quality import Finding, QualityCheck, QualityReport, Severity, iso_utc
from quantbot.data.quality_checks import (
    candle_numbers,
    candle_open_ms,
    check_ohlcv,
    unusable_candles,
)
from quantbot.data.store import CandleKind
from quantbot.logs import LogEvent, log_event

__all__ = ["FFILL_REPAIRS", "apply_quality_policy"]

_log = logging.getLogger(__name__)

FFILL_REPAIRS = frozenset({QualityCheck.NON_MONOTONIC, QualityCheck.DUPLICATES, QualityCheck.GAPS})
"""The error findings the ``ffill`` policy repairs; any other error is refused."""

_EVENT = LogEvent.DATA_QUALITY


def apply_quality_policy(
    frame: pd.DataFrame,
    timeframe: str,
    settings: DataQualitySettings,
    *,
    series: str,
    kind: CandleKind = "ohlcv",
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """Check a candle series and return the frame to use under ``settings.policy``.

    Args:
        frame: an OHLCV frame as loaded.
        timeframe: its ccxt timeframe.
        settings: the ``data_quality`` settings (policy and thresholds).
        series: what the frame is, for the log and the error, e.g. ``binance BTC/USDT 1m``.
        kind: ``mark`` for mark-price candles (no volume checks).
        logger: where to log; this module's logger by default.

    Returns:
        ``frame`` itself when there is nothing the policy acts on (no error finding;
        under ``drop`` also no unusable candle such as a spike); otherwise the repaired
        frame (OHLCV columns, time order, fresh index).

    Raises:
        DataQualityError: under ``error`` when any error finding remains, under
            ``ffill`` when an error is not one it repairs (:data:`FFILL_REPAIRS`).
        DataFormatError: when a column is missing or ``ts_ms`` is not integer.
    """
    log = logger or _log
    policy = settings.policy
    report = check_ohlcv(frame, timeframe, settings, kind=kind)
    if policy == "drop":
        unusable = unusable_candles(frame, timeframe, settings)
        if report.ok and not unusable.any():
            _log_findings(log, series, policy, report)
            return frame
        repaired = _in_time_order(frame[~unusable])
        what = f"{int(unusable.sum())} unusable candles removed, rows sorted, gaps left as they are"
    elif report.ok:
        _log_findings(log, series, policy, report)
        return frame
    elif policy == "error":
        _refuse(log, series, policy, report, "refused under data_quality.policy error")
    else:
        unrepairable = sorted({f.check for f in report.errors} - FFILL_REPAIRS)
        if unrepairable:
            _refuse(
                log,
                series,
                policy,
                report,
                f"refused: data_quality.policy ffill cannot repair {', '.join(unrepairable)} "
                "(policy drop removes such candles)",
            )
        repaired = _forward_fill(frame, timeframe)
        filled = len(repaired) - _distinct_rows(frame)
        what = f"{filled} flat candles filled in, rows sorted and de-duplicated"
    after = check_ohlcv(repaired, timeframe, settings, kind=kind)
    fixed = sorted({f.check.value for f in report.errors} - {f.check.value for f in after.errors})
    left = [f.check.value for f in after.errors]
    log_event(
        log,
        _EVENT,
        "%s: data_quality.policy %s: %s (%d rows -> %d); repaired: %s; errors left: %s",
        series,
        policy,
        what,
        len(frame),
        len(repaired),
        ", ".join(fixed) or "none",
        ", ".join(left) or "none",
        level=logging.WARNING,
        series=series,
        policy=policy,
        repaired=fixed,
        errors_left=left,
        rows_before=len(frame),
        rows_after=len(repaired),
    )
    _log_findings(log, series, policy, after)
    return repaired


def _refuse(
    log: logging.Logger, series: str, policy: str, report: QualityReport, reason: str
) -> NoReturn:
    for finding in report.errors:
        _log_finding(log, series, policy, finding, logging.ERROR)
    log_event(
        log,
        _EVENT,
        "%s: %s",
        series,
        reason,
        level=logging.ERROR,
        series=series,
        policy=policy,
        errors=[f.check.value for f in report.errors],
    )
    raise DataQualityError(series, report, reason)


def _log_findings(log: logging.Logger, series: str, policy: str, report: QualityReport) -> None:
    """Log what is left in a series that is used: errors the policy accepts, warnings, info."""
    for finding in report.findings:
        level = logging.DEBUG if finding.severity is Severity.INFO else logging.WARNING
        _log_finding(log, series, policy, finding, level)


def _log_finding(
    log: logging.Logger, series: str, policy: str, finding: Finding, level: int
) -> None:
    log_event(
        log,
        _EVENT,
        "%s: %s",
        series,
        finding.describe(),
        level=level,
        series=series,
        policy=policy,
        check=finding.check.value,
        severity=finding.severity.value,
        count=finding.count,
        bars=finding.bars,
        first_ts=iso_utc(finding.first_ts_ms),
    )


def _distinct_rows(frame: pd.DataFrame) -> int:
    return int(frame["ts_ms"].nunique())


def _in_time_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by time, the last row of each timestamp, OHLCV columns, fresh index."""
    ordered = frame.sort_values("ts_ms", kind="stable").drop_duplicates("ts_ms", keep="last")
    return ordered[list(OHLCV_COLUMNS)].reset_index(drop=True)


def _forward_fill(frame: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Fill every missing candle with a flat one at the previous close and zero volume."""
    candles = OhlcvArrays.from_frame(_in_time_order(frame))
    if not len(candles):
        return candles.to_frame()
    offsets = candle_numbers(candles.ts_ms, timeframe)
    offsets -= offsets[0]
    total = int(offsets[-1]) + 1
    source = np.full(total, -1, dtype=np.int64)
    source[offsets] = np.arange(len(candles))
    real = source >= 0
    # The first slot is always a real candle, so every slot has a last real one at or before it.
    previous_close = candles.close[np.maximum.accumulate(source)]
    filled = {
        name: np.where(real, getattr(candles, name)[source], previous_close)
        for name in ("open", "high", "low", "close")
    }
    return OhlcvArrays(
        ts_ms=candle_open_ms(int(candles.ts_ms[0]), np.arange(total), timeframe),
        volume=np.where(real, candles.volume[source], 0.0),
        **filled,
    ).to_frame()
