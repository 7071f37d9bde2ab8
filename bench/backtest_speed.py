"""Benchmark of the backtest engine against the targets of issues 5 and 6.

Run with ``.venv/bin/python bench/backtest_speed.py [--quick] [--runs N] [--only NAME]
[--profile] [--steps]``; ``--profile`` runs each workload once more under cProfile and
prints the functions that took the most time, with their call counts (orders, cancels,
fills); ``--steps`` runs it once more with a timer around each engine step
(:data:`STEPS`: placing an order, its checks, matching, booking a fill...), which,
unlike the profiler, does not inflate code made of many small calls. Both run the
engine as pure Python (``QUANTBOT_PURE_PYTHON=1``): the profiler cannot see inside
compiled functions, nor can the timers wrap compiled methods. The measured runs use
whatever the install built; the script prints which (``engine core: compiled (mypyc)``,
see :mod:`quantbot.compiled`).
Nothing is asserted: speed is measured here, never in tests. Every figure is printed
next to its target with ``met`` or ``NOT met``, and with the fill and trade counts, so a
speed-up that changes the results is visible.

Workloads (one year = 525,600 1m candles a symbol):

- ``ema_cross``: 9/21, fixed 0.01 BTC orders, 0.1 % fee, next-open fills, no slippage,
  no volume cap, one symbol-year — issue 5's comparison workload, >= 1 M bars/s; the same
  run bar by bar (fast path off) must give identical fills, which is checked;
- ``ema_cross+risk``: the same with the risk manager in the loop (the embedded
  configuration's rules, breakers and brakes; the portfolio limits widened so that they
  bind on no order of this comparison), so every order runs the whole chain and every
  event is observed by the breakers; its fills must equal ``ema_cross``'s, which is
  checked;
- ``grid``: 20 levels, geometric, 0.5 % spacing, one symbol-year — >= 1 M bars/s;
- ``momentum``: default parameters (1h signals, 4h confirmation, resampled from the
  1m candles by the engine), five symbol-years — under 2 s;
- ``grid+momentum``: both strategies together on ten symbol-years — under 15 s, peak
  memory under 3 GB;
- ``grid_real``: the grid on the longest real 1m series of ``../shared/data``
  (Binance BTC/USDT, 90.8 days), for reference (no target).

Data. ``../shared/data`` holds no year of 1m candles (its ``manifest.csv`` lists every
series; the longest 1m one has 130,708 bars), so the year-long workloads run on the
seeded synthetic market (:func:`quantbot.data.synthetic.generate_market`). The script
reads the manifest and uses a real series instead wherever one covers the year
without gaps, and prints which data each workload ran on.

Timing. The wall time of the ``run_backtest`` call — strategies' indicator
precompute, the event loop with its pre-trade checks and accounting, the equity
curves and result frames — best of ``--runs`` runs (default 3, 2 for ten symbols);
generating or reading the candles and writing reports are excluded. The least CPU
time of the runs is printed beside it: the two part when other processes compete for
the cores (the verdicts use the wall time). Each process first runs the workload on
its first day of candles: that loads the numba-compiled loops from their disk cache
(about half a second, once per process), so the figures are those of a research
process running backtest after backtest. ``bars/s`` counts symbol-bars: ten symbols
over one year are 5,256,000 bars.

Memory. Each workload runs in a fresh process that reads its candles from a file the
parent wrote; its peak is that process's peak resident set size (``VmHWM`` of
``/proc/self/status``, which is ``ru_maxrss`` without what the fork inherited from the
parent; see :func:`peak_mb`): Python, numpy, numba, the package, the candles and the
run, printed with the figure once the imports and candles were loaded, so the engine's
share shows. Issue 5's one symbol-year memory target (<= 300 MB) is read off the
``ema_cross`` process.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import importlib
import json
import logging
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from quantbot.compiled import PURE_ENV, status
from quantbot.config import load_config
from quantbot.data.files import read_ohlcv_csv
from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.synthetic import generate_market
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.instruments import instrument_for
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup, risk_setup
from quantbot.strategies import Strategy, create_strategy
from quantbot.venues.simulated import FillModel

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
YEAR = 525_600
SEED = 11
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEN_SYMBOLS = (
    "BTC/USDT", "ETH/USDT", "SOL/USDT", "AVAX/USDT", "LINK/USDT",
    "XRP/USDT", "ADA/USDT", "DOGE/USDT", "DOT/USDT", "LTC/USDT",
)  # fmt: skip
COMPARISON_MODEL = FillModel(
    maker_fee_pct=0.1, taker_fee_pct=0.1, slippage_pct=0.0, max_volume_share=None
)
GRID_20 = {"num_grids": 20, "grid_spacing_pct": 0.5, "grid_type": "geometric"}


def _risk_in_the_loop() -> RiskSetup:
    """The embedded configuration's risk manager, its portfolio limits out of the way."""
    setup = risk_setup(load_config(None, environ={}).settings)
    limits = replace(
        setup.limits,
        max_order_size_usd=1e12,
        max_total_exposure_pct=1e6,
        max_single_pair_exposure_pct=1e6,
        max_correlated_exposure_pct=1e6,
        max_capital_per_exchange_pct=1e6,
        reserve_cash_pct=0.0,
    )
    return replace(setup, limits=limits)


@dataclass(frozen=True)
class Target:
    """What a workload must reach; None leaves a figure without a target."""

    min_bars_per_s: float | None = None
    max_seconds: float | None = None
    max_peak_mb: float | None = None


@dataclass(frozen=True)
class Workload:
    """One benchmark: its strategies, market, account and targets."""

    name: str
    title: str
    symbols: int
    strategies: Callable[[Sequence[str]], list[Strategy]]
    config: BacktestConfig
    target: Target
    real_only: bool = False
    """Runs on the real 90-day series only (reference figure)."""


WORKLOADS = (
    Workload(
        "ema_cross",
        "ema_cross 9/21, 0.01 BTC, 1 symbol",
        1,
        lambda symbols: [create_strategy("ema_cross", {"order_size": 0.01}, symbols=symbols)],
        BacktestConfig(initial_capital=1_000_000, fill_model=COMPARISON_MODEL),
        Target(min_bars_per_s=1e6, max_peak_mb=300),
    ),
    Workload(
        "ema_cross+risk",
        "ema_cross 9/21 with the risk manager, 1 symbol",
        1,
        lambda symbols: [create_strategy("ema_cross", {"order_size": 0.01}, symbols=symbols)],
        BacktestConfig(
            initial_capital=1_000_000, fill_model=COMPARISON_MODEL, risk=_risk_in_the_loop()
        ),
        Target(min_bars_per_s=1e6),
    ),
    Workload(
        "grid",
        "grid 20 levels, 0.5 % geometric, 1 symbol",
        1,
        lambda symbols: [create_strategy("grid", GRID_20, symbols=symbols)],
        BacktestConfig(initial_capital=100_000),
        Target(min_bars_per_s=1e6),
    ),
    Workload(
        "momentum",
        "momentum 1h/4h, 5 symbols",
        5,
        lambda symbols: [create_strategy("momentum", {}, symbols=symbols)],
        BacktestConfig(initial_capital=1_000_000),
        Target(max_seconds=2.0),
    ),
    Workload(
        "grid+momentum",
        "grid + momentum, 10 symbols",
        10,
        lambda symbols: [
            create_strategy("grid", {}, symbols=symbols),
            create_strategy("momentum", {}, symbols=symbols),
        ],
        BacktestConfig(initial_capital=1_000_000),
        Target(max_seconds=15.0, max_peak_mb=3072),
    ),
    Workload(
        "grid_real",
        "grid 20 levels, 0.5 % geometric, real BTC/USDT",
        1,
        lambda symbols: [create_strategy("grid", GRID_20, symbols=symbols)],
        BacktestConfig(initial_capital=100_000),
        Target(),
        real_only=True,
    ),
)

# -- data ------------------------------------------------------------------------------


def real_1m_series(min_bars: int) -> dict[str, Path]:
    """Per spot symbol, a Binance 1m file of ``../shared/data`` with ``min_bars`` bars and no gap."""
    manifest = SHARED_DATA / "manifest.csv"
    if not manifest.exists():
        return {}
    found: dict[str, Path] = {}
    with manifest.open(newline="") as file:
        for row in csv.DictReader(file):
            if (
                row["type"] == "ohlcv"
                and row["exchange"] == "binance"
                and row["market"] == "spot"
                and row["timeframe"] == "1m"
                and int(row["rows"]) >= min_bars
                and int(row["gaps"]) == 0
            ):
                found[row["symbol"].replace("-", "/")] = SHARED_DATA / row["file"]
    return found


def write_market(symbols: Sequence[str], minutes: int, folder: Path) -> str:
    """Write ``minutes`` 1m candles of each symbol to ``folder``; return where they came from.

    Real candles (the last ``minutes`` of a gap-free series) when ``../shared/data``
    has them for every symbol on one timeline, else the seeded synthetic market.
    """
    real = real_1m_series(minutes)
    arrays: dict[str, OhlcvArrays] = {}
    if all(s in real for s in symbols):
        frames = [read_ohlcv_csv(real[s]).iloc[-minutes:] for s in symbols]
        if all(np.array_equal(f["ts_ms"], frames[0]["ts_ms"]) for f in frames):
            arrays = {s: OhlcvArrays.from_frame(f) for s, f in zip(symbols, frames, strict=True)}
    if arrays:
        source = "real: " + ", ".join(real[s].name for s in symbols)
    else:
        generated = generate_market(list(symbols), start_ms=START_MS, minutes=minutes, seed=SEED)
        arrays = {s: OhlcvArrays.from_frame(generated.candles[s]) for s in symbols}
        source = f"synthetic, seed {SEED} (../shared/data has no gap-free year of 1m for these)"
    folder.mkdir(parents=True, exist_ok=True)
    for index, symbol in enumerate(symbols):
        candles = arrays[symbol]
        np.savez(folder / f"{index}.npz", **{c: getattr(candles, c) for c in OHLCV_COLUMNS})
    (folder / "market.json").write_text(json.dumps({"symbols": list(symbols), "source": source}))
    return source


def write_real_market(folder: Path) -> str | None:
    """Write the longest real BTC/USDT 1m series; None when ``../shared/data`` lacks it."""
    path = SHARED_DATA / "binance_BTC-USDT_1m.csv.gz"
    if not path.exists():
        return None
    candles = OhlcvArrays.from_frame(read_ohlcv_csv(path))
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "0.npz", **{c: getattr(candles, c) for c in OHLCV_COLUMNS})
    source = f"real: {path.name}, {len(candles):,d} bars"
    (folder / "market.json").write_text(json.dumps({"symbols": ["BTC/USDT"], "source": source}))
    return source


def head(data: BacktestData, bars: int) -> BacktestData:
    """The first ``bars`` candles of ``data`` (the warm-up run's market)."""
    arrays = {
        s: OhlcvArrays(**{c: getattr(a, c)[:bars] for c in OHLCV_COLUMNS})
        for s, a in data.arrays.items()
    }
    return BacktestData(data.timeframe, arrays, data.instruments)


def read_market(folder: Path, symbols: int) -> tuple[BacktestData, str]:
    """The first ``symbols`` symbols :func:`write_market` wrote, as backtest data."""
    described = json.loads((folder / "market.json").read_text())
    names = described["symbols"][:symbols]
    arrays = {}
    for index, symbol in enumerate(names):
        with np.load(folder / f"{index}.npz") as stored:
            arrays[symbol] = OhlcvArrays(**{c: stored[c] for c in OHLCV_COLUMNS})
    instruments = {s: instrument_for(s, float(a.close[0])) for s, a in arrays.items()}
    return BacktestData("1m", arrays, instruments), str(described["source"])


# -- one workload, in its own process -------------------------------------------------------


def peak_mb() -> float:
    """Peak resident set size of this process so far, MB.

    The kernel's high-water mark of the process's own address space (``VmHWM`` of
    ``/proc/self/status``). ``getrusage(RUSAGE_SELF).ru_maxrss`` is the same figure but
    also keeps what a child inherited from its parent at the fork (the parent's candles),
    so it is only the fallback where ``/proc`` is missing (it is in KB on Linux).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(workload: Workload, folder: Path, runs: int) -> dict[str, Any]:
    """Run ``workload`` ``runs`` times on the market in ``folder``; its figures as a dict."""
    logging.disable(logging.WARNING)  # the grid's stop-loss warnings are not results
    data, source = read_market(folder, workload.symbols)
    symbols = list(data.arrays)
    loaded = peak_mb()
    run_backtest(head(data, 1440), workload.strategies(symbols), workload.config)
    best, best_cpu = float("inf"), float("inf")
    result: BacktestResult | None = None
    strategies: list[Strategy] = []
    for _ in range(runs):
        result = None  # one result alive at a time: the peak is that of one run
        strategies = workload.strategies(symbols)
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run_backtest(data, strategies, workload.config)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    assert result is not None
    figures: dict[str, Any] = {
        "source": source,
        "bars": len(data.ts_ms) * len(symbols),
        "seconds": best,
        "cpu_seconds": best_cpu,
        "fills": len(result.fills),
        "trades": int((~result.trades["is_open"]).sum()),
        "events": result.events_processed,
        "peak_mb": peak_mb(),
        "loaded_mb": loaded,
    }
    for strategy in strategies:
        pairs = getattr(strategy, "pairs", None)
        if pairs is not None:  # the grid: its round trips and whether a pair stopped
            figures["round_trips"] = sum(p.round_trips for p in pairs.values())
            figures["stopped"] = sorted({str(p.stopped) for p in pairs.values() if p.stopped})
    if workload.name == "ema_cross":
        bar_by_bar = BacktestConfig(
            initial_capital=workload.config.initial_capital,
            fill_model=workload.config.fill_model,
            skip_idle_bars=False,
        )
        started = time.perf_counter()
        slow = run_backtest(data, workload.strategies(symbols), bar_by_bar)
        figures["bar_by_bar_seconds"] = time.perf_counter() - started
        figures["bar_by_bar_identical"] = bool(slow.fills.equals(result.fills))
    if workload.config.risk is not None and workload.name.startswith("ema_cross"):
        without = replace(workload.config, risk=None)
        plain = run_backtest(data, workload.strategies(symbols), without)
        figures["risk_identical"] = bool(plain.fills.equals(result.fills))
        figures["risk_events"] = len(result.risk_events)
    return figures


# -- the report ---------------------------------------------------------------------------


def verdicts(target: Target, figures: dict[str, Any]) -> list[str]:
    """Each target with ``met`` or ``NOT met``."""
    lines = []
    if target.min_bars_per_s is not None:
        ok = figures["bars"] / figures["seconds"] >= target.min_bars_per_s
        lines.append(f">= {target.min_bars_per_s / 1e6:g} M bars/s {'met' if ok else 'NOT met'}")
    if target.max_seconds is not None:
        ok = figures["seconds"] < target.max_seconds
        lines.append(f"< {target.max_seconds:g} s {'met' if ok else 'NOT met'}")
    if target.max_peak_mb is not None:
        ok = figures["peak_mb"] <= target.max_peak_mb
        lines.append(f"peak <= {target.max_peak_mb:,.0f} MB {'met' if ok else 'NOT met'}")
    return lines


def report(workload: Workload, figures: dict[str, Any]) -> None:
    bars, seconds = figures["bars"], figures["seconds"]
    counts = f"{figures['fills']:,d} fills, {figures['trades']:,d} closed trades"
    if "round_trips" in figures:
        counts += f", {figures['round_trips']:,d} grid round trips"
        if figures["stopped"]:
            counts += f" (a pair stopped by {', '.join(figures['stopped'])})"
    print(f"{workload.title}  [{figures['source']}]")
    print(
        f"    {bars:>10,d} bars {seconds:7.3f} s (CPU {figures['cpu_seconds']:.3f} s) "
        f"{bars / seconds / 1e6:6.2f} M bars/s   {counts}, {figures['events']:,d} events"
    )
    print(
        f"    peak RSS {figures['peak_mb']:,.0f} MB ({figures['loaded_mb']:,.0f} MB once "
        "imports and candles were loaded)"
    )
    if "risk_identical" in figures:
        same = "identical" if figures["risk_identical"] else "DIFFERENT"
        print(
            f"    fills {same} to the run without the risk manager; "
            f"{figures['risk_events']} risk events"
        )
    if "bar_by_bar_identical" in figures:
        same = "identical" if figures["bar_by_bar_identical"] else "DIFFERENT"
        print(
            f"    bar by bar (fast path off): {figures['bar_by_bar_seconds']:.3f} s, fills {same}"
        )
    verdict = "; ".join(verdicts(workload.target, figures)) or "no target (reference)"
    print(f"    target: {verdict}")


def profile(workload: Workload, folder: Path) -> None:
    """Run ``workload`` once under cProfile; print the 25 most expensive calls to stderr."""
    data, _ = read_market(folder, workload.symbols)
    strategies = workload.strategies(list(data.arrays))
    profiler = cProfile.Profile()
    profiler.runcall(run_backtest, data, strategies, workload.config)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


STEPS = (
    ("quantbot.engine.backtest", "_Engine", "_next_bar", "finding the next event"),
    ("quantbot.engine.backtest", "_Engine", "_call_strategies", "strategy calls (+ their orders)"),
    ("quantbot.engine.backtest", "_Engine", "_place", "placing an order"),
    ("quantbot.risk.chain", "CheckChain", "run", "  its pre-trade checks"),
    ("quantbot.engine.backtest", "_Engine", "_cancel", "canceling an order"),
    (
        "quantbot.venues.simulated.venue",
        "SimulatedVenue",
        "process_bar",
        "venue matching (+ fills)",
    ),
    ("quantbot.engine.backtest", "_Engine", "_on_fill", "booking a fill"),
    ("quantbot.engine.ledger", "Ledger", "book", "  its account booking"),
    ("quantbot.core.orders", "Order", "apply", "an order's state transition"),
    ("quantbot.strategies.grid_book", None, "_nearest", "the grid ranking its book"),
)
"""Steps timed by ``--steps``: (module, class or None for a module function, name,
label). Indented labels are parts of the step above; a step's time includes what it
calls."""


def time_steps(workload: Workload, folder: Path) -> None:
    """Run ``workload`` once with a timer around each of :data:`STEPS`; print to stderr.

    Unlike cProfile, which charges every Python call and so inflates code made of many
    small calls, the timers cost about a microsecond per timed call, which the table
    shows so that it can be allowed for.
    """
    data, _ = read_market(folder, workload.symbols)
    strategies = workload.strategies(list(data.arrays))
    seconds: dict[str, float] = dict.fromkeys((label for *_, label in STEPS), 0.0)
    calls: dict[str, int] = dict.fromkeys(seconds, 0)
    originals = []
    for module, owner, name, label in STEPS:
        imported = importlib.import_module(module)
        holder = imported if owner is None else getattr(imported, owner)
        originals.append((holder, name, getattr(holder, name)))
        setattr(holder, name, _timed(getattr(holder, name), label, seconds, calls))
    try:
        started = time.perf_counter()
        run_backtest(data, strategies, workload.config)
        elapsed = time.perf_counter() - started
    finally:
        for holder, name, original in originals:
            setattr(holder, name, original)
    timed = sum(calls.values())
    print(f"{elapsed:.3f} s with {timed:,d} timed calls; per step:", file=sys.stderr)
    for label, spent in seconds.items():
        if calls[label]:
            per_call = spent / calls[label] * 1e6
            print(
                f"  {label:34s} {spent:7.3f} s {calls[label]:9,d} calls {per_call:7.1f} us",
                file=sys.stderr,
            )


def _timed(
    method: Callable[..., Any], label: str, seconds: dict[str, float], calls: dict[str, int]
) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            seconds[label] += time.perf_counter() - started
            calls[label] += 1

    return timed


def run_child(workload: Workload, folder: Path, runs: int) -> dict[str, Any]:
    """Measure ``workload`` in a fresh Python process (its own peak memory)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", workload.name, str(folder), str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def explain_child(workload: Workload, folder: Path, extra: Sequence[str]) -> None:
    """Print the ``--profile`` / ``--steps`` tables of ``workload``, from a pure-Python process.

    The profiler does not see inside compiled functions and the step timers wrap
    methods, which compiled classes do not allow; the pure-Python engine runs the same
    code, only slower, so the tables show where time goes in proportion.
    """
    done = subprocess.run(
        [sys.executable, __file__, "--child", workload.name, str(folder), "0", *extra],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, PURE_ENV: "1"},
    )
    print(done.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of a year, one run each")
    parser.add_argument("--runs", type=int, help="runs per workload, best taken (default 3)")
    parser.add_argument(
        "--only", action="append", choices=[w.name for w in WORKLOADS], help="repeatable"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print where each workload's time goes"
    )
    parser.add_argument(
        "--steps", action="store_true", help="also time each engine step without the profiler"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    by_name = {w.name: w for w in WORKLOADS}
    if args.child:
        name, folder, runs = args.child
        if args.profile:
            profile(by_name[name], Path(folder))
        if args.steps:
            time_steps(by_name[name], Path(folder))
        if int(runs):
            print(json.dumps(measure(by_name[name], Path(folder), int(runs))))
        return
    minutes = YEAR // 10 if args.quick else YEAR
    chosen = [by_name[n] for n in args.only] if args.only else list(WORKLOADS)
    with tempfile.TemporaryDirectory() as tmp:
        one = write_market(TEN_SYMBOLS[:1], minutes, Path(tmp) / "one")
        ten = write_market(TEN_SYMBOLS, minutes, Path(tmp) / "ten")
        real = write_real_market(Path(tmp) / "real")
        print(f"{minutes:,d} 1m bars a symbol; one symbol: {one}; several: {ten}")
        print(f"engine core: {status()}")
        if args.quick:
            print("--quick: a tenth of a year; the targets are for a year, so mind the verdicts")
        for workload in chosen:
            if workload.real_only:
                folder = Path(tmp) / "real"
                if real is None:
                    print(f"{workload.title}: skipped, {SHARED_DATA} is not there")
                    continue
            else:
                folder = Path(tmp) / ("one" if workload.symbols == 1 else "ten")
            runs = args.runs or (1 if args.quick else 2 if workload.symbols == 10 else 3)
            extra = [
                flag for flag, on in (("--profile", args.profile), ("--steps", args.steps)) if on
            ]
            report(workload, run_child(workload, folder, runs))
            if extra:
                explain_child(workload, folder, extra)


if __name__ == "__main__":
    main()
