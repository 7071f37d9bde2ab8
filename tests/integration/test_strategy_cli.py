"""``quantbot strategy`` end to end: scaffold a user strategy, run its own tests, list it,
backtest it, and see a broken strategy file fail with its file, line and error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quantbot.config import load_config
from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.engine.loading import from_synthetic
from quantbot.strategies import STRATEGIES, create_strategy
from quantbot.strategies.registry import strategy_classes
from quantbot.venues.simulated import FillModel

from factories import START_MS, SYMBOL
from fixtures.cli import quantbot

NAME = "my_cross"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory whose configuration keeps user strategies in ``strategies/``."""
    monkeypatch.chdir(tmp_path)
    for name in ("QUANTBOT_CONFIG", "QUANTBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.yaml").write_text(
        "paths:\n  user_strategies_dir: strategies\n", encoding="utf-8"
    )
    return tmp_path


def run_scaffold_tests(workdir: Path) -> subprocess.CompletedProcess[str]:
    """The scaffold's tests as a user runs them: plain pytest, here with warnings as errors."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "QUANTBOT"))}
    tests = f"strategies/tests/test_{NAME}.py"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", "-q", tests],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_scaffolded_strategy_passes_its_tests_is_listed_and_backtests(workdir: Path) -> None:
    result = quantbot("strategy", "new", NAME, "--config", "config")

    assert result.exit_code == 0, result.output
    strategy_file = workdir / "strategies" / f"{NAME}.py"
    assert f"wrote {Path('strategies', f'{NAME}.py')}" in result.output
    assert strategy_file.is_file()
    assert (workdir / "strategies" / "tests" / f"test_{NAME}.py").is_file()

    passed = run_scaffold_tests(workdir)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "5 passed" in passed.stdout

    listed = quantbot("strategy", "list", "--config", "config")
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if f" {NAME} " in line]
    assert str(Path("strategies", f"{NAME}.py")) in row
    assert "fast=10, slow=30, stake_pct=10.0" in row

    config = load_config(workdir / "config", environ={})
    classes = strategy_classes(config.user_strategies_dir)
    market = from_synthetic(
        [SYMBOL], start_ms=START_MS, days=10, seed=3, quality=config.settings.data_quality
    )
    strategy = create_strategy(
        NAME, {"fast": 5, "slow": 20}, symbols=[SYMBOL], timeframe="1h", classes=classes
    )
    fill_model = FillModel(max_volume_share=None)
    backtest = run_backtest(market.data, [strategy], BacktestConfig(10_000, fill_model=fill_model))
    assert len(backtest.fills) > 0
    assert set(backtest.fills["strategy"]) == {NAME}


def test_the_scaffolds_tests_fail_when_its_rules_break(workdir: Path) -> None:
    assert quantbot("strategy", "new", NAME, "--config", "config").exit_code == 0
    strategy_file = workdir / "strategies" / f"{NAME}.py"
    text = strategy_file.read_text(encoding="utf-8")
    broken = text.replace("= crossover(fast, slow)", "= crossunder(fast, slow)")
    assert broken != text
    strategy_file.write_text(broken, encoding="utf-8")

    failed = run_scaffold_tests(workdir)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    test = f"strategies/tests/test_{NAME}.py::test_every_order_fills_right_after_a_cross_of_its"
    assert f"FAILED {test}_side[buy]" in failed.stdout


def test_quantbot_backtest_runs_a_user_strategy_by_name(workdir: Path) -> None:
    assert quantbot("strategy", "new", NAME, "--config", "config").exit_code == 0
    assert quantbot("db", "upgrade", "--config", "config").exit_code == 0

    result = quantbot(
        "backtest",
        "--strategy",
        NAME,
        "--config",
        "config",
        "--days",
        "5",
        "--timeframe",
        "1h",
        "--out",
        "out",
    )

    assert result.exit_code == 0, result.output
    assert (workdir / "out" / "summary.json").is_file()


def test_a_broken_strategy_file_stops_the_listing_with_its_file_line_and_error(
    workdir: Path,
) -> None:
    broken = workdir / "strategies" / "broken.py"
    broken.parent.mkdir()
    broken.write_text("import math\n\nRATIO = math.sqrt(-1)\n", encoding="utf-8")

    result = quantbot("strategy", "list", "--config", "config")

    assert result.exit_code == 1
    assert (
        f"strategy list: {Path('strategies', 'broken.py')}:3: ValueError: math domain error"
        in result.output
    )


def test_without_user_strategies_the_listing_shows_the_built_ins_and_says_how_to_add_one(
    workdir: Path,
) -> None:
    result = quantbot("strategy", "list", "--config", "config")

    assert result.exit_code == 0, result.output
    for name in STRATEGIES:
        assert f" {name} " in result.output
    assert "no strategy of yours in strategies; write one with: quantbot strategy new NAME" in (
        result.output
    )


def test_new_refuses_existing_files_and_bad_names_with_exit_status_1(workdir: Path) -> None:
    assert quantbot("strategy", "new", NAME, "--config", "config").exit_code == 0

    again = quantbot("strategy", "new", NAME, "--config", "config")
    built_in = quantbot("strategy", "new", "grid", "--config", "config")
    forced = quantbot("strategy", "new", NAME, "--config", "config", "--force")

    assert again.exit_code == 1
    assert "already exist; use --force to overwrite" in again.output
    assert built_in.exit_code == 1
    assert "strategy new: name 'grid' is taken by a built-in strategy" in built_in.output
    assert forced.exit_code == 0, forced.output


def test_new_into_another_directory_says_where_runs_look(workdir: Path) -> None:
    result = quantbot("strategy", "new", NAME, "--dir", "research", "--config", "config")

    assert result.exit_code == 0, result.output
    assert (workdir / "research" / f"{NAME}.py").is_file()
    assert "note: runs look for strategies in strategies (paths.user_strategies_dir)" in (
        result.output
    )


def test_a_user_strategy_enabled_in_settings_runs_in_the_configured_run(workdir: Path) -> None:
    assert quantbot("strategy", "new", NAME, "--config", "config").exit_code == 0
    assert quantbot("db", "upgrade", "--config", "config").exit_code == 0
    (workdir / "config" / "settings.yaml").write_text(
        "paths:\n  user_strategies_dir: strategies\n"
        f"strategies:\n  - {{name: {NAME}, symbols: [ETH/USDT], timeframe: 1h}}\n",
        encoding="utf-8",
    )
    (workdir / "config" / "momentum_config.yaml").write_text(
        "momentum_strategy:\n  enabled: false\n", encoding="utf-8"
    )

    result = quantbot("backtest", "--config", "config", "--days", "5", "--out", "out")

    assert result.exit_code == 0, result.output
    summary = json.loads((workdir / "out" / "summary.json").read_text())
    assert list(summary["strategies"]) == ["grid", NAME]


def test_a_broken_user_strategy_stops_the_backtest_with_its_file_and_line(workdir: Path) -> None:
    assert quantbot("db", "upgrade", "--config", "config").exit_code == 0
    broken = workdir / "strategies" / "broken.py"
    broken.parent.mkdir()
    broken.write_text("from quantbot.strategies import Strategy\n\nundefined_name\n")

    result = quantbot("backtest", "-s", "grid", "--config", "config", "--days", "1")

    assert result.exit_code == 1
    assert f"{Path('strategies', 'broken.py')}:3: NameError" in result.output
