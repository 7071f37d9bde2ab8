"""Import of market-data files in the interchange format into the candle store.

A file's name says what it holds (:func:`quantbot.data.files.parse_data_file`); OHLCV,
mark-price, funding and order-book files are read and appended to the store. Trade
files and raw order-book update streams have no place in the store yet and are skipped
with that reason, as are files whose names are not market-data names when a whole
directory is imported (its README, a manifest). Importing is idempotent: the store
de-duplicates, so a second import of the same files adds nothing.

One bad file does not stop the others: its result says why it failed and the caller
decides what that means (the CLI exits 1 after importing the rest).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from quantbot.data.errors import DataError
from quantbot.data.files import (
    DataFile,
    DataKind,
    files_under,
    parse_data_file,
    read_funding_csv,
    read_ohlcv_csv,
    read_order_book_jsonl,
)
from quantbot.data.store import CandleKind, CandleStore
from quantbot.logs import LogEvent, log_event

__all__ = ["ImportProgress", "ImportResult", "ImportStatus", "import_path"]

_log = logging.getLogger(__name__)

ImportStatus = Literal["imported", "skipped", "failed"]
"""imported: appended (perhaps 0 new rows); skipped: not storable; failed: unreadable."""

ImportProgress = Callable[[int, int, Path], None]
"""Called after each file with (files done, files in total, the file)."""

_NOT_STORED: dict[DataKind, str] = {
    "trades": "trades are not stored",
    "orderbook-updates": "book update streams are not stored (the *_orderbook file is)",
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What happened to one file.

    Attributes:
        path: the file.
        status: imported, skipped or failed.
        data_file: what its name says it holds; None when the name is not a data-file name.
        rows_read: rows in the file (0 unless imported).
        rows_added: rows the store did not hold before.
        first_ts_ms: first timestamp in the file, epoch ms; None if none was read.
        last_ts_ms: last timestamp in the file, epoch ms; None if none was read.
        reason: why it was skipped or failed; empty when imported.
    """

    path: Path
    status: ImportStatus
    data_file: DataFile | None = None
    rows_read: int = 0
    rows_added: int = 0
    first_ts_ms: int | None = None
    last_ts_ms: int | None = None
    reason: str = ""


def import_path(
    store: CandleStore, path: Path, *, progress: ImportProgress | None = None
) -> list[ImportResult]:
    """Import one data file, or every file under a directory (recursively, in name order).

    Args:
        store: where the data goes.
        path: a data file or a directory of them.
        progress: optional callback after each file, e.g. for a progress bar.

    Returns:
        One result per file, in the order imported. A file named explicitly whose name
        is not a data-file name fails; inside a directory such files are skipped.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
    """
    files = files_under(path)
    explicit = not path.is_dir()
    results = []
    for done, file in enumerate(files, start=1):
        result = _import_file(store, file, explicit=explicit)
        _log_result(result)
        results.append(result)
        if progress is not None:
            progress(done, len(files), file)
    return results


def _import_file(store: CandleStore, path: Path, *, explicit: bool) -> ImportResult:
    try:
        data_file = parse_data_file(path)
    except (DataError, ValueError) as exc:
        return ImportResult(path, "failed" if explicit else "skipped", reason=str(exc))
    if data_file.kind in _NOT_STORED:
        return ImportResult(path, "skipped", data_file, reason=_NOT_STORED[data_file.kind])
    try:
        frame, added = _append(store, data_file)
    except (DataError, ValueError) as exc:
        return ImportResult(path, "failed", data_file, reason=str(exc))
    ts_ms = frame["ts_ms"]
    return ImportResult(
        path,
        "imported",
        data_file,
        rows_read=len(frame),
        rows_added=added,
        first_ts_ms=int(ts_ms.min()) if len(frame) else None,
        last_ts_ms=int(ts_ms.max()) if len(frame) else None,
    )


def _append(store: CandleStore, data_file: DataFile) -> tuple[pd.DataFrame, int]:
    """Read a storable file and append it; return its rows and how many were new."""
    path, exchange, symbol = data_file.path, data_file.exchange, data_file.symbol
    if data_file.kind == "funding":
        frame = read_funding_csv(path)
        return frame, store.append_funding(exchange, symbol, frame)
    if data_file.kind == "orderbook":
        frame = read_order_book_jsonl(path)
        return frame, store.append_order_books(exchange, symbol, frame)
    if data_file.timeframe is None or data_file.kind not in ("ohlcv", "mark"):
        raise DataError(f"{path.name}: {data_file.kind} files cannot be imported")
    frame = read_ohlcv_csv(path)
    kind: CandleKind = "mark" if data_file.kind == "mark" else "ohlcv"
    return frame, store.append(exchange, symbol, data_file.timeframe, frame, kind=kind)


def _log_result(result: ImportResult) -> None:
    if result.status == "failed":
        log_event(
            _log,
            LogEvent.ERROR,
            "market-data file not imported: %s",
            result.reason,
            level=logging.WARNING,
            file=str(result.path),
        )
    elif result.status == "imported":
        # DEBUG: the caller reports imports (the CLI prints a table); failures are warnings.
        _log.debug(
            "imported %s: %d rows, %d new",
            result.path.name,
            result.rows_read,
            result.rows_added,
            extra={"file": str(result.path), "rows_added": result.rows_added},
        )
