"""Benchmark of the backtest engine against issue 5's (and 6's) targets.

Run with ``.venv/bin/python bench/backtest_speed.py [--quick]``. Each figure is the best
of several runs of the simulation proper (``BacktestResult.elapsed_s``: strategies'
indicator precompute, the event loop and the equity curve; data generation and reports
excluded), printed next to its target with the trade count, so a speed-up that changes
the results is visible. Nothing is asserted: speed is measured here, never in tests.

Workloads, on the seeded synthetic market (one year = 525,600 1m candles):

- ``ema_cross`` 9/21, fixed 0.01 BTC orders, 0.1 % fee, fills at the next open, no
  slippage, no volume cap — the comparison workload of the issue;
- the 20-level geometric grid (0.5 % spacing) on one symbol-year;
- grid + momentum together on ten symbol-years;
- peak resident memory of one symbol-year ``ema_cross`` run, in a fresh process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.synthetic import generate_market
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.instruments import instrument_for
from quantbot.engine.results import BacktestResult
from quantbot.strategies import STRATEGIES, Strategy, create_strategy
from quantbot.venues.simulated import FillModel

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
YEAR = 525_600
TEN_SYMBOLS = (
    "BTC/USDT", "ETH/USDT", "SOL/USDT", "AVAX/USDT", "LINK/USDT",
    "XRP/USDT", "ADA/USDT", "DOGE/USDT", "DOT/USDT", "LTC/USDT",
)  # fmt: skip
COMPARISON_MODEL = FillModel(
    maker_fee_pct=0.1, taker_fee_pct=0.1, slippage_pct=0.0, max_volume_share=None
)


def market(symbols: Sequence[str], minutes: int) -> BacktestData:
    """The synthetic market as backtest data (generated once per workload)."""
    generated = generate_market(list(symbols), start_ms=START_MS, minutes=minutes, seed=11)
    arrays = {s: OhlcvArrays.from_frame(generated.candles[s]) for s in symbols}
    return BacktestData(
        "1m", arrays, {s: instrument_for(s, float(arrays[s].close[0])) for s in symbols}
    )


def best_of(
    runs: int, build: Callable[[], list[Strategy]], data: BacktestData, config: BacktestConfig
) -> BacktestResult:
    """The fastest of ``runs`` identical runs (the least disturbed by the machine)."""
    results = [run_backtest(data, build(), config) for _ in range(runs)]
    return min(results, key=lambda r: r.elapsed_s)


def report(name: str, result: BacktestResult, target: str) -> None:
    closed = int((~result.trades["is_open"]).sum())
    print(
        f"{name:<48} {result.bars_processed:>9,d} bars {result.elapsed_s:7.3f} s "
        f"{result.bars_per_second / 1e6:6.2f} M bars/s  {closed:>6,d} trades  "
        f"{result.events_processed:>7,d} events   target {target}"
    )


def ema_cross(minutes: int, runs: int) -> None:
    data = market(["BTC/USDT"], minutes)
    config = BacktestConfig(initial_capital=1_000_000, fill_model=COMPARISON_MODEL)
    build = lambda: [create_strategy("ema_cross", {"order_size": 0.01}, symbols=["BTC/USDT"])]  # noqa: E731
    report(
        "ema_cross 9/21, 0.01 BTC, 1 symbol", best_of(runs, build, data, config), ">= 1 M bars/s"
    )
    bar_by_bar = BacktestConfig(
        initial_capital=1_000_000, fill_model=COMPARISON_MODEL, skip_idle_bars=False
    )
    report(
        "  same, bar by bar (fast path off)",
        best_of(1, build, data, bar_by_bar),
        "(identical fills)",
    )


def grid(minutes: int, runs: int) -> None:
    if "grid" not in STRATEGIES:
        print("grid: not registered yet")
        return
    data = market(["BTC/USDT"], minutes)
    params = {"num_grids": 20, "grid_spacing_pct": 0.5, "grid_type": "geometric"}
    build = lambda: [create_strategy("grid", params, symbols=["BTC/USDT"])]  # noqa: E731
    config = BacktestConfig(initial_capital=100_000)
    report(
        "grid 20 levels, 0.5 % geometric, 1 symbol",
        best_of(runs, build, data, config),
        ">= 1 M bars/s",
    )


def grid_and_momentum(minutes: int) -> None:
    if "grid" not in STRATEGIES:
        print("grid + momentum: grid not registered yet")
        return
    data = market(TEN_SYMBOLS, minutes)
    build = lambda: [  # noqa: E731
        create_strategy("grid", {}, symbols=list(TEN_SYMBOLS)),
        create_strategy("momentum", {}, symbols=list(TEN_SYMBOLS)),
    ]
    started = time.perf_counter()
    result = run_backtest(data, build(), BacktestConfig(initial_capital=1_000_000))
    wall = time.perf_counter() - started
    report("grid + momentum, 10 symbols", result, f"<= 15 s (wall {wall:.1f} s)")


def peak_memory(minutes: int) -> None:
    """Peak resident memory of a fresh process that loads one symbol-year and backtests it.

    The candles are generated here and handed over in a file, so the figure is the
    engine's (plus Python, numpy, numba and the package imports), not the generator's.
    """
    data = market(["BTC/USDT"], minutes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candles.npz"
        candles = data.arrays["BTC/USDT"]
        np.savez(path, **{c: getattr(candles, c) for c in OHLCV_COLUMNS})
        code = (
            "import resource, numpy as np, bench.backtest_speed as b;"
            f"f = np.load({str(path)!r});"
            "a = b.OhlcvArrays(**{c: f[c] for c in b.OHLCV_COLUMNS});"
            "d = b.BacktestData('1m', {'BTC/USDT': a}, {'BTC/USDT': b.instrument_for('BTC/USDT', float(a.close[0]))});"
            "loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            "b.run_backtest(d, [b.create_strategy('ema_cross', {'order_size': 0.01}, symbols=['BTC/USDT'])],"
            " b.BacktestConfig(initial_capital=1_000_000, fill_model=b.COMPARISON_MODEL));"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, loaded)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    peak_kb, loaded_kb = map(int, done.stdout.split())
    print(
        f"{'peak memory, ema_cross on one symbol-year':<48} {peak_kb / 1024:9.0f} MB peak "
        f"({loaded_kb / 1024:.0f} MB once imports and candles are loaded)   target <= 300 MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of a year, one run each")
    args = parser.parse_args()
    minutes, runs = (YEAR // 10, 1) if args.quick else (YEAR, 3)
    print(f"{minutes:,d} 1m bars per symbol; best of {runs} runs; simulation proper only")
    ema_cross(minutes, runs)
    grid(minutes, runs)
    grid_and_momentum(minutes)
    peak_memory(minutes)
    print(
        f"(max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
