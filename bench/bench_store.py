"""Benchmark of the candle store and resampling against issue 4's targets.

Run with ``.venv/bin/python bench/bench_store.py``. Figures are the best of several
runs (the least disturbed by the rest of the machine); each is printed next to its
target. Nothing is asserted: speed is measured here, never in tests.

Measured:
- appending one year of 1m candles for one symbol (all at once, and the downloader's
  way: pages of 1,000 candles, also onto a year-long file to show why 1m series are
  partitioned by month);
- loading that year into numpy arrays (target < 0.2 s) and into a DataFrame;
- loading one month of it;
- resampling the year to 1h (target < 0.1 s);
- memory of ten symbols x one year of 1m loaded at once (target < 500 MB): the bytes
  of the arrays and the growth of the process's resident set (from /proc/self/statm).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.resample import resample
from quantbot.data.store import CandleStore
from quantbot.data.store_layout import Partitioning, append_rows
from quantbot.data.store_schema import ohlcv_table
from quantbot.data.synthetic import generate_market

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTES_PER_YEAR = 525_600
MONTH_MS = 30 * 86_400_000
PAGE = 1_000
PAGES_TIMED = 200
PAGES_COMPARED = 10
RUNS = 7
SYMBOLS = [f"S{i}/USDT" for i in range(10)]
MB = 1_000_000


def best_of(action: Callable[[], object], runs: int = RUNS) -> float:
    """Seconds of the fastest of ``runs`` calls."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def resident_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def report(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<52} {value:>10}   {target}")


def bench_append(store: CandleStore, year: pd.DataFrame) -> None:
    print("append")
    started = time.perf_counter()
    store.append("binance", SYMBOLS[0], "1m", year)
    report("one year of 1m, one call (12 partitions)", f"{time.perf_counter() - started:.3f} s")
    started = time.perf_counter()
    for page in range(PAGES_TIMED):
        store.append("binance", "PAGED/USDT", "1m", year.iloc[page * PAGE : (page + 1) * PAGE])
    per_page = (time.perf_counter() - started) / PAGES_TIMED
    report(f"a page of {PAGE:,} candles (mean of {PAGES_TIMED})", f"{per_page * 1000:.1f} ms")
    # The partitioning choice: the same pages onto one year-long file instead of months.
    yearly = store.root / "partitioning-comparison"
    append_rows(yearly, ohlcv_table(year, "1m"), keys=("ts_ms",), partitioning=Partitioning.YEAR)
    started = time.perf_counter()
    for page in range(PAGES_COMPARED):
        rows = year.iloc[page * PAGE : (page + 1) * PAGE].assign(close=float(page))
        append_rows(
            yearly, ohlcv_table(rows, "1m"), keys=("ts_ms",), partitioning=Partitioning.YEAR
        )
    per_page = (time.perf_counter() - started) / PAGES_COMPARED
    report("the same page onto a year-long file instead", f"{per_page * 1000:.1f} ms")
    no_op = best_of(lambda: store.append("binance", SYMBOLS[0], "1m", year), 3)
    report("identical re-append of the year (writes nothing)", f"{no_op:.3f} s")


def bench_load(store: CandleStore) -> pd.DataFrame:
    print("load")
    arrays_s = best_of(lambda: store.load_arrays("binance", SYMBOLS[0], "1m"))
    report("one year of 1m into arrays", f"{arrays_s:.3f} s", "target < 0.2 s")
    frame_s = best_of(lambda: store.load("binance", SYMBOLS[0], "1m"))
    report("one year of 1m into a DataFrame", f"{frame_s:.3f} s")
    month_start = START_MS + 5 * MONTH_MS + 12_345 * 60_000
    month_s = best_of(
        lambda: store.load_arrays(
            "binance", SYMBOLS[0], "1m", start_ms=month_start, end_ms=month_start + MONTH_MS
        )
    )
    report("one month (cutting two partitions) into arrays", f"{month_s * 1000:.1f} ms")
    last_s = best_of(lambda: store.last_ts_ms("binance", SYMBOLS[0], "1m"))
    report("last_ts_ms (where a downloader resumes)", f"{last_s * 1000:.2f} ms")
    return store.load("binance", SYMBOLS[0], "1m")


def bench_resample(year: pd.DataFrame) -> None:
    print("resample")
    for target in ("5m", "1h", "1d"):
        seconds = best_of(lambda target=target: resample(year, "1m", target))
        target_text = "target < 0.1 s" if target == "1h" else ""
        report(f"one year of 1m to {target}", f"{seconds:.3f} s", target_text)


def bench_memory(store: CandleStore) -> None:
    """Run :func:`measure_memory` in a fresh interpreter.

    In this process the allocator would hand the loads memory freed by the generator,
    hiding their real footprint.
    """
    print("memory")
    subprocess.run([sys.executable, __file__, "--measure-memory", str(store.root)], check=True)


def measure_memory(store: CandleStore) -> None:
    before = resident_bytes()
    held: list[OhlcvArrays] = [store.load_arrays("binance", s, "1m") for s in SYMBOLS]
    grown = resident_bytes() - before
    array_bytes = sum(getattr(arrays, name).nbytes for arrays in held for name in OHLCV_COLUMNS)
    rows = sum(len(arrays) for arrays in held)
    report(
        f"10 x 1 year of 1m: array bytes ({rows:,} rows)",
        f"{array_bytes / MB:.0f} MB",
        "target < 500 MB",
    )
    report("10 x 1 year of 1m: resident set growth", f"{grown / MB:.0f} MB", "target < 500 MB")


def main() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="quantbot-bench-") as scratch:
        store = CandleStore(Path(scratch) / "market")
        market = generate_market(SYMBOLS, start_ms=START_MS, minutes=MINUTES_PER_YEAR, seed=3)
        bench_append(store, market.candles[SYMBOLS[0]])
        for symbol in SYMBOLS[1:]:
            store.append("binance", symbol, "1m", market.candles[symbol])
        del market  # the memory figure must count only what the store loads
        bench_resample(bench_load(store))
        bench_memory(store)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure-memory"]:
        measure_memory(CandleStore(Path(sys.argv[2])))
    else:
        main()
