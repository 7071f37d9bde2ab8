"""``quantbot data import``: load market-data files into the candle store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from quantbot.cli.console import error_line, out, progress_bar, say
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.core.clock import ms_to_datetime
from quantbot.data.importer import ImportResult, import_path
from quantbot.data.store import CandleStore

__all__ = ["import_command"]

_SHOWN_IGNORED = 5
"""Names of ignored files listed before the rest are only counted."""


def import_command(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="A market-data file, or a directory searched recursively for them.",
            show_default=False,
        ),
    ],
    config_dir: ConfigDirOption = None,
) -> None:
    """Import market-data files (CSV or JSON lines, gzipped or not) into the candle store.

    A file's name says what it holds, as in ../shared/data:
    <exchange>_<BASE-QUOTE[-PERP]>_<1m|mark_1h|funding|orderbook>[_<dates>].csv[.gz].
    The store is <data_dir>/market; importing the same file twice adds nothing. Trade
    files and raw book-update streams are skipped. Exit status 1 if any file could not
    be read; the others are imported all the same.

    Examples:
      quantbot data import ../shared/data
      quantbot data import ../shared/data/binance_BTC-USDT_1m.csv.gz --config ./config
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    store = CandleStore(config.data_dir / "market")
    with progress_bar() as bar:
        task = bar.add_task("importing", total=None)

        def progress(done: int, total: int, file: Path) -> None:
            bar.update(task, completed=done, total=total, description=escape(file.name))

        results = import_path(store, path, progress=progress)
    _render(results, store)


def _render(results: list[ImportResult], store: CandleStore) -> None:
    """Print the per-file table and the summary; exit 1 if any file failed."""
    recognised = [r for r in results if r.data_file is not None or r.status == "failed"]
    ignored = [r for r in results if r not in recognised]
    table = Table(title=f"Market data imported into {escape(str(store.root))}")
    table.add_column("file", overflow="fold")
    for column in ("kind", "exchange", "symbol", "tf", "rows", "added", "range (UTC)"):
        table.add_column(column, justify="right" if column in ("rows", "added") else "left")
    for result in recognised:
        table.add_row(*_cells(result))
    if recognised:
        out.print(table)
    if ignored:
        names = ", ".join(r.path.name for r in ignored[:_SHOWN_IGNORED])
        more = f" and {len(ignored) - _SHOWN_IGNORED} more" if len(ignored) > _SHOWN_IGNORED else ""
        say(f"{len(ignored)} file(s) ignored, not market-data file names: {names}{more}")
    imported = [r for r in results if r.status == "imported"]
    added = sum(r.rows_added for r in imported)
    say(f"{len(imported)} file(s) imported, {added:,} new row(s)")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        for result in failed:
            error_line(f"{result.path}: {result.reason}")
        others = f"the other {len(imported)} were imported" if imported else "none was imported"
        error_line(f"{len(failed)} file(s) could not be imported (listed above); {others}")
        raise typer.Exit(1)


def _cells(result: ImportResult) -> tuple[str, ...]:
    data = result.data_file
    identity = (
        (data.kind, data.exchange, data.symbol, data.timeframe or "")
        if data is not None
        else ("", "", "", "")
    )
    if result.status == "imported":
        status = (f"{result.rows_read:,}", f"{result.rows_added:,}", _span(result))
    elif result.status == "skipped":
        status = ("", "", f"[yellow]skipped[/yellow]: {escape(result.reason)}")
    else:
        status = ("", "", "[red]FAILED[/red] (see below)")
    return (escape(result.path.name), *(escape(cell) for cell in identity), *status)


def _span(result: ImportResult) -> str:
    if result.first_ts_ms is None or result.last_ts_ms is None:
        return "empty"
    first, last = ms_to_datetime(result.first_ts_ms), ms_to_datetime(result.last_ts_ms)
    return f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M}"
