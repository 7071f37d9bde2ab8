"""``quantbot backtest`` end to end: synthetic, file and store data, outputs, the stored run."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from quantbot.cli.main import main
from quantbot.config import load_config
from quantbot.data.files import read_ohlcv_csv
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.instruments import instrument_for
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup, risk_setup
from quantbot.logs import reset_logging
from quantbot.strategies import create_strategy
from quantbot.venues.simulated import FillModel

from fixtures.cli import quantbot


def test_synthetic_run_writes_every_output_and_stores_the_run(workdir: Path) -> None:
    result = quantbot("backtest", "-s", "ema_cross", "--days", "3", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "report: " in result.output
    out = workdir / "out"
    assert {p.name for p in out.iterdir()} >= {
        "report.html",
        "trades.csv",
        "fills.csv",
        "equity.csv",
        "summary.json",
    }
    with (out / "trades.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header[:10] == [
        "strategy",
        "symbol",
        "side",
        "size",
        "entry_time",
        "entry_price",
        "exit_time",
        "exit_price",
        "fees",
        "pnl",
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bars_processed"] == 3 * 1440
    assert summary["bars_per_second"] > 0
    with sqlite3.connect(workdir / "data" / "quantbot-paper.sqlite") as db:
        [(run_id, strategies, report)] = db.execute(
            "SELECT run_id, strategies, report_path FROM backtest_runs"
        ).fetchall()
    assert json.loads(strategies) == ["ema_cross"]
    assert Path(report) == out / "report.html"
    assert summary["run_id"] == run_id
    # The default risk manager applies: ema_cross's entries, stakes of 10 % of its 10,000
    # USDT (about 1,000 USDT), are cut to max_order_size_usd 500 at the decision's
    # price; they fill at the next open, a minute later.
    with (out / "fills.csv").open() as handle:
        fills = list(csv.DictReader(handle))
    buys = [float(f["price"]) * float(f["amount"]) for f in fills if f["side"] == "buy"]
    assert buys
    assert max(buys) <= 500.0 * 1.01
    assert min(buys) > 500.0 * 0.99
    with sqlite3.connect(workdir / "data" / "quantbot-paper.sqlite") as db:
        [(rejected,)] = db.execute(
            "SELECT count(*) FROM decisions WHERE action_taken = 'REJECTED'"
        ).fetchall()
    assert rejected == summary["num_rejections"]


def _file_run(workdir: Path, path: Path, *extra: str) -> list[dict[str, str]]:
    """``ema_cross`` with 0.01 BTC on 2025-06-01..05 of ``path`` via the CLI; its trades.csv rows."""
    result = quantbot(
        "backtest",
        "-s",
        "ema_cross",
        "--data",
        str(path),
        "--from",
        "2025-06-01",
        "--to",
        "2025-06-05",
        "-p",
        "order_size=0.01",
        "--fee-pct",
        "0.1",
        "--slippage-pct",
        "0",
        "--capital",
        "100000",
        "--out",
        "out",
        *extra,
    )
    assert result.exit_code == 0, result.output
    with (workdir / "out" / "trades.csv").open() as handle:
        return list(csv.DictReader(handle))


def _engine_run(path: Path, risk: RiskSetup | None) -> BacktestResult:
    """The same run as :func:`_file_run`, straight through ``run_backtest``."""
    candles = read_ohlcv_csv(path)
    window = candles[(candles.ts_ms >= 1748736000000) & (candles.ts_ms < 1749081600000)]
    arrays = OhlcvArrays.from_frame(window)
    data = BacktestData(
        "1m", {"BTC/USDT": arrays}, {"BTC/USDT": instrument_for("BTC/USDT", float(arrays.close[0]))}
    )
    settings = load_config(None, environ={}).settings.backtest
    model = FillModel(
        maker_fee_pct=0.1,
        taker_fee_pct=0.1,
        slippage_pct=0.0,
        max_volume_share=settings.max_volume_share,
    )
    strategy = create_strategy("ema_cross", {"order_size": 0.01}, symbols=["BTC/USDT"])
    config = BacktestConfig(initial_capital=100_000, fill_model=model, risk=risk)
    return run_backtest(data, [strategy], config)


def test_file_run_matches_the_engine_run_with_the_same_settings(
    workdir: Path, shared_data: Path
) -> None:
    """Venue rules only (``--no-risk``): the default risk manager refuses 0.01 BTC orders
    (about 1,050 USDT, above max_order_size_usd 500); the next test runs it."""
    path = shared_data / "binance_BTC-USDT_1m.csv.gz"
    rows = _file_run(workdir, path, "--no-risk")
    direct = _engine_run(path, risk=None)
    closed = direct.trades[~direct.trades["is_open"]]
    assert len(rows) == len(closed) > 10
    assert [float(r["pnl"]) for r in rows] == pytest.approx(
        sorted(closed["pnl"], key=list(closed["pnl"]).index)
    )
    summary = json.loads((workdir / "out" / "summary.json").read_text())
    assert summary["final_equity"] == pytest.approx(direct.final_equity)
    assert summary["config"]["risk"] is None
    assert summary["risk_events"] == []
    assert summary["rejections_by_rule"] == {}


def test_file_run_applies_the_configured_risk_manager_as_the_engine_does(
    workdir: Path, shared_data: Path
) -> None:
    """By default the CLI applies ``risk_management`` of the configuration: here orders of
    up to 2,000 USDT and a daily loss limit of 0.05 %, which the run reaches."""
    config_dir = workdir / "config"
    config_dir.mkdir()
    (config_dir / "settings.yaml").write_text(
        "risk_management:\n"
        "  max_order_size_usd: 2000\n"
        "  daily_loss_limit_pct: 0.05\n"
        "  after_circuit_breaker: {resume_after_hours: 6, recovery_period_hours: 6}\n"
    )
    path = shared_data / "binance_BTC-USDT_1m.csv.gz"
    rows = _file_run(workdir, path, "--config", str(config_dir))
    direct = _engine_run(path, risk=risk_setup(load_config(config_dir, environ={}).settings))

    summary = json.loads((workdir / "out" / "summary.json").read_text())
    closed = direct.trades[~direct.trades["is_open"]]
    assert len(rows) == len(closed) > 0
    assert summary["final_equity"] == pytest.approx(direct.final_equity)
    assert [e["kind"] for e in summary["risk_events"]] == direct.risk_events["kind"].tolist()
    assert "DAILY_CIRCUIT_BREAK" in direct.risk_events["kind"].tolist()
    assert summary["rejections_by_rule"] == direct.rejections["check"].value_counts().to_dict()
    assert summary["config"]["risk"]["limits"]["max_order_size_usd"] == 2000


def test_store_symbol_run_reads_imported_candles(workdir: Path, shared_data: Path) -> None:
    assert (
        quantbot("data", "import", str(shared_data / "binance_ETH-USDT_1m.csv.gz")).exit_code == 0
    )
    result = quantbot(
        "backtest",
        "-s",
        "ema_cross",
        "--data",
        "ETH/USDT",
        "--from",
        "2025-06-01",
        "--to",
        "2025-06-03",
    )
    assert result.exit_code == 0, result.output
    assert "2025-06-01T00:00:00.000Z to 2025-06-03T00:00:00.000Z" in result.output


def test_the_recorded_book_walks_alike_from_files_and_from_the_store(
    workdir: Path, shared_data: Path
) -> None:
    candles = shared_data / "segments" / "binance_BTC-USDT_1m_20240726-20240825.csv.gz"
    book = shared_data / "binance_BTC-USDT_orderbook.jsonl.gz"
    for path in (candles, book):
        assert quantbot("data", "import", str(path)).exit_code == 0
    period = ("--from", "2024-08-08T22:00", "--to", "2024-08-09T00:06", "--no-risk")
    params = ("-p", "fast=2", "-p", "slow=4", "-p", "order_size=1")

    def fills(*data: str) -> pd.DataFrame:
        result = quantbot("backtest", "-s", "ema_cross", *data, *period, *params, "--out", "out")
        assert result.exit_code == 0, result.output
        return pd.read_csv(workdir / "out" / "fills.csv")

    from_files = fills("-d", str(candles), "-d", str(book))
    from_store = fills("-d", "BTC/USDT", "--order-books")
    slipped = fills("-d", "BTC/USDT")

    pd.testing.assert_frame_equal(from_files, from_store)
    assert len(from_files) >= 10
    in_book = from_files["time"] >= "2024-08-08T23:55"
    assert in_book.any()
    assert (from_files["price"][in_book] != slipped["price"][in_book]).all()
    assert from_files["price"][~in_book].tolist() == slipped["price"][~in_book].tolist()


def test_files_named_otherwise_run_under_the_symbols_given_with_their_funding(
    workdir: Path, shared_data: Path
) -> None:
    perp = workdir / "perp.csv.gz"
    rates = workdir / "rates.csv.gz"
    perp.write_bytes((shared_data / "binance-usdm_BTC-USDT-PERP_1m.csv.gz").read_bytes())
    rates.write_bytes((shared_data / "binance-usdm_BTC-USDT-PERP_funding.csv.gz").read_bytes())
    period = ("--from", "2025-06-01", "--to", "2025-06-04", "-p", "order_size=0.01")

    def run(*data: str) -> dict[str, object]:
        # about the funding files: venue rules only, as the risk manager's default
        # max_order_size_usd 500 would refuse these 0.01 BTC orders
        result = quantbot(
            "backtest", "-s", "ema_cross", *data, *period, "--out", "out", "--no-risk"
        )
        assert result.exit_code == 0, result.output
        summary: dict[str, object] = json.loads((workdir / "out" / "summary.json").read_text())
        return summary

    spot = f"BTC/USDT={shared_data / 'binance_BTC-USDT_1m.csv.gz'}"
    with_funding = run(
        "-d", spot, "-d", f"BTC/USDT:USDT={perp}", "--funding", f"BTC/USDT:USDT={rates}"
    )
    without = run("-d", spot, "-d", f"BTC/USDT:USDT={perp}")

    assert with_funding["funding_net"] != 0
    assert without["funding_net"] == 0
    assert with_funding["num_trades"] == without["num_trades"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-s", "nope"), "no strategy named 'nope'"),
        (("-s", "ema_cross", "-p", "fast=30"), "fast 30 must be shorter than slow 21"),
        (("-s", "ema_cross", "-p", "fastt=3"), "no strategy of this run has that parameter"),
        (("-s", "ema_cross", "--data", "NOPE/USDT"), "no 1m candles of NOPE/USDT"),
        (("-s", "ema_cross", "--data", "BTC/USDT=gone.csv"), "BTC/USDT=gone.csv: no such file"),
        (("-s", "ema_cross", "--funding", "README.md"), "--funding goes with candle files"),
        (("-s", "ema_cross", "--order-books"), "--order-books reads the candle store's books"),
    ],
)
def test_bad_requests_fail_in_one_line_with_exit_1(
    workdir: Path, args: tuple[str, ...], message: str
) -> None:
    result = quantbot("backtest", *args, "--days", "1")
    assert result.exit_code == 1
    assert message in result.output


def test_an_unmigrated_database_is_refused_with_the_command_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["backtest", "-s", "ema_cross", "--days", "1"])
    reset_logging()
    assert exited.value.code == 1
    assert "Run: quantbot db upgrade" in capsys.readouterr().err
