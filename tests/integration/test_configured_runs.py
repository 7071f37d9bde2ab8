"""``quantbot backtest`` without ``--strategy``: every enabled strategy of the configuration.

The strategies share one portfolio; each trades its configured pairs that the data
holds, and the results attribute fills and P&L to each of them.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from fixtures.cli import quantbot


def _summary(out: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return summary


def _fill_symbols(out: Path) -> dict[str, set[str]]:
    by_strategy: dict[str, set[str]] = defaultdict(set)
    with (out / "fills.csv").open() as handle:
        for row in csv.DictReader(handle):
            by_strategy[row["strategy"]].add(row["symbol"])
    return by_strategy


def _config_dir(root: Path, **files: str) -> Path:
    directory = root / "config"
    directory.mkdir()
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(text)
    return directory


def test_the_default_configuration_runs_grid_and_momentum_on_their_pairs(workdir: Path) -> None:
    result = quantbot("backtest", "--days", "4", "--out", "out")
    assert result.exit_code == 0, result.output
    summary = _summary(workdir / "out")
    assert list(summary["strategies"]) == ["grid", "momentum"]
    # the synthetic market holds the union of both strategies' pairs
    assert set(summary["symbols"]) == {"BTC/USDT", "ETH/USDT", "SOL/USDT", "AVAX/USDT", "LINK/USDT"}
    fills = _fill_symbols(workdir / "out")
    assert fills["grid"], "the grid should trade on four days of synthetic 1m candles"
    assert fills["grid"] <= {"BTC/USDT", "ETH/USDT"}
    stored = summary["config"]["strategies"]
    assert [s["name"] for s in stored] == ["grid", "momentum"]


def test_per_strategy_results_add_up_to_the_portfolio(workdir: Path) -> None:
    assert quantbot("backtest", "--days", "3", "--out", "out").exit_code == 0
    summary = _summary(workdir / "out")
    parts = summary["strategies"].values()
    assert sum(p["initial_equity"] for p in parts) == pytest.approx(summary["initial_capital"])
    assert sum(p["final_equity"] for p in parts) == pytest.approx(summary["final_equity"])


def test_settings_entries_run_with_their_parameters_symbols_and_numbered_ids(
    workdir: Path,
) -> None:
    config = _config_dir(
        workdir,
        settings=(
            "strategies:\n"
            "  - {name: ema_cross, symbols: [ETH/USDT], params: {fast: 5, slow: 20}}\n"
            "  - {name: ema_cross, symbols: [BTC/USDT], params: {fast: 8, slow: 30}}\n"
        ),
        grid_config="grid_strategy:\n  enabled: false\n",
        momentum_config="momentum_strategy:\n  enabled: false\n",
    )
    result = quantbot("backtest", "--config", str(config), "--days", "3", "--out", "out")
    assert result.exit_code == 0, result.output
    summary = _summary(workdir / "out")
    assert list(summary["strategies"]) == ["ema_cross-1", "ema_cross-2"]
    assert set(summary["symbols"]) == {"ETH/USDT", "BTC/USDT"}
    fills = _fill_symbols(workdir / "out")
    assert fills["ema_cross-1"] <= {"ETH/USDT"}
    assert fills["ema_cross-2"] <= {"BTC/USDT"}
    assert fills["ema_cross-1"] or fills["ema_cross-2"]


def test_a_strategy_whose_pairs_are_not_in_the_data_is_left_out_with_a_note(
    workdir: Path, shared_data: Path
) -> None:
    config = _config_dir(
        workdir, momentum_config="momentum_strategy:\n  pairs: [SOL/USDT, LINK/USDT]\n"
    )
    result = quantbot(
        "backtest",
        "--config",
        str(config),
        "--data",
        str(shared_data / "binance_BTC-USDT_1m.csv.gz"),
        "--from",
        "2025-06-01",
        "--to",
        "2025-06-04",
        "--out",
        "out",
    )
    assert result.exit_code == 0, result.output
    assert "note: momentum (momentum_config.yaml) trades SOL/USDT, LINK/USDT" in result.output
    assert list(_summary(workdir / "out")["strategies"]) == ["grid"]


def test_a_configuration_that_enables_nothing_is_refused(workdir: Path) -> None:
    config = _config_dir(
        workdir,
        grid_config="grid_strategy:\n  enabled: false\n",
        momentum_config="momentum_strategy:\n  enabled: false\n",
    )
    result = quantbot("backtest", "--config", str(config), "--days", "1")
    assert result.exit_code == 1
    assert "the configuration enables no strategy" in result.output


def test_grid_momentum_and_funding_arbitrage_run_together_on_real_spot_and_perpetuals(
    workdir: Path, shared_data: Path
) -> None:
    """The combined run of the issue: each strategy on its own markets, attributed apart.

    Funding in this period stays near the 0.01 % baseline, so the arbitrage's entry
    threshold is lowered to make it trade.
    """
    config = _config_dir(workdir, funding_config="funding_strategy:\n  enabled: true\n")
    data = [
        "binance_BTC-USDT_1m.csv.gz",
        "binance-usdm_BTC-USDT-PERP_1m.csv.gz",
        "binance_ETH-USDT_1m.csv.gz",
        "binance-usdm_ETH-USDT-PERP_1m.csv.gz",
    ]
    result = quantbot(
        "backtest",
        "--config",
        str(config),
        *(arg for name in data for arg in ("--data", str(shared_data / name))),
        "--from",
        "2025-05-25",
        "--to",
        "2025-06-08",
        "-p",
        "funding_arb.min_funding_rate=0.004",
        "-p",
        "funding_arb.exit_funding_rate=0.001",
        "--out",
        "out",
    )
    assert result.exit_code == 0, result.output
    summary = _summary(workdir / "out")
    assert list(summary["strategies"]) == ["grid", "momentum", "funding_arb"]
    fills = _fill_symbols(workdir / "out")
    assert fills["grid"]
    assert fills["grid"] <= {"BTC/USDT", "ETH/USDT"}
    assert fills["momentum"] <= {"BTC/USDT", "ETH/USDT"}
    assert fills["funding_arb"], "with the lowered threshold the arbitrage should enter"
    # every arbitrage position has both legs: a spot and its perpetual
    assert {s.partition(":")[0] for s in fills["funding_arb"] if ":" in s} == {
        s for s in fills["funding_arb"] if ":" not in s
    }
    parts = summary["strategies"].values()
    assert sum(p["final_equity"] for p in parts) == pytest.approx(summary["final_equity"])
