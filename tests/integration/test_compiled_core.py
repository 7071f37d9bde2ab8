"""The compiled engine core (:mod:`quantbot.compiled`): which modules a process runs, and
that compiled and pure-Python modules give the same backtest to the last digit.

Each run is its own ``quantbot`` process, since the choice is made once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quantbot.compiled import PURE_ENV, status

SCRIPT = Path(sys.executable).with_name("quantbot")
PROBE = (
    "import importlib, json, quantbot.compiled as c; s = c.status(); "
    "print(json.dumps([s.compiled, s.reason, "
    "[importlib.import_module(m).__file__ for m in c.MODULES]]))"
)


def _run(*args: str, pure: bool, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTBOT_")}
    if pure:
        environment[PURE_ENV] = "1"
    return subprocess.run(
        list(args), check=False, cwd=cwd, env=environment, capture_output=True, text=True
    )


@pytest.mark.parametrize("pure", [False, True])
def test_every_compiled_module_loads_as_the_status_says(tmp_path: Path, pure: bool) -> None:
    result = _run(sys.executable, "-c", PROBE, pure=pure, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    compiled, reason, files = json.loads(result.stdout)
    if pure:
        assert (compiled, reason) == (False, f"{PURE_ENV}=1")
    else:
        assert compiled == status().compiled
    assert all(f.endswith(".py") != compiled for f in files), files


def _backtest(workdir: Path, args: tuple[str, ...], *, pure: bool) -> dict[str, str]:
    """Every output of one ``quantbot backtest`` but its timings and id, by file name."""
    workdir.mkdir()
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "quantbot"]
    for step in (("db", "upgrade"), ("backtest", *args, "--out", "out")):
        result = _run(*command, *step, pure=pure, cwd=workdir)
        assert result.returncode == 0, result.stderr
    out = workdir / "out"
    summary = json.loads((out / "summary.json").read_text())
    for timing in ("elapsed_s", "bars_per_second"):
        assert summary.pop(timing) > 0
    assert summary.pop("run_id").startswith("bt-")
    files = {name: (out / name).read_text() for name in ("fills.csv", "trades.csv", "equity.csv")}
    return {**files, "summary.json": json.dumps(summary, sort_keys=True)}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--days", "20"), id="configured-strategies-synthetic"),
        pytest.param(
            ("-s", "ema_cross", "-s", "grid", "--data", "REAL", "--no-risk"),
            id="ema-cross-and-grid-real",
        ),
    ],
)
def test_compiled_and_pure_python_backtests_are_identical(
    tmp_path: Path, shared_data: Path, args: tuple[str, ...]
) -> None:
    """The configured strategies (grid, momentum... under the risk manager) on the synthetic
    market, and ema_cross with the grid on a month of Binance BTC/USDT."""
    core = status()
    if not core.compiled:
        pytest.skip(f"the engine core is not compiled here: {core.reason}")
    real = shared_data / "segments" / "binance_BTC-USDT_1m_20240726-20240825.csv.gz"
    args = tuple(str(real) if a == "REAL" else a for a in args)
    compiled = _backtest(tmp_path / "compiled", args, pure=False)
    pure = _backtest(tmp_path / "pure", args, pure=True)
    assert len(compiled["fills.csv"].splitlines()) > 100
    for name, text in compiled.items():
        assert text == pure[name], name
