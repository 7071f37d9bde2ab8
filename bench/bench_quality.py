"""Benchmark of the data-quality checks: one year of 1m candles must check well under 1 s.

Run with ``.venv/bin/python bench/bench_quality.py``. Figures are the best of several
runs (the least disturbed by the rest of the machine). Nothing is asserted: speed is
measured here, never in tests.

Measured on one year of synthetic 1m candles for one symbol (525,600 rows):
- ``check_ohlcv`` on the series as generated (sorted, clean time axis);
- ``check_ohlcv`` on the same rows shuffled, which adds the sort the checks need;
- the ``ffill`` policy repairing the series with 1 % of its candles removed;
- the ``drop`` policy on the series with 1 % of its candles broken.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from quantbot.config.settings import DataQualitySettings
from quantbot.data.quality_checks import check_ohlcv
from quantbot.data.quality_policy import apply_quality_policy
from quantbot.data.synthetic import generate_market

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTES_PER_YEAR = 525_600
RUNS = 5
TARGET_S = 1.0


def best_of(work: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    candles = generate_market(["BTC/USDT"], start_ms=START_MS, minutes=MINUTES_PER_YEAR).candles[
        "BTC/USDT"
    ]
    rng = np.random.default_rng(1)
    shuffled = candles.sample(frac=1.0, random_state=1)
    holes = candles.drop(index=rng.choice(len(candles), len(candles) // 100, replace=False))
    broken = candles.copy()
    broken.loc[rng.choice(len(candles), len(candles) // 100, replace=False), "close"] = np.nan
    ffill, drop = DataQualitySettings(policy="ffill"), DataQualitySettings(policy="drop")
    quiet = logging.getLogger("bench.quality")  # the policies log every repair; not timed here
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    figures = {
        "check_ohlcv, 1 year of 1m": best_of(lambda: check_ohlcv(candles, "1m")),
        "check_ohlcv, same rows shuffled": best_of(lambda: check_ohlcv(shuffled, "1m")),
        "policy ffill, 1 % of candles missing": best_of(
            lambda: apply_quality_policy(holes, "1m", ffill, series="bench", logger=quiet)
        ),
        "policy drop, 1 % of candles broken": best_of(
            lambda: apply_quality_policy(broken, "1m", drop, series="bench", logger=quiet)
        ),
    }
    print(f"{len(candles):,} candles, best of {RUNS} runs; target < {TARGET_S:.1f} s")
    for name, seconds in figures.items():
        print(f"  {name:<40} {seconds:7.3f} s")


if __name__ == "__main__":
    main()
