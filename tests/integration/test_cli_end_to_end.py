"""The installed ``quantbot`` console script, run as a user runs it, on SQLite and on a
real PostgreSQL server: the README's commands, live-mode refusal, no secret on disk."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd

from quantbot.data.store import CandleStore

SCRIPT = Path(sys.executable).with_name("quantbot")
SECRET_KEY = "Zq8VLr2mKe7TnW4sXj9HbF3c"
SECRET_SECRET = "pA5dRt1yUi0oLk2jHg4fDs6a"


def quantbot(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("QUANTBOT_", "BINANCE_"))
    }
    environment["COLUMNS"] = "200"
    environment.update(env or {})
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "quantbot"]
    return subprocess.run(
        [*command, *args],
        check=False,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_runs_on_the_embedded_default_and_keeps_secrets_off_disk(tmp_path: Path) -> None:
    env = {"BINANCE_API_KEY": SECRET_KEY, "BINANCE_API_SECRET": SECRET_SECRET}
    result = quantbot("demo", "--days", "2", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Synthetic market" in result.stdout

    store = CandleStore(tmp_path / "data" / "market")
    stored = {(info.exchange, info.symbol, info.timeframe, info.rows) for info in store.series()}
    pairs = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "AVAX/USDT", "LINK/USDT")
    assert stored == {("synthetic", pair, "1m", 2 * 1440) for pair in pairs}

    database = tmp_path / "data" / "quantbot-paper.sqlite"
    report = Path(result.stdout.strip().splitlines()[-1].removeprefix("report: "))
    assert report.is_file()
    assert report.name == "report.html"
    assert (report.parent / "summary.json").is_file()
    with sqlite3.connect(database) as connection:
        [(finished, summary)] = connection.execute(
            "SELECT finished_ts_ms, summary FROM backtest_runs"
        ).fetchall()
        assert finished is not None
        assert json.loads(summary)["num_trades"] > 0
        [(run_id, configuration)] = connection.execute(
            "SELECT run_id, configuration FROM configuration_history"
        ).fetchall()
        assert (
            json.loads(configuration)["settings"]["exchanges"]["binance"]["api_key_env"]
            == "BINANCE_API_KEY"
        )
        assert run_id.startswith("demo-")
    log_file = tmp_path / "data" / "logs" / "quantbot.jsonl"
    events = [json.loads(line)["event"] for line in log_file.read_text().splitlines()]
    assert "STATUS" in events
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert SECRET_KEY.encode() not in content, path
            assert SECRET_SECRET.encode() not in content, path


def test_demo_is_deterministic_across_runs(tmp_path: Path) -> None:
    frames = []
    for name in ("a", "b"):
        workdir = tmp_path / name
        workdir.mkdir()
        assert quantbot("demo", "--days", "1", "--seed", "5", cwd=workdir).returncode == 0
        frames.append(CandleStore(workdir / "data" / "market").load("synthetic", "ETH/USDT", "1m"))
    pd.testing.assert_frame_equal(*frames)


def test_preflight_refuses_an_unmigrated_database_until_db_upgrade(
    tmp_path: Path, db_url: str
) -> None:
    refused = quantbot("preflight", "--database", db_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert "FAIL database" in refused.stdout
    assert "quantbot db upgrade --database" in refused.stdout

    upgraded = quantbot("db", "upgrade", "--database", db_url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert quantbot("db", "current", "--database", db_url, cwd=tmp_path).returncode == 0
    assert quantbot("preflight", "--database", db_url, cwd=tmp_path).returncode == 0

    assert quantbot("db", "downgrade", "base", "--database", db_url, cwd=tmp_path).returncode == 0
    behind = quantbot("db", "current", "--database", db_url, cwd=tmp_path)
    assert behind.returncode == 1
    assert "never migrated" in behind.stdout
    assert quantbot("preflight", "--database", db_url, cwd=tmp_path).returncode == 1


def test_live_mode_needs_confirmation_and_keys(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text("bot:\n  mode: live\n")
    assert quantbot("db", "upgrade", cwd=tmp_path).returncode == 0
    assert (tmp_path / "data" / "quantbot-live.sqlite").exists()

    unconfirmed = quantbot(
        "preflight",
        cwd=tmp_path,
        env={"BINANCE_API_KEY": SECRET_KEY, "BINANCE_API_SECRET": SECRET_SECRET},
    )
    assert unconfirmed.returncode == 1
    assert "--confirm-live" in unconfirmed.stdout

    keyless = quantbot("preflight", "--confirm-live", cwd=tmp_path)
    assert keyless.returncode == 1
    assert "BINANCE_API_KEY is not set" in keyless.stdout
    assert "BINANCE_API_SECRET is not set" in keyless.stdout

    (tmp_path / ".env").write_text(
        f"BINANCE_API_KEY={SECRET_KEY}\nBINANCE_API_SECRET={SECRET_SECRET}\n"
    )
    ready = quantbot("preflight", "--confirm-live", cwd=tmp_path)
    assert ready.returncode == 0, ready.stdout
    assert "sandbox/testnet: binance" in ready.stdout
    assert SECRET_KEY not in ready.stdout + ready.stderr


def test_broken_config_stops_every_command_with_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "grid_config.yaml").write_text("grid_strategy:\n  fee_rate: 0.2\n")
    for argv in (["demo"], ["preflight"], ["db", "upgrade"], ["config", "check"]):
        result = quantbot(*argv, cwd=tmp_path)
        assert result.returncode == 1, argv
        assert (
            "config/grid_config.yaml:1 grid_strategy.pairs[0].grid_spacing_pct: 0.5 is below"
            in result.stderr
        )
    assert not (tmp_path / "data").exists()
