"""``quantbot data import``: the table per file, the store under data_dir, exit 1 on a bad file."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from quantbot.cli.data_import import import_command
from quantbot.data.store import CandleStore
from quantbot.logs import reset_logging

T0 = 1_747_699_200_000  # 2025-05-20T00:00:00Z


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)  # embedded defaults: data_dir is ./data
    monkeypatch.delenv("QUANTBOT_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    yield CliRunner()
    reset_logging()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    app.command()(import_command)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write_candles(path: Path, count: int) -> Path:
    rows = "".join(f"{T0 + 60_000 * i},1,2,0.5,1.5,10\n" for i in range(count))
    path.write_bytes(gzip.compress(f"timestamp,open,high,low,close,volume\n{rows}".encode()))
    return path


@pytest.fixture
def incoming(tmp_path: Path) -> Path:
    directory = tmp_path / "incoming"
    directory.mkdir()
    write_candles(directory / "binance_BTC-USDT_1m.csv.gz", 120)
    (directory / "binance_BTC-USDT_trades.csv").write_text("timestamp,price,amount,side\n")
    (directory / "notes.txt").write_text("not data\n")
    return directory


def test_import_fills_the_store_under_data_dir_and_prints_a_row_per_file(
    cli: CliRunner, tmp_path: Path, incoming: Path
) -> None:
    code, out, err = invoke(cli, str(incoming))
    assert code == 0, err
    store = CandleStore(tmp_path / "data" / "market")
    assert len(store.load("binance", "BTC/USDT", "1m")) == 120
    [row] = [line for line in out.splitlines() if "binance_BTC-USDT_1m.csv.gz" in line]
    for cell in (
        "ohlcv",
        "binance",
        "BTC/USDT",
        "1m",
        "120",
        "2025-05-20 00:00 → 2025-05-20 01:59",
    ):
        assert cell in row
    assert "skipped: trades are not stored" in out
    assert "1 file(s) ignored, not market-data file names: notes.txt" in out
    assert "1 file(s) imported, 120 new row(s)" in out


def test_a_second_import_adds_no_rows(cli: CliRunner, incoming: Path) -> None:
    invoke(cli, str(incoming))
    code, out, _ = invoke(cli, str(incoming))
    assert code == 0
    assert "1 file(s) imported, 0 new row(s)" in out


def test_a_bad_file_exits_1_names_it_and_the_good_ones_are_imported(
    cli: CliRunner, tmp_path: Path, incoming: Path
) -> None:
    bad = incoming / "binance_ETH-USDT_1m.csv.gz"
    bad.write_bytes(b"this is not gzip")
    code, out, err = invoke(cli, str(incoming))
    assert code == 1
    assert f"{bad}: " in err
    assert "1 file(s) could not be imported (listed above); the other 1 were imported" in err
    assert "FAILED" in out
    store = CandleStore(tmp_path / "data" / "market")
    assert len(store.load("binance", "BTC/USDT", "1m")) == 120


def test_a_missing_path_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = invoke(cli, str(tmp_path / "nowhere"))
    assert code == 2
    assert "does not exist" in err


def test_help_shows_examples(cli: CliRunner) -> None:
    code, out, _ = invoke(cli, "--help")
    assert code == 0
    assert "Examples:" in out
    assert "quantbot data import ../shared/data" in out
