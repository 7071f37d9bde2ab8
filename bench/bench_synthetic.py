"""Benchmark of the synthetic market against issue 4's target.

Run with ``.venv/bin/python bench/bench_synthetic.py`` (add ``--profile`` for the
hottest functions of the one-year run). Figures are the best of several runs; each is
printed next to its target where there is one. Nothing is asserted: speed is measured
here, never in tests.

Measured:
- one year of 1m candles (with funding) for three assets (target < 2 s);
- the volatility recurrence over a year: the blocked numpy solver against the plain
  Python loop it replaced;
- funding alone (basis path and settlements) and mark candles for a year of one asset;
- order books: one day of 1 s snapshots of one asset, a week of 1 min snapshots of
  three, 20 levels a side.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import sys
import time
from collections.abc import Callable

import numpy as np

from quantbot.data.synthetic import generate_market, generate_order_books
from quantbot.data.synthetic_assets import DEFAULT_ASSETS
from quantbot.data.synthetic_funding import basis_path, funding_settlements, mark_candles
from quantbot.data.synthetic_processes import MINUTE_MS, linear_recurrence, regime_path

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTES_PER_YEAR = 525_600
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
RUNS = 3


def best_of(action: Callable[[], object], runs: int = RUNS) -> float:
    """Seconds of the fastest of ``runs`` calls."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def report(label: str, seconds: float, target: str = "") -> None:
    print(f"{label:<58} {seconds:8.3f} s  {target}")


def year() -> object:
    return generate_market(SYMBOLS, start_ms=START_MS, minutes=MINUTES_PER_YEAR, seed=7)


def looped_recurrence(a: np.ndarray, b: np.ndarray, x0: float) -> np.ndarray:
    values = np.empty(len(b) + 1)
    level = x0
    for t in range(len(b)):
        values[t] = level
        level = a[t] * level + b[t]
    values[-1] = level
    return values


def main() -> None:
    seconds = best_of(year)
    status = "ok" if seconds < 2.0 else "OVER TARGET"
    report("1 year x 3 assets of 1m candles + funding", seconds, f"target < 2 s: {status}")

    rng = np.random.default_rng(1)
    a = 0.12 * rng.standard_normal(MINUTES_PER_YEAR - 1) ** 2 + 0.85
    b = np.full(MINUTES_PER_YEAR - 1, 0.03)
    report(
        "  volatility recurrence, blocked numpy", best_of(lambda: linear_recurrence(a, b, x0=1.0))
    )
    report(
        "  volatility recurrence, plain Python loop",
        best_of(lambda: looped_recurrence(a, b, 1.0), 1),
    )

    market = generate_market(["BTC/USDT"], start_ms=START_MS, minutes=MINUTES_PER_YEAR, seed=7)
    candles = market.candles["BTC/USDT"]
    ts = candles["ts_ms"].to_numpy()
    close = candles["close"].to_numpy()
    regimes = regime_path(np.random.default_rng(2), MINUTES_PER_YEAR)
    sigma = DEFAULT_ASSETS["BTC/USDT"].annual_volatility / math.sqrt(MINUTES_PER_YEAR)

    def funding() -> object:
        basis = basis_path(
            np.random.default_rng(3), close=close, regime_index=regimes, minute_volatility=sigma
        )
        return funding_settlements(
            ts_ms=ts, basis=basis, mark_close=close * (1 + basis), end_ms=int(ts[-1]) + MINUTE_MS
        )

    report("funding (basis + 1095 settlements), 1 year x 1 asset", best_of(funding))
    basis = market.basis["BTC/USDT"]
    report("mark candles, 1 year x 1 asset", best_of(lambda: mark_candles(candles, basis)))

    day = candles.iloc[:1440]
    report(
        "books, 1 day of 1 s snapshots x 1 asset (86,400 x 20 x 2)",
        best_of(lambda: generate_order_books(day, tick_size=0.01, lot_size=0.00001, interval_s=1)),
    )
    report(
        "books, 1 week of 1 min snapshots x 3 assets (in generate_market)",
        best_of(
            lambda: generate_market(
                SYMBOLS, start_ms=START_MS, minutes=7 * 1440, seed=7, book_interval_s=60
            )
        )
        - best_of(lambda: generate_market(SYMBOLS, start_ms=START_MS, minutes=7 * 1440, seed=7)),
    )

    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.runcall(year)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
