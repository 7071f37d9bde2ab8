import csv
import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantbot.analytics import FILLS_CSV_COLUMNS, TRADES_CSV_COLUMNS, write_outputs
from quantbot.analytics.outputs import REJECTIONS_CSV_COLUMNS, RISK_EVENTS_CSV_COLUMNS
from quantbot.engine.results import BacktestResult

from .builders import (
    DAY_MS,
    HOUR_MS,
    START_MS,
    fill,
    make_result,
    rejection,
    rejections_frame,
    risk_event,
    risk_events_frame,
    trade,
)


def ms(text: str) -> int:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0)
    return int(moment.timestamp() * 1000)


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


@pytest.fixture
def result() -> BacktestResult:
    rng = np.random.default_rng(5)
    equity = 1_000.0 + np.cumsum(rng.normal(size=72))
    return make_result(
        equity,
        initial_capital=1_000.0,
        timeframe="1h",
        bar_ms=HOUR_MS,
        strategy_equity={"grid": equity / 2, "ema, fast": equity / 2},
        closes={"BTC/USDT": 100.0 + np.arange(72.0), "ETH/USDT": 50.0 + np.arange(72.0)},
        trades=[
            trade(exit_ts_ms=START_MS + 5 * HOUR_MS, pnl=3.25),
            trade(
                strategy="ema, fast",
                entry_ts_ms=START_MS + HOUR_MS,
                exit_ts_ms=START_MS + 2 * HOUR_MS,
                pnl=-1.5,
            ),
            trade(
                entry_ts_ms=START_MS + 70 * HOUR_MS,
                exit_ts_ms=START_MS + 71 * HOUR_MS,
                is_open=True,
            ),
        ],
        fills=[
            fill(ts_ms=START_MS + 1, qty=0.125),
            fill(ts_ms=START_MS + HOUR_MS, strategy="ema, fast", side="sell", liquidity="maker"),
            fill(ts_ms=START_MS + 2 * HOUR_MS, strategy="ema, fast", fee_currency="BNB"),
        ],
    )


def test_every_file_is_written_into_the_out_directory(
    tmp_path: Path, result: BacktestResult
) -> None:
    out = write_outputs(result, tmp_path / "run" / "a", title="t")

    paths = out.paths
    assert paths.directory == tmp_path / "run" / "a"
    for path in (paths.report, paths.trades, paths.fills, paths.equity, paths.summary):
        assert path.parent == paths.directory
        assert path.stat().st_size > 0
    assert {path.name for path in paths.directory.iterdir()} == {
        "report.html",
        "trades.csv",
        "fills.csv",
        "equity.csv",
        "summary.json",
    }


def test_trades_csv_has_one_row_per_closed_trade_with_iso_times(
    tmp_path: Path, result: BacktestResult
) -> None:
    paths = write_outputs(result, tmp_path, title="t").paths

    assert header(paths.trades) == list(TRADES_CSV_COLUMNS)
    rows = pd.read_csv(paths.trades)
    assert len(rows) == 2  # the open trade is in summary.json, not here
    # In exit order: the ema trade closed first.
    assert rows["strategy"].tolist() == ["ema, fast", "ema"]
    assert [ms(text) for text in rows["entry_time"]] == [START_MS + HOUR_MS, START_MS]
    assert [ms(text) for text in rows["exit_time"]] == [
        START_MS + 2 * HOUR_MS,
        START_MS + 5 * HOUR_MS,
    ]
    assert rows["pnl"].tolist() == [-1.5, 3.25]


def test_fills_csv_lists_every_fill_with_amount_fee_currency_and_liquidity(
    tmp_path: Path, result: BacktestResult
) -> None:
    paths = write_outputs(result, tmp_path, title="t").paths

    assert header(paths.fills) == list(FILLS_CSV_COLUMNS)
    rows = pd.read_csv(paths.fills)
    assert len(rows) == 3
    assert rows.loc[0, "time"] == "2024-01-01T00:00:00.001Z"
    assert rows.loc[0, "amount"] == 0.125
    assert rows["liquidity"].tolist() == ["taker", "maker", "taker"]
    assert rows["fee_currency"].tolist() == ["USDT", "USDT", "BNB"]


def test_equity_csv_has_a_row_per_bar_at_its_close_and_exact_values(
    tmp_path: Path, result: BacktestResult
) -> None:
    paths = write_outputs(result, tmp_path, title="t").paths

    assert header(paths.equity) == [
        "time",
        "equity",
        "equity_grid",
        "equity_ema, fast",
        "buy_hold_BTC-USDT",
        "buy_hold_ETH-USDT",
        "equal_weight",
    ]
    rows = pd.read_csv(paths.equity)
    assert len(rows) == len(result.ts_ms)
    assert ms(rows.loc[0, "time"]) == START_MS + HOUR_MS
    assert rows["equity"].to_numpy().tolist() == result.equity.tolist()  # bit for bit
    assert rows.loc[71, "buy_hold_BTC-USDT"] == pytest.approx(1_000.0 * 171.0 / 100.0)


def test_summary_json_round_trips_to_the_returned_document(
    tmp_path: Path, result: BacktestResult
) -> None:
    out = write_outputs(result, tmp_path, title="my run")

    loaded = json.loads(out.paths.summary.read_text(encoding="utf-8"))

    assert loaded == out.summary
    assert loaded["title"] == "my run"
    assert loaded["num_trades"] == 2
    assert loaded["overall"] == out.analysis.metrics.overall.to_dict()
    assert len(loaded["open_positions"]) == 1


def test_a_run_without_trades_writes_headers_only(tmp_path: Path) -> None:
    paths = write_outputs(make_result([100.0, 101.0, 102.0]), tmp_path, title="t").paths

    assert header(paths.trades) == list(TRADES_CSV_COLUMNS)
    assert header(paths.fills) == list(FILLS_CSV_COLUMNS)
    assert pd.read_csv(paths.trades).empty
    assert pd.read_csv(paths.equity)["time"].tolist()[-1] == "2024-01-04T00:00:00.000Z"
    assert json.loads(paths.summary.read_text())["num_trades"] == 0
    assert ms("2024-01-04T00:00:00.000Z") == START_MS + 3 * DAY_MS


def test_strategy_records_become_one_csv_per_table_with_iso_times_and_json_values(
    tmp_path: Path, result: BacktestResult
) -> None:
    records = {
        "grid": {
            "round_trips": [
                {"exit_ms": START_MS + HOUR_MS, "pnl": 0.5, "linked_trade_id": "t-1 t-2"},
                {"exit_ms": None, "pnl": -0.25, "linked_trade_id": ""},
            ],
            "nothing": [],
        },
        "ema, fast": {"decisions": [{"ts_ms": START_MS, "signals": {"rsi": 61.5, "ok": [1]}}]},
    }
    with_records = dataclasses.replace(result, records=records)

    paths = write_outputs(with_records, tmp_path, title="t").paths

    assert sorted(p.name for p in paths.records) == [
        "ema, fast_decisions.csv",
        "grid_round_trips.csv",
    ]
    with (tmp_path / "grid_round_trips.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["exit_time"] for row in rows] == ["2024-01-01T01:00:00.000Z", ""]
    assert [float(row["pnl"]) for row in rows] == [0.5, -0.25]
    with (tmp_path / "ema, fast_decisions.csv").open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["time"] == "2024-01-01T00:00:00.000Z"
    assert json.loads(row["signals"]) == {"rsi": 61.5, "ok": [1]}


def test_risk_events_and_rejections_get_a_csv_each_when_there_are_any(
    tmp_path: Path, result: BacktestResult
) -> None:
    risky = dataclasses.replace(
        result,
        risk_events=risk_events_frame(
            [
                risk_event(
                    ts_ms=START_MS + 2 * HOUR_MS,
                    kind="RESUMED",
                    value=None,
                    limit=None,
                    action={},
                    positions_closed=[],
                ),
                risk_event(ts_ms=START_MS + HOUR_MS, kind="DRAWDOWN_BRAKE", level=2),
            ]
        ),
        rejections=rejections_frame(
            [rejection(ts_ms=START_MS + 3), rejection(ts_ms=START_MS + 1, check="lot_size")]
        ),
    )

    paths = write_outputs(risky, tmp_path, title="t").paths

    assert paths.risk_events == tmp_path / "risk_events.csv"
    assert header(paths.risk_events) == list(RISK_EVENTS_CSV_COLUMNS)
    with paths.risk_events.open(newline="") as handle:
        brake, resumed = list(csv.DictReader(handle))
    assert (brake["time"], brake["kind"], brake["level"]) == (
        "2024-01-01T01:00:00.000Z",
        "DRAWDOWN_BRAKE",
        "2",
    )
    assert json.loads(brake["action"])["cancel_all_orders"] is True
    assert json.loads(brake["positions_closed"]) == [
        {"strategy": "ema", "symbol": "BTC/USDT", "qty": 0.5}
    ]
    assert (resumed["value"], resumed["level"], resumed["action"]) == ("", "", "{}")
    assert paths.rejections == tmp_path / "rejections.csv"
    assert header(paths.rejections) == list(REJECTIONS_CSV_COLUMNS)
    rows = pd.read_csv(paths.rejections)
    assert rows["time"].tolist() == ["2024-01-01T00:00:00.001Z", "2024-01-01T00:00:00.003Z"]
    assert rows["check"].tolist() == ["lot_size", "max_order_size_usd"]


def test_a_run_without_risk_activity_writes_no_risk_files(
    tmp_path: Path, result: BacktestResult
) -> None:
    paths = write_outputs(result, tmp_path, title="t").paths

    assert paths.risk_events is None
    assert paths.rejections is None
