"""The data-quality checks run over many series: market-data files or the candle store.

One :class:`SeriesCheck` per file or stored series says what it is, whether it was
checked, skipped (trades, order books: not candle or funding series) or could not be
read, and the :class:`~quantbot.data.quality.QualityReport` of a checked one.
``quantbot data check`` renders these; the test suite runs them over ``../shared/data``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataError
from quantbot.data.files import (
    DataFile,
    files_under,
    parse_data_file,
    read_funding_csv,
    read_ohlcv_csv,
)
from quantbot.data.quality import QualityReport
from quantbot.data.quality_checks import check_funding, check_ohlcv
from quantbot.data.store import CandleKind, CandleStore, SeriesInfo

__all__ = ["CheckProgress", "CheckStatus", "SeriesCheck", "check_path", "check_store"]

CheckStatus = Literal["checked", "skipped", "ignored", "failed"]
"""checked: has a report; skipped: not a candle or funding series; ignored: a file in a
directory whose name is not a market-data name (a README); failed: could not be read."""

CheckProgress = Callable[[int, int, str], None]
"""Called after each series with (series done, series in total, its name)."""

_UNREADABLE = (OSError, EOFError, zlib.error)
"""What reading a damaged (truncated, corrupt) compressed file may raise."""


@dataclass(frozen=True, slots=True)
class SeriesCheck:
    """The outcome of checking one file or stored series.

    Attributes:
        name: the file as given, its path relative to the directory given, or
            ``exchange symbol kind timeframe`` for a stored series.
        status: checked, skipped, ignored or failed.
        kind: ohlcv, mark, funding, trades...; empty when unknown.
        timeframe: candle timeframe, or None.
        report: the checks' report when checked, else None.
        reason: why it was skipped, ignored or failed; empty when checked.
    """

    name: str
    status: CheckStatus
    kind: str = ""
    timeframe: str | None = None
    report: QualityReport | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """False when it failed to read or its report has an error finding."""
        return self.status != "failed" and (self.report is None or self.report.ok)


def check_path(
    path: Path, settings: DataQualitySettings, *, progress: CheckProgress | None = None
) -> list[SeriesCheck]:
    """Check one market-data file, or every file under a directory (recursively, by name).

    File names say what they hold (:func:`quantbot.data.files.parse_data_file`). In a
    directory, files whose names are not market-data names are ``ignored``; a file named
    explicitly with such a name ``failed``.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
    """
    files = files_under(path)
    explicit = not path.is_dir()
    results = []
    for done, file in enumerate(files, start=1):
        name = str(path) if explicit else file.relative_to(path).as_posix()
        results.append(_check_file(file, name, settings, explicit=explicit))
        if progress is not None:
            progress(done, len(files), str(file))
    return results


def check_store(
    store: CandleStore, settings: DataQualitySettings, *, progress: CheckProgress | None = None
) -> list[SeriesCheck]:
    """Check every series in the candle store (order books are skipped)."""
    catalogue = store.series()
    results = []
    for done, info in enumerate(catalogue, start=1):
        results.append(_check_stored(store, info, settings))
        if progress is not None:
            progress(done, len(catalogue), results[-1].name)
    return results


def _check_file(
    path: Path, name: str, settings: DataQualitySettings, *, explicit: bool
) -> SeriesCheck:
    try:
        data_file = parse_data_file(path)
    except (DataError, ValueError) as exc:
        return SeriesCheck(name, "failed" if explicit else "ignored", reason=str(exc))
    kind, timeframe = data_file.kind, data_file.timeframe
    if kind not in ("ohlcv", "mark", "funding"):
        return SeriesCheck(name, "skipped", kind, reason=f"{kind}: not a candle or funding series")
    try:
        report = _check_file_series(data_file, settings)
    except DataError as exc:
        return SeriesCheck(name, "failed", kind, timeframe, reason=str(exc))
    except _UNREADABLE as exc:
        return SeriesCheck(name, "failed", kind, timeframe, reason=f"cannot be read: {exc}")
    return SeriesCheck(name, "checked", kind, timeframe, report)


def _check_file_series(data_file: DataFile, settings: DataQualitySettings) -> QualityReport:
    if data_file.kind == "funding":
        return check_funding(read_funding_csv(data_file.path))
    assert data_file.timeframe is not None  # parse_data_file gives candle files a timeframe
    kind: CandleKind = "mark" if data_file.kind == "mark" else "ohlcv"
    return check_ohlcv(read_ohlcv_csv(data_file.path), data_file.timeframe, settings, kind=kind)


def _check_stored(
    store: CandleStore, info: SeriesInfo, settings: DataQualitySettings
) -> SeriesCheck:
    name = " ".join(
        part for part in (info.exchange, info.symbol, info.kind, info.timeframe) if part
    )
    if info.kind == "funding":
        report = check_funding(store.load_funding(info.exchange, info.symbol))
    elif info.kind in ("ohlcv", "mark") and info.timeframe is not None:
        kind: CandleKind = "mark" if info.kind == "mark" else "ohlcv"
        frame = store.load(info.exchange, info.symbol, info.timeframe, kind=kind)
        report = check_ohlcv(frame, info.timeframe, settings, kind=kind)
    else:
        return SeriesCheck(
            name, "skipped", info.kind, reason=f"{info.kind}: not a candle or funding series"
        )
    return SeriesCheck(name, "checked", info.kind, info.timeframe, report)
