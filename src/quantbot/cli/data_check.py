"""``quantbot data check``: run the data-quality checks over files or the candle store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from quantbot.cli.console import error_line, out, progress_bar, say
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.data.quality import Finding, Severity, iso_utc
from quantbot.data.quality_scan import SeriesCheck, check_path, check_store
from quantbot.data.store import CandleStore

__all__ = ["check_command"]

_SHOWN_IGNORED = 5
"""Names of ignored files listed before the rest are only counted."""

_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def check_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            exists=True,
            help="Market-data files, or directories searched recursively for them "
            "[default: every series in the candle store, <data_dir>/market].",
            show_default=False,
        ),
    ] = None,
    config_dir: ConfigDirOption = None,
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown", help="Print one Markdown table row per series instead (for docs)."
        ),
    ] = False,
) -> None:
    """Check candle and funding series: gaps, duplicates, bad candles, spikes, stale feeds.

    Each series gets its rows, its time range and one line per finding: severity,
    check, where it first occurs (UTC) and the worst instance. Files are recognised by
    name, as in ../shared/data; trades and order books are listed as skipped. Thresholds
    come from data_quality in settings.yaml. Exit status 1 if any series has an
    error-severity finding or cannot be read; warnings and information never fail.

    Examples:
      quantbot data check
      quantbot data check ../shared/data
      quantbot data check ../shared/data/binance_SOL-USDT_1m.csv.gz --config ./config
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    settings = config.settings.data_quality
    with progress_bar() as bar:
        task = bar.add_task("checking", total=None)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=escape(Path(name).name))

        if paths:
            results = [r for path in paths for r in check_path(path, settings, progress=progress)]
        else:
            store = CandleStore(config.data_dir / "market")
            say(f"candle store {store.root}")
            results = check_store(store, settings, progress=progress)
    if markdown:
        _render_markdown(results)
    else:
        _render(results)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def _render(results: list[SeriesCheck]) -> None:
    """One header line per series and one line per finding, then the summary."""
    for result in results:
        if result.status == "checked" and result.report is not None:
            report = result.report
            verdict = "ok" if report.ok else "FAILED"
            what = " ".join(part for part in (result.kind, result.timeframe) if part)
            say(
                f"{result.name}  {what}  {report.rows:,} rows  {report.span()}  {verdict}",
                style="bold" if report.ok else "bold red",
            )
            for finding in report.findings:
                say(f"  {_line(finding)}", style=_STYLE[finding.severity])
        elif result.status == "skipped":
            say(f"{result.name}  skipped: {result.reason}", style="dim")
        elif result.status == "failed":
            error_line(f"{result.name}: cannot be checked: {result.reason}")
    ignored = [r.name for r in results if r.status == "ignored"]
    if ignored:
        more = len(ignored) - _SHOWN_IGNORED
        names = ", ".join(ignored[:_SHOWN_IGNORED]) + (f" and {more} more" if more > 0 else "")
        say(f"{len(ignored)} file(s) ignored, not market-data file names: {names}", style="dim")
    say(_summary(results))


def _line(finding: Finding) -> str:
    where = iso_utc(finding.first_ts_ms)
    return f"{finding.severity:<7}  {finding.check:<18}  first {where}  {finding.detail}"


def _summary(results: list[SeriesCheck]) -> str:
    checked = [r.report for r in results if r.report is not None]
    failing = sum(not report.ok for report in checked)
    warned = sum(report.ok and bool(report.warnings) for report in checked)
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("skipped", "ignored", "failed")
    }
    return (
        f"{len(checked)} series checked: {len(checked) - failing - warned} clean or info only, "
        f"{warned} with warnings, {failing} with errors; {counts['skipped']} skipped "
        f"(not candle or funding series), {counts['ignored']} ignored, "
        f"{counts['failed']} could not be read"
    )


def _render_markdown(results: list[SeriesCheck]) -> None:
    """A Markdown table: one row per checked series, findings grouped by severity."""
    out.print("| file | tf | rows | errors | warnings | info |", markup=False, highlight=False)
    out.print("|---|---|---:|---|---|---|", markup=False, highlight=False)
    for result in results:
        if result.report is None:
            continue
        cells = [
            "; ".join(_cell(f) for f in result.report.with_severity(severity)) or "-"
            for severity in Severity
        ]
        row = f"| `{result.name}` | {result.timeframe or '-'} | {result.report.rows:,} | "
        out.print(row + " | ".join(cells) + " |", markup=False, highlight=False, soft_wrap=True)
    out.print()
    say(_summary(results))


def _cell(finding: Finding) -> str:
    """``gaps 1 (80 candles)``, ``spike 4``: check and count, and bars when they differ."""
    bars = f" ({finding.bars:,} bars)" if finding.bars != finding.count else ""
    return f"{finding.check} {finding.count:,}{bars}"
