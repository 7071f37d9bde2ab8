"""Benchmark of every registered indicator on one year of 1m candles (525,600 bars).

Run with ``.venv/bin/python bench/bench_indicators.py``. Each figure is the best of
several runs after a first call (which pays numba's compile or cache load). Nothing is
asserted: speed is measured here, never in tests. The target is milliseconds per
indicator, so that a strategy's vectorised precompute stays a small share of a
backtest.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from quantbot.data.synthetic import generate_market
from quantbot.indicators import INDICATORS, ema, rsi

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTES_PER_YEAR = 525_600
RUNS = 5


def best_of(work: Callable[[], object]) -> float:
    work()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    market = generate_market(["BTC/USDT", "ETH/USDT"], start_ms=START_MS, minutes=MINUTES_PER_YEAR)
    btc, eth = market.candles["BTC/USDT"], market.candles["ETH/USDT"]
    close = btc["close"].to_numpy()
    series = {name: btc[name].to_numpy() for name in btc.columns}
    series |= {
        "values": close,
        "price": close,
        "reference": eth["close"].to_numpy(),
        "a": ema(close, 9),
        "b": ema(close, 21),
        "oscillator": rsi(close),
    }
    print(f"{len(close):,} bars of 1m candles, best of {RUNS} runs, default parameters")
    total = 0.0
    for name, spec in INDICATORS.items():
        seconds = best_of(lambda spec=spec: spec.compute(series))
        total += seconds
        print(f"  {name:<22} {seconds * 1e3:8.2f} ms   {len(close) / seconds / 1e6:8.1f} M bars/s")
    print(f"  {'all of them':<22} {total * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
