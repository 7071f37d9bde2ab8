"""The risk manager in ``quantbot backtest`` on real data with deliberately tight limits (issue 7).

A week of Binance BTC/USDT 1m candles (2025-05-20 to 2025-05-27), the grid and
``ema_cross`` (0.004 BTC an order, about 440 USDT) sharing 10,000 USDT, under loss
limits of 0.5 % a day, 1 % a week and 2 % a month, resuming 12 h after a daily break
into 24 h of recovery at half size. ``ema_cross`` trades every EMA cross of 1m candles
and pays fees on each: on 2025-05-22 the account's day reaches -0.5 % and the daily
breaker trips, closing ``ema_cross``'s position (the grid keeps its inventory); 12 h
later trading resumes at half size, and on 2025-05-23 the week reaches -1 % and the
weekly breaker closes everything for good.

The times are checked against the equity curve itself: each breaker trips at the
first bar whose equity crosses its limit, not later and not earlier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from quantbot.storage import create_engine_for

from fixtures.cli import quantbot

TIGHT_LIMITS = (
    "risk_management:\n"
    "  daily_loss_limit_pct: 0.5\n"
    "  weekly_loss_limit_pct: 1.0\n"
    "  monthly_loss_limit_pct: 2.0\n"
    "  after_circuit_breaker: {resume_after_hours: 12, recovery_period_hours: 24}\n"
)
CAPITAL = 10_000.0
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Run:
    out: Path
    output: str
    summary: dict[str, Any]
    equity: pd.DataFrame
    fills: pd.DataFrame


def backtest(root: Path, shared_data: Path, *extra: str) -> Run:
    """The tight-limits backtest, its files written into ``root / "out"``."""
    config = root / "tight"
    config.mkdir(exist_ok=True)
    (config / "settings.yaml").write_text(TIGHT_LIMITS)
    out = root / "out"
    result = quantbot(
        "backtest",
        "--config",
        str(config),
        "-s",
        "grid",
        "-s",
        "ema_cross",
        "-p",
        "ema_cross.order_size=0.004",
        "--data",
        str(shared_data / "binance_BTC-USDT_1m.csv.gz"),
        "--from",
        "2025-05-20",
        "--to",
        "2025-05-27",
        "--out",
        str(out),
        *extra,
    )
    assert result.exit_code == 0, result.output
    return Run(
        out=out,
        output=result.output,
        summary=json.loads((out / "summary.json").read_text()),
        equity=pd.read_csv(out / "equity.csv"),
        fills=pd.read_csv(out / "fills.csv"),
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Run:
    root = tmp_path_factory.mktemp("tight")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for name in ("QUANTBOT_CONFIG", "QUANTBOT_DATABASE_URL"):
            patch.delenv(name, raising=False)
        assert quantbot("db", "upgrade").exit_code == 0
        return backtest(root, shared_data)


def ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 1_000_000)


def first_crossing(equity: pd.DataFrame, start: str, end: str, level: float) -> str:
    """Time of the first equity at or below ``level`` after ``start`` and up to ``end``."""
    window = equity[(equity["time"] > start) & (equity["time"] <= end)]
    crossed = window[window["equity"] <= level * (1 + 1e-11)]
    return str(crossed["time"].iloc[0])


def test_the_breakers_trip_resume_and_escalate_in_order(run: Run) -> None:
    events = run.summary["risk_events"]

    assert [(e["kind"], e["subject"]) for e in events] == [
        ("DAILY_CIRCUIT_BREAK", ""),
        ("RESUMED", "DAILY_CIRCUIT_BREAK"),
        ("RECOVERY_STARTED", ""),
        ("WEEKLY_CIRCUIT_BREAK", ""),
    ]
    daily, resumed, recovery, weekly = events
    assert daily["limit"] == -0.5
    assert -0.51 < daily["value"] <= -0.5
    assert weekly["limit"] == -1.0
    assert -1.05 < weekly["value"] <= -1.0
    assert ms(resumed["time"]) - ms(daily["time"]) == 12 * HOUR_MS
    assert recovery["time"] == resumed["time"]
    assert daily["action"] == {
        "cancel_all_orders": True,
        "close_positions": ["close"],
        "stop_opening": ["close", "keep_inventory"],
    }
    assert weekly["action"]["close_positions"] == ["close", "keep_inventory"]


def test_each_breaker_trips_at_the_first_bar_whose_equity_crosses_its_limit(run: Run) -> None:
    daily, _, _, weekly = run.summary["risk_events"]
    equity = run.equity
    day = daily["time"][:10]
    midnight = f"{day}T00:00:00.000Z"
    start_of_day = float(equity.loc[equity["time"] == midnight, "equity"].iloc[0])

    # no earlier day came near its limit, and this day crossed it exactly then
    for earlier in pd.date_range("2025-05-20", day, freq="D", inclusive="left", tz="UTC"):
        begin = earlier.strftime("%Y-%m-%dT00:00:00.000Z")
        end = (earlier + pd.Timedelta(days=1)).strftime("%Y-%m-%dT00:00:00.000Z")
        opening = CAPITAL if begin == "2025-05-20T00:00:00.000Z" else None
        if opening is None:
            opening = float(equity.loc[equity["time"] == begin, "equity"].iloc[0])
        days_low = equity[(equity["time"] > begin) & (equity["time"] <= end)]["equity"].min()
        assert days_low > opening * 0.995
    assert daily["time"] == first_crossing(equity, midnight, "2025-05-23", start_of_day * 0.995)
    # the week began before the data: its start equity is the initial capital
    assert weekly["time"] == first_crossing(equity, "2025-05-20", "2025-05-27", CAPITAL * 0.99)


def test_the_actions_are_carried_out(run: Run) -> None:
    daily, resumed, _, weekly = run.summary["risk_events"]
    ema = run.fills[run.fills["strategy"] == "ema_cross"]

    # the daily break closes ema_cross's position at the next open; the grid keeps its own
    assert daily["positions_closed"] == [
        {"strategy": "ema_cross", "symbol": "BTC/USDT", "qty": 0.004}
    ]
    close = ema[ema["time"] == daily["time"]]
    assert close[["side", "amount"]].values.tolist() == [["sell", 0.004]]
    # nothing opens while the break is in force: only the grid's exits may sell
    during = run.fills[(run.fills["time"] > daily["time"]) & (run.fills["time"] < resumed["time"])]
    assert set(during["side"]) <= {"sell"}
    assert set(during["strategy"]) <= {"grid"}
    # recovery trades at half size, until the weekly break closes that too
    recovery = ema[(ema["time"] > resumed["time"]) & (ema["time"] <= weekly["time"])]
    assert not recovery.empty
    assert set(recovery["amount"]) == {0.002}
    # the weekly break closes every position, the grid's inventory too
    closed = {c["strategy"]: c for c in weekly["positions_closed"]}
    assert closed["ema_cross"] == {"strategy": "ema_cross", "symbol": "BTC/USDT", "qty": 0.002}
    assert set(closed) <= {"ema_cross", "grid"}
    # the weekly break needs a manual resume: nothing trades after its closing sell
    assert run.fills[run.fills["time"] > weekly["time"]].empty


def test_rejections_are_counted_per_rule_in_the_summary_and_the_output(run: Run) -> None:
    summary = run.summary

    assert summary["rejections_by_rule"]["circuit_breaker"] > 0
    assert sum(summary["rejections_by_rule"].values()) == summary["num_rejections"]
    by_strategy = {name: s["rejections_by_rule"] for name, s in summary["strategies"].items()}
    assert by_strategy["ema_cross"]["circuit_breaker"] > 0
    assert sum(sum(c.values()) for c in by_strategy.values()) == summary["num_rejections"]
    assert "risk: 2 breaker trip(s) (DAILY_CIRCUIT_BREAK 1, WEEKLY_CIRCUIT_BREAK 1);" in run.output
    assert f"{summary['num_rejections']} order(s) rejected (circuit_breaker" in run.output
    assert summary["config"]["risk"]["loss_limits"]["daily_loss_limit_pct"] == 0.5
    rejections = pd.read_csv(run.out / "rejections.csv")
    assert len(rejections) == summary["num_rejections"]
    events = pd.read_csv(run.out / "risk_events.csv")
    assert events["kind"].tolist() == [e["kind"] for e in summary["risk_events"]]


def test_the_report_marks_the_breakers_on_the_equity_curve_and_lists_them(run: Run) -> None:
    report = (run.out / "report.html").read_text(encoding="utf-8")

    equity = report[report.index("<h2>Equity</h2>") : report.index("<h2>Drawdown</h2>")]
    assert '"name":"Circuit breaker"' in equity
    assert "WEEKLY_CIRCUIT_BREAK" in equity
    assert equity.count('"type":"rect"') == 3  # daily break, recovery, weekly break
    risk = report[report.index("<h2>Risk</h2>") : report.index("<h2>Trades</h2>")]
    assert "4 risk event(s), marked on the equity chart." in risk
    assert "<td>WEEKLY_CIRCUIT_BREAK</td>" in risk
    assert "<td>ema_cross BTC/USDT 0.004</td>" in risk
    assert "<h3>Rejected orders by rule</h3>" in risk


def test_the_database_holds_the_breaker_events_the_rejections_and_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path, db_url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("QUANTBOT_CONFIG", "QUANTBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert quantbot("db", "upgrade", "--database", db_url).exit_code == 0

    run = backtest(tmp_path, shared_data, "--database", db_url)

    daily, resumed, _, weekly = run.summary["risk_events"]
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as db:
            breaks = db.execute(
                sa.text(
                    "SELECT ts_ms, trigger_type, trigger_value, positions_closed, resumed_ts_ms, "
                    "run_id, mode FROM circuit_breaker_events ORDER BY ts_ms"
                )
            ).all()
            decisions = db.execute(
                sa.text(
                    "SELECT strategy, signal, action_taken, risk_checks, run_id, mode "
                    "FROM decisions"
                )
            ).all()
            (stored,) = db.execute(
                sa.text("SELECT run_id, config, summary FROM backtest_runs")
            ).all()
    finally:
        engine.dispose()

    def document(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    assert [(ts, kind, resumed_ms) for ts, kind, _, _, resumed_ms, _, _ in breaks] == [
        (ms(daily["time"]), "daily", ms(resumed["time"])),
        (ms(weekly["time"]), "weekly", None),
    ]
    assert {(b.run_id, b.mode) for b in breaks} == {(stored.run_id, "backtest")}
    assert [value for _, _, value, _, _, _, _ in breaks] == pytest.approx(
        [daily["value"], weekly["value"]]
    )
    assert document(breaks[0][3]) == daily["positions_closed"]
    assert len(decisions) == run.summary["num_rejections"]
    assert {d.action_taken for d in decisions} == {"REJECTED"}
    assert {(d.run_id, d.mode) for d in decisions} == {(stored.run_id, "backtest")}
    checks = [document(d.risk_checks) for d in decisions]
    counted: dict[str, int] = {}
    for c in checks:
        counted[c["check"]] = counted.get(c["check"], 0) + 1
    assert counted == run.summary["rejections_by_rule"]
    summary = document(stored.summary)
    assert summary["risk_events"] == run.summary["risk_events"]
    assert summary["rejections_by_rule"] == run.summary["rejections_by_rule"]
    assert document(stored.config)["risk"]["loss_limits"]["weekly_loss_limit_pct"] == 1.0


def test_without_the_risk_manager_nothing_stops_the_losses(
    tmp_path: Path, run: Run, shared_data: Path
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        assert quantbot("db", "upgrade").exit_code == 0
        free = backtest(tmp_path, shared_data, "--no-risk")

    assert "note: risk manager off (--no-risk)" in free.output
    assert free.summary["risk_events"] == []
    assert free.summary["config"]["risk"] is None
    assert len(free.fills) > len(run.fills)
    assert free.summary["final_equity"] < run.summary["final_equity"]
