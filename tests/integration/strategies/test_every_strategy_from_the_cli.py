"""Every registered strategy backtests from the command line, on the synthetic market
and on real data, and writes its report and its summary.

The behaviour of each strategy is tested in its own modules; this one checks that the
command a user types works for all of them, with the data they need (funding
arbitrage: a spot pair and its perpetual).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantbot.strategies import STRATEGIES

from fixtures.cli import quantbot

REAL_DATA: dict[str, tuple[str, ...]] = {
    "funding_arb": ("binance_BTC-USDT_1m.csv.gz", "binance-usdm_BTC-USDT-PERP_1m.csv.gz"),
}
"""Files per strategy that needs more than the BTC/USDT spot candles."""


def _check_outputs(out: Path, name: str, symbols: set[str]) -> None:
    assert (out / "report.html").stat().st_size > 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["strategies"]) == [name]
    assert set(summary["symbols"]) == symbols
    assert summary["bars_processed"] > 0


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_on_the_synthetic_market(workdir: Path, name: str) -> None:
    symbols = "BTC/USDT,BTC/USDT:USDT" if name == "funding_arb" else "BTC/USDT"
    result = quantbot("backtest", "-s", name, "--symbols", symbols, "--days", "3", "--out", "out")
    assert result.exit_code == 0, result.output
    _check_outputs(workdir / "out", name, set(symbols.split(",")))


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_on_real_data(workdir: Path, shared_data: Path, name: str) -> None:
    files = REAL_DATA.get(name, ("binance_BTC-USDT_1m.csv.gz",))
    data = [arg for file in files for arg in ("--data", str(shared_data / file))]
    result = quantbot(
        "backtest", "-s", name, *data, "--from", "2025-06-01", "--to", "2025-06-08", "--out", "out"
    )
    assert result.exit_code == 0, result.output
    expected = {"BTC/USDT", "BTC/USDT:USDT"} if name == "funding_arb" else {"BTC/USDT"}
    _check_outputs(workdir / "out", name, expected)
