"""The data-quality checks over every file of the real market data in ../shared/data.

A differential test: the data's own README and manifest, written by independent
tooling, state per file its rows, span, gaps (holes / missing bars), OHLC violations
(0 everywhere) and zero-volume bars. The checks must find exactly those facts. What
else they find (spikes, wicks, stale runs) is documented in docs/data-quality.md,
produced by ``quantbot data check ../shared/data --markdown``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from quantbot.cli.data_check import check_command
from quantbot.config.settings import DataQualitySettings
from quantbot.data.files import parse_data_file, read_ohlcv_csv
from quantbot.data.quality import QualityCheck, QualityReport
from quantbot.data.quality_scan import SeriesCheck, check_path
from quantbot.data.store import CandleStore
from quantbot.logs import reset_logging

from fixtures.shared_data import shared_data, shared_data_dir  # noqa: F401 (fixture)

SERIES_TYPES = {"ohlcv", "ohlcv-mark", "funding"}
"""Manifest types the checks cover; the others (trades, order books) are skipped."""

NEVER_IN_THE_SHARED_DATA = (
    QualityCheck.NON_MONOTONIC,
    QualityCheck.DUPLICATES,
    QualityCheck.OFF_GRID,
    QualityCheck.NON_FINITE,
    QualityCheck.NON_POSITIVE_PRICE,
    QualityCheck.NEGATIVE_VOLUME,
    QualityCheck.OHLC_INCONSISTENT,
    QualityCheck.EXTREME_FUNDING_RATE,
)
"""The README states the files are sorted, unique, on the grid, free of NaN, non-positive
prices, negative volume and OHLC violations (its validation section)."""


def manifest() -> list[dict[str, str]]:
    path = shared_data_dir() / "manifest.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def zero_volume_column() -> dict[str, int]:
    """The README catalogue's ZV column (bars with zero volume) per file."""
    readme = shared_data_dir() / "README.md"
    if not readme.is_file():
        return {}
    counts = {}
    for line in readme.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 11 and re.fullmatch(r"`[^`]+\.csv\.gz`", cells[0]) and cells[9] != "-":
            counts[cells[0].strip("`")] = int(cells[9].replace(",", ""))
    return counts


ROWS = [row for row in manifest() if row["type"] in SERIES_TYPES]
ZERO_VOLUME = zero_volume_column()
NOT_FOUND = pytest.param(
    {}, marks=pytest.mark.skip(reason=f"no manifest.csv in {shared_data_dir()}"), id="absent"
)


@pytest.fixture(scope="module")
def checked(shared_data: Path) -> dict[str, SeriesCheck]:  # noqa: F811
    return {result.name: result for result in check_path(shared_data, DataQualitySettings())}


def report_of(checked: dict[str, SeriesCheck], name: str) -> QualityReport:
    result = checked[name]
    assert result.status == "checked", result.reason
    assert result.report is not None
    return result.report


@pytest.mark.parametrize("row", [*ROWS] or [NOT_FOUND], ids=lambda row: row.get("file", "-"))
def test_the_checks_find_exactly_the_gaps_the_manifest_states(
    row: dict[str, str], checked: dict[str, SeriesCheck]
) -> None:
    report = report_of(checked, row["file"])
    assert report.rows == int(row["rows"])
    assert (report.first_ts_ms, report.last_ts_ms) == (int(row["first_ms"]), int(row["last_ms"]))
    gaps = report.finding(QualityCheck.GAPS)
    found = (gaps.count, gaps.bars) if gaps is not None else (0, 0)
    assert found == (int(float(row["gaps"])), int(float(row["missing_intervals"])))


@pytest.mark.parametrize("row", [*ROWS] or [NOT_FOUND], ids=lambda row: row.get("file", "-"))
def test_the_checks_find_none_of_the_defects_the_readme_rules_out(
    row: dict[str, str], checked: dict[str, SeriesCheck]
) -> None:
    report = report_of(checked, row["file"])
    assert [f.describe() for f in report.findings if f.check in NEVER_IN_THE_SHARED_DATA] == []


CANDLE_ROWS = [row for row in ROWS if row["type"] == "ohlcv" and row["file"] in ZERO_VOLUME]


@pytest.mark.parametrize("row", CANDLE_ROWS or [NOT_FOUND], ids=lambda row: row.get("file", "-"))
def test_the_zero_volume_count_matches_the_readme_catalogue(
    row: dict[str, str], checked: dict[str, SeriesCheck]
) -> None:
    report = report_of(checked, row["file"])
    zero = report.finding(QualityCheck.ZERO_VOLUME)
    assert (zero.bars if zero is not None else 0) == ZERO_VOLUME[row["file"]]


def test_every_data_file_is_either_checked_or_skipped_as_not_a_series(
    shared_data: Path,  # noqa: F811
    checked: dict[str, SeriesCheck],
) -> None:
    listed = {row["file"]: row["type"] for row in manifest()}
    on_disk = {
        path.relative_to(shared_data).as_posix()
        for folder in (shared_data, shared_data / "segments")
        for path in folder.glob("*.gz")
    }
    assert on_disk == set(listed)
    for name in on_disk:
        expected = "checked" if listed[name] in SERIES_TYPES else "skipped"
        assert checked[name].status == expected, name


def test_the_binance_halt_of_2023_03_24_is_a_gap_after_a_stale_run(
    shared_data: Path,  # noqa: F811
) -> None:
    # Trading stopped at 11:28 UTC: the exchange printed 72 flat zero-volume candles
    # until 12:39, then none until 14:00 (README: "Binance spot halt").
    path = shared_data / "binance_SOL-USDT_1m.csv.gz"
    [result] = check_path(path, DataQualitySettings())
    assert result.report is not None
    stale = result.report.finding(QualityCheck.STALE)
    gaps = result.report.finding(QualityCheck.GAPS)
    assert stale is not None
    assert gaps is not None
    assert (stale.bars, stale.detail.endswith("2023-03-24T12:39:00Z")) == (72, True)
    assert "2023-03-24T12:40:00Z .. 2023-03-24T13:59:00Z" in gaps.detail


# -- the command -----------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QUANTBOT_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    yield CliRunner()
    reset_logging()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(check_command)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_command_reports_every_file_and_exits_1_on_errors(
    cli: CliRunner,
    shared_data: Path,  # noqa: F811
) -> None:
    code, output = invoke(cli, str(shared_data))
    assert code == 1
    for row in ROWS:
        verdict = "ok" if int(float(row["gaps"])) == 0 else "FAILED"
        header = [line for line in output.splitlines() if line.startswith(row["file"] + "  ")]
        assert len(header) == 1, row["file"]
        assert header[0].endswith(verdict), header[0]
    assert "skipped: trades" in output
    assert re.search(rf"{len(ROWS)} series checked: .*, \d+ with errors", output)


def test_the_command_exits_0_on_a_clean_file_and_prints_markdown_rows(
    cli: CliRunner,
    shared_data: Path,  # noqa: F811
) -> None:
    clean = shared_data / "binance_BTC-USDT_5m.csv.gz"
    code, output = invoke(cli, str(clean), "--markdown")
    assert code == 0
    [row] = [line for line in output.splitlines() if line.startswith("| `")]
    assert row.startswith(f"| `{clean}` | 5m | 26,141 | - |")


def test_without_paths_the_command_checks_the_store(
    cli: CliRunner,
    tmp_path: Path,
    shared_data: Path,  # noqa: F811
) -> None:
    store = CandleStore(tmp_path / "data" / "market")
    for name in ("binance_SOL-USDT_1m.csv.gz", "binance_BTC-USDT_5m.csv.gz"):
        data = parse_data_file(shared_data / name)
        assert data.timeframe is not None
        store.append(data.exchange, data.symbol, data.timeframe, read_ohlcv_csv(data.path))
    code, output = invoke(cli)
    assert code == 1
    assert "binance BTC/USDT ohlcv 5m  ohlcv 5m  26,141 rows" in output
    assert "binance SOL/USDT ohlcv 1m  ohlcv 1m  66,088 rows" in output
    assert "2 series checked" in output
