"""The data-quality checks of candle (OHLCV, mark-price) and funding-rate series.

Every check is vectorised over whole numpy arrays (no Python loop per row), so a
year of 1-minute candles checks in a fraction of a second (``bench/bench_quality.py``
prints the figure). Rows are checked as given for what concerns a single row (values,
grid, order); what concerns the sequence (gaps, returns, runs) is checked on the
series a loader would keep: sorted by time, the last row of each timestamp.

Outlier returns use a robust z-score, ``(r - median) / (1.4826 * MAD)`` over the
series' log returns, which a handful of outliers cannot inflate the way they
inflate a standard deviation. A single bad print shows as two huge opposite
returns, so the checks tell apart:

- a *spike*: a candle whose close leaves by more than ``spike_zscore`` robust sigmas
  and comes back at least half-way on the next candle (a bad print, or a real
  flash move worth a look); reported at the candle, not at the returns;
- a *jump*: any other outlier return, a move that stays (information);
- a *wick spike*: a high or low further from the candle body than ``spike_zscore``
  robust sigmas of the close-to-close returns.

docs/data-quality.md explains each check and its severity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataFormatError
from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.quality import Finding, QualityCheck, QualityReport, Severity, iso_utc
from quantbot.data.resample import bucket_end_ms, bucket_start_ms, timeframe_ms
from quantbot.data.store import CandleKind

__all__ = [
    "CANDLE_SEVERITY",
    "FUNDING_SEVERITY",
    "MAX_ABS_FUNDING_RATE",
    "candle_numbers",
    "candle_open_ms",
    "check_funding",
    "check_ohlcv",
    "unusable_candles",
]

MAX_ABS_FUNDING_RATE = 0.03
"""A funding rate beyond 3 % per settlement (as a fraction) is not a market state but a
unit or parsing error: Binance caps its rates well inside this."""

_HOUR_MS = 3_600_000
_MAD_TO_SIGMA = 1.4826
_MEAN_AD_TO_SIGMA = 1.2533
"""sqrt(pi / 2): the scale from the mean absolute deviation when over half of the
returns are equal (MAD 0, e.g. an illiquid pair whose price mostly does not move)."""
_MIN_RETURNS = 20
"""Fewer returns than this give no robust scale worth the name: no outlier checks."""
_REVERSION = 0.5
"""A spike comes back at least this share of the way on the next candle."""

CANDLE_SEVERITY: dict[QualityCheck, Severity] = {
    QualityCheck.NON_MONOTONIC: Severity.ERROR,
    QualityCheck.DUPLICATES: Severity.ERROR,
    QualityCheck.OFF_GRID: Severity.ERROR,
    QualityCheck.GAPS: Severity.ERROR,
    QualityCheck.NON_FINITE: Severity.ERROR,
    QualityCheck.NON_POSITIVE_PRICE: Severity.ERROR,
    QualityCheck.NEGATIVE_VOLUME: Severity.ERROR,
    QualityCheck.OHLC_INCONSISTENT: Severity.ERROR,
    QualityCheck.SPIKE: Severity.WARNING,
    QualityCheck.WICK_SPIKE: Severity.WARNING,
    QualityCheck.STALE: Severity.WARNING,
    QualityCheck.ZERO_VOLUME_RUN: Severity.WARNING,
    QualityCheck.JUMP: Severity.INFO,
    QualityCheck.ZERO_VOLUME: Severity.INFO,
}
"""Severity of each candle check; docs/data-quality.md gives the reasons."""

FUNDING_SEVERITY: dict[QualityCheck, Severity] = {
    QualityCheck.NON_MONOTONIC: Severity.ERROR,
    QualityCheck.DUPLICATES: Severity.ERROR,
    QualityCheck.NON_FINITE: Severity.ERROR,
    QualityCheck.EXTREME_FUNDING_RATE: Severity.ERROR,
    QualityCheck.GAPS: Severity.ERROR,
    QualityCheck.OFF_GRID: Severity.WARNING,
    QualityCheck.IRREGULAR_INTERVAL: Severity.INFO,
}
"""Severity of each funding check; docs/data-quality.md gives the reasons."""

_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_CHECK_RANK = {check: rank for rank, check in enumerate(QualityCheck)}


def check_ohlcv(
    frame: pd.DataFrame,
    timeframe: str,
    settings: DataQualitySettings | None = None,
    *,
    kind: CandleKind = "ohlcv",
) -> QualityReport:
    """Check a candle series of a known timeframe.

    Args:
        frame: an OHLCV frame (:data:`~quantbot.data.ohlcv.OHLCV_COLUMNS`), in any order.
        timeframe: its ccxt timeframe (``1m``, ``1h``, ``1M``...).
        settings: thresholds; the documented defaults when None.
        kind: ``mark`` for mark-price candles, whose volume is always 0: the
            zero-volume checks are skipped for them.

    Raises:
        DataFormatError: when a column is missing or ``ts_ms`` is not integer.
        ValueError: for a string that is not a timeframe.
    """
    findings, _ = _analyse_candles(frame, timeframe, settings or DataQualitySettings(), kind)
    return _report(frame, findings)


def unusable_candles(
    frame: pd.DataFrame, timeframe: str, settings: DataQualitySettings | None = None
) -> np.ndarray:
    """Rows the ``drop`` policy removes, as a boolean mask aligned with ``frame``'s rows.

    These are the earlier copies of a repeated timestamp, candles off the timeframe
    grid, with a NaN/inf value, a non-positive price, a negative volume or
    inconsistent OHLC, and spikes. Gaps stay gaps.

    Raises:
        DataFormatError: when a column is missing or ``ts_ms`` is not integer.
        ValueError: for a string that is not a timeframe.
    """
    _, unusable = _analyse_candles(frame, timeframe, settings or DataQualitySettings(), "ohlcv")
    return unusable


def check_funding(
    frame: pd.DataFrame,
    *,
    interval_ms: int | None = None,
    max_abs_rate: float = MAX_ABS_FUNDING_RATE,
) -> QualityReport:
    """Check a funding-rate series (columns ``ts_ms``, ``funding_rate`` as a fraction).

    Settlements fall on full hours. The interval between them is usually 8 h, but
    Binance has moved some symbols to 4 h or 1 h: intervals that are not a multiple of
    the nominal one are reported as information, never as errors; whole multiples
    are missing settlements.

    Args:
        frame: the series, in any order.
        interval_ms: nominal interval between settlements; None takes the most
            frequent interval in the series.
        max_abs_rate: largest believable absolute rate per settlement (fraction).

    Raises:
        DataFormatError: when a column is missing or ``ts_ms`` is not integer.
    """
    ts = _timestamps(frame, ("ts_ms", "funding_rate"))
    rate = frame["funding_rate"].to_numpy(dtype=np.float64)
    kept = _kept_rows(ts)
    found = _Findings(FUNDING_SEVERITY)
    _timestamp_findings(
        found, ts, kept, rate[:, None], off_grid=ts % _HOUR_MS != 0, grid="full hour"
    )
    finite = np.isfinite(rate)
    found.per_row(QualityCheck.NON_FINITE, ts, ~finite, "with a NaN/inf rate", noun="settlement")
    extreme = finite & (np.abs(rate) > max_abs_rate)
    found.per_row(
        QualityCheck.EXTREME_FUNDING_RATE,
        ts,
        extreme,
        f"with |rate| > {max_abs_rate:g} (worst {_worst(rate, extreme):+.6g})",
        noun="settlement",
    )
    settled = ts[kept]
    steps = np.diff(settled)
    if len(steps):
        nominal = interval_ms or _most_frequent(steps)
        whole = steps % nominal == 0
        holes = np.flatnonzero(whole & (steps >= 2 * nominal))
        found.gaps(
            settled[holes] + nominal,
            settled[holes + 1] - nominal,
            steps[holes] // nominal - 1,
            "settlement",
        )
        odd = np.flatnonzero(~whole)
        if len(odd):
            seen = ", ".join(f"{s / _HOUR_MS:g}h" for s in np.unique(steps[odd])[:5])
            found.add(
                QualityCheck.IRREGULAR_INTERVAL,
                len(odd),
                len(odd),
                int(settled[odd[0] + 1]),
                f"{_count(len(odd), 'interval')} not a multiple of {nominal / _HOUR_MS:g}h: {seen}",
            )
    return _report(frame, found.findings)


def candle_numbers(open_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Numbers that grow by exactly one from each candle of ``timeframe`` to the next.

    Args:
        open_ms: candle open times on the ``timeframe`` grid, epoch ms.
        timeframe: ccxt timeframe; calendar months (``1M``) are counted as months.

    Raises:
        ValueError: for a string that is not a timeframe.
    """
    if timeframe.endswith("M"):
        months = open_ms.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
        numbers: np.ndarray = months // int(timeframe[:-1])
        return numbers
    return np.asarray(open_ms, dtype=np.int64) // timeframe_ms(timeframe)


def candle_open_ms(first_ms: int, offsets: np.ndarray, timeframe: str) -> np.ndarray:
    """Open times of the candles ``offsets`` candles after the one opening at ``first_ms``.

    Raises:
        ValueError: for a string that is not a timeframe.
    """
    steps = np.asarray(offsets, dtype=np.int64)
    if timeframe.endswith("M"):
        first_month = np.datetime64(first_ms, "ms").astype("datetime64[M]")
        months = first_month + steps * int(timeframe[:-1])
        opens: np.ndarray = months.astype("datetime64[ms]").astype(np.int64)
        return opens
    return first_ms + steps * timeframe_ms(timeframe)


class _Findings:
    """Collects findings with the severity table of the series kind."""

    def __init__(self, severity: dict[QualityCheck, Severity]) -> None:
        self._severity = severity
        self.findings: list[Finding] = []

    def add(
        self, check: QualityCheck, count: int, bars: int, first_ts_ms: int, detail: str
    ) -> None:
        self.findings.append(
            Finding(check, self._severity[check], count, bars, first_ts_ms, detail)
        )

    def per_row(
        self,
        check: QualityCheck,
        ts: np.ndarray,
        mask: np.ndarray,
        what: str,
        example: str = "",
        *,
        noun: str = "candle",
    ) -> None:
        """A finding about single rows (candles, settlements): count, earliest, an example."""
        count = int(mask.sum())
        if count:
            first = int(ts[mask].min())
            self.add(check, count, count, first, f"{_count(count, noun)} {what}{example}")

    def runs(
        self,
        check: QualityCheck,
        ts: np.ndarray,
        starts: np.ndarray,
        lengths: np.ndarray,
        what: str,
    ) -> None:
        """A finding from runs of consecutive candles, naming the longest one."""
        if len(starts):
            longest = int(np.argmax(lengths))
            begin, size = int(starts[longest]), int(lengths[longest])
            self.add(
                check,
                len(starts),
                int(lengths.sum()),
                int(ts[starts[0]]),
                f"{_count(len(starts), 'run')} {what}; longest {_count(size, 'candle')} "
                f"{iso_utc(int(ts[begin]))} .. {iso_utc(int(ts[begin + size - 1]))}",
            )

    def gaps(
        self, first_missing: np.ndarray, last_missing: np.ndarray, missing: np.ndarray, unit: str
    ) -> None:
        """A gap finding: holes, missing bars and the largest hole's first and last missing one."""
        if len(missing):
            largest = int(np.argmax(missing))
            self.add(
                QualityCheck.GAPS,
                len(missing),
                int(missing.sum()),
                int(first_missing[0]),
                f"{_count(len(missing), 'hole')}, {_count(int(missing.sum()), 'missing ' + unit)}; "
                f"largest {_count(int(missing[largest]), unit)} "
                f"{iso_utc(int(first_missing[largest]))} .. "
                f"{iso_utc(int(last_missing[largest]))}",
            )


def _analyse_candles(
    frame: pd.DataFrame, timeframe: str, settings: DataQualitySettings, kind: CandleKind
) -> tuple[list[Finding], np.ndarray]:
    """Findings of every candle check, and the mask of rows the drop policy removes."""
    ts = _timestamps(frame, OHLCV_COLUMNS)
    o, h, low, c, v = (frame[name].to_numpy(dtype=np.float64) for name in OHLCV_COLUMNS[1:])
    kept = _kept_rows(ts)
    found = _Findings(CANDLE_SEVERITY)
    off_grid = bucket_start_ms(ts, timeframe) != ts
    values = np.column_stack((o, h, low, c, v))
    _timestamp_findings(found, ts, kept, values, off_grid=off_grid, grid=f"{timeframe} grid")

    prices_finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(low) & np.isfinite(c)
    non_finite = ~(prices_finite & np.isfinite(v))
    non_positive = prices_finite & (np.minimum(np.minimum(o, h), np.minimum(low, c)) <= 0)
    negative_volume = np.isfinite(v) & (v < 0)
    # low <= min(open, close) and high >= max(open, close) imply low <= high.
    inconsistent = prices_finite & ((low > np.minimum(o, c)) | (h < np.maximum(o, c)))
    for check, mask, what in (
        (QualityCheck.NON_FINITE, non_finite, "with a NaN/inf value"),
        (QualityCheck.NON_POSITIVE_PRICE, non_positive, "with a price <= 0"),
        (QualityCheck.NEGATIVE_VOLUME, negative_volume, "with a negative volume"),
        (
            QualityCheck.OHLC_INCONSISTENT,
            inconsistent,
            "where low/high do not bound open/close",
        ),
    ):
        found.per_row(check, ts, mask, what, _first_candle(ts, mask, (o, h, low, c, v)))

    # The sequence a loader keeps: sorted, the last row of each timestamp.
    kts = ts[kept]
    starts = bucket_start_ms(kts, timeframe)
    steps = np.diff(candle_numbers(starts, timeframe))
    holes = np.flatnonzero(steps > 1)
    found.gaps(
        bucket_end_ms(starts[holes], timeframe),
        bucket_start_ms(starts[holes + 1] - 1, timeframe),
        steps[holes] - 1,
        "candle",
    )
    ko, kh, kl, kc, kv = (column[kept] for column in (o, h, low, c, v))
    sound = (prices_finite & ~non_positive & ~inconsistent)[kept]
    spikes = _outliers(
        found, kts, o=ko, h=kh, low=kl, c=kc, sound=sound, threshold=settings.spike_zscore
    )

    same_prices = (
        (ko[1:] == ko[:-1]) & (kh[1:] == kh[:-1]) & (kl[1:] == kl[:-1]) & (kc[1:] == kc[:-1])
    )
    repeat = same_prices & ((kv[1:] == 0) | (kv[1:] == kv[:-1]))
    run_starts, run_lengths = _runs(repeat)
    # A run of k repeats is k + 1 identical candles, starting one row before the first repeat.
    stale = run_lengths + 1 >= settings.stale_after_bars
    found.runs(
        QualityCheck.STALE,
        kts,
        run_starts[stale],
        run_lengths[stale] + 1,
        f"of >= {settings.stale_after_bars} identical candles without new volume",
    )
    if kind == "ohlcv":
        zero = kv == 0
        run_starts, run_lengths = _runs(zero)
        long_run = run_lengths > settings.max_zero_volume_run
        found.runs(
            QualityCheck.ZERO_VOLUME_RUN,
            kts,
            run_starts[long_run],
            run_lengths[long_run],
            f"of more than {settings.max_zero_volume_run} zero-volume candles",
        )
        found.per_row(QualityCheck.ZERO_VOLUME, kts, zero, "with zero volume")

    unusable = off_grid | non_finite | non_positive | negative_volume | inconsistent
    unusable[kept[spikes]] = True
    unusable[~_last_of_timestamp(ts, kept)] = True
    return found.findings, unusable


def _outliers(
    found: _Findings,
    ts: np.ndarray,
    *,
    o: np.ndarray,
    h: np.ndarray,
    low: np.ndarray,
    c: np.ndarray,
    sound: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Spike, jump and wick-spike findings; returns the positions of the spike candles."""
    rows = np.flatnonzero(sound)
    log_close = np.log(c[rows])
    returns = np.diff(log_close)
    if len(returns) < _MIN_RETURNS:
        return rows[:0]
    median = float(np.median(returns))
    deviation = np.abs(returns - median)
    mad = float(np.median(deviation))
    scale = _MAD_TO_SIGMA * mad if mad > 0 else _MEAN_AD_TO_SIGMA * float(deviation.mean())
    if scale == 0:
        return rows[:0]
    z = (returns - median) / scale
    big = np.abs(z) > threshold
    into, out = returns[:-1], returns[1:]
    reverts = (into * out < 0) & (
        np.minimum(np.abs(into), np.abs(out)) >= _REVERSION * np.maximum(np.abs(into), np.abs(out))
    )
    spike_at = np.flatnonzero(big[:-1] & big[1:] & reverts)
    spikes = rows[spike_at + 1]
    if len(spikes):
        worst = spike_at[np.argmax(np.abs(z[spike_at]))]
        found.per_row(
            QualityCheck.SPIKE,
            ts,
            _mask(len(ts), spikes),
            f"whose close leaves by > {threshold:g} robust sigmas and comes back",
            f"; largest {iso_utc(int(ts[rows[worst + 1]]))}: close {c[rows[worst + 1]]:.10g} between "
            f"{c[rows[worst]]:.10g} and {c[rows[worst + 2]]:.10g} ({abs(z[worst]):.0f} sigmas)",
        )
    in_spike = np.zeros(len(returns), dtype=bool)
    in_spike[spike_at] = in_spike[spike_at + 1] = True
    jump_at = np.flatnonzero(big & ~in_spike)
    if len(jump_at):
        worst = jump_at[np.argmax(np.abs(z[jump_at]))]
        found.per_row(
            QualityCheck.JUMP,
            ts,
            _mask(len(ts), rows[jump_at + 1]),
            f"whose close moves > {threshold:g} robust sigmas and stays",
            f"; largest {iso_utc(int(ts[rows[worst + 1]]))}: {c[rows[worst]]:.10g} -> "
            f"{c[rows[worst + 1]]:.10g} ({z[worst]:+.0f} sigmas)",
        )
    body_top = np.log(np.maximum(o[rows], c[rows]))
    body_bottom = np.log(np.minimum(o[rows], c[rows]))
    wick = np.maximum(np.log(h[rows]) - body_top, body_bottom - np.log(low[rows])) / scale
    wick_at = np.flatnonzero(wick > threshold)
    if len(wick_at):
        worst_row = rows[wick_at[np.argmax(wick[wick_at])]]
        found.per_row(
            QualityCheck.WICK_SPIKE,
            ts,
            _mask(len(ts), rows[wick_at]),
            f"whose high or low reaches > {threshold:g} robust sigmas beyond the body",
            f"; largest {iso_utc(int(ts[worst_row]))}: {_ohlc(o, h, low, c, worst_row)} "
            f"({float(wick.max()):.0f} sigmas)",
        )
    return spikes


def _timestamp_findings(
    found: _Findings,
    ts: np.ndarray,
    kept: np.ndarray,
    values: np.ndarray,
    *,
    off_grid: np.ndarray,
    grid: str,
) -> None:
    """Findings about the time axis: order, duplicates, grid."""
    back = np.flatnonzero(ts[1:] < ts[:-1]) + 1
    if len(back):
        row = int(back[0])
        found.add(
            QualityCheck.NON_MONOTONIC,
            len(back),
            len(back),
            int(ts[back].min()),
            f"{_count(len(back), 'row')} opening before the row above; first: row {row} "
            f"({iso_utc(int(ts[row]))}) after {iso_utc(int(ts[row - 1]))}",
        )
    earlier = np.flatnonzero(~_last_of_timestamp(ts, kept))
    if len(earlier):
        order = np.argsort(ts, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        # Each earlier copy is followed, in sorted order, by a row with the same timestamp.
        following = order[rank[earlier] + 1]
        a, b = values[earlier], values[following]
        differs = ~((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
        repeated = np.unique(ts[earlier])
        conflicting = len(np.unique(ts[earlier][differs]))
        found.add(
            QualityCheck.DUPLICATES,
            len(earlier),
            len(earlier),
            int(repeated[0]),
            f"{_count(len(earlier), 'extra row')} at {_count(len(repeated), 'timestamp')}, "
            f"{conflicting} of them "
            "with conflicting values (loading keeps the last row of each)",
        )
    found.per_row(
        QualityCheck.OFF_GRID,
        ts,
        off_grid,
        f"off the {grid}",
        noun="timestamp",
    )


def _timestamps(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise DataFormatError(f"missing columns {missing}; has {list(frame.columns)}")
    if not pd.api.types.is_integer_dtype(frame["ts_ms"]):
        raise DataFormatError(f"ts_ms must hold integer epoch ms, not {frame['ts_ms'].dtype}")
    return frame["ts_ms"].to_numpy(dtype=np.int64)


def _kept_rows(ts: np.ndarray) -> np.ndarray:
    """Positions of the rows a loader keeps: sorted by time, the last row of each timestamp."""
    if len(ts) < 2 or bool(np.all(ts[1:] > ts[:-1])):
        return np.arange(len(ts))
    order = np.argsort(ts, kind="stable")
    ordered = ts[order]
    last: np.ndarray = order[np.append(ordered[1:] != ordered[:-1], True)]
    return last


def _last_of_timestamp(ts: np.ndarray, kept: np.ndarray) -> np.ndarray:
    return _mask(len(ts), kept)


def _mask(size: int, positions: np.ndarray) -> np.ndarray:
    """A boolean array of ``size``, True at ``positions``."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and lengths of the runs of True in a boolean array."""
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def _count(number: int, noun: str) -> str:
    """``1 hole``, ``3 holes``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _most_frequent(values: np.ndarray) -> int:
    distinct, counts = np.unique(values, return_counts=True)
    return int(distinct[np.argmax(counts)])


def _worst(values: np.ndarray, mask: np.ndarray) -> float:
    if not mask.any():
        return 0.0
    chosen = values[mask]
    return float(chosen[np.argmax(np.abs(chosen))])


def _ohlc(o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray, row: int) -> str:
    return f"o {o[row]:.10g} h {h[row]:.10g} l {low[row]:.10g} c {c[row]:.10g}"


def _first_candle(ts: np.ndarray, mask: np.ndarray, columns: tuple[np.ndarray, ...]) -> str:
    """``; first 2023-03-24T12:40:00Z: o .. h .. l .. c .. v ..`` for a per-candle finding."""
    if not mask.any():
        return ""
    row = int(np.flatnonzero(mask)[np.argmin(ts[mask])])
    o, h, low, c, v = columns
    return f"; first {iso_utc(int(ts[row]))}: {_ohlc(o, h, low, c, row)} v {v[row]:.10g}"


def _report(frame: pd.DataFrame, findings: list[Finding]) -> QualityReport:
    ts = frame["ts_ms"].to_numpy(dtype=np.int64)
    ordered = sorted(findings, key=lambda f: (_SEVERITY_RANK[f.severity], _CHECK_RANK[f.check]))
    return QualityReport(
        rows=len(ts),
        first_ts_ms=int(ts.min()) if len(ts) else None,
        last_ts_ms=int(ts.max()) if len(ts) else None,
        findings=tuple(ordered),
    )
