"""A tour of quantbot's market data, offline: emulator → download → store → resample → checks.

Run it from the repository root with ``.venv/bin/python docs/examples/market_data_tour.py``;
it needs no network and no API keys, and writes only to a temporary directory. The test
suite runs it, so it stays true.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from quantbot.config.settings import DataQualitySettings
from quantbot.core.clock import SimulatedClock, ms_to_datetime
from quantbot.data import CandleStore, Downloader, apply_quality_policy, check_ohlcv, resample
from quantbot.venues import create_exchange
from quantbot.venues.emulator import BackgroundEmulator, EmulatorState, SyntheticSource

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
DAY_MS = 86_400_000


def main() -> None:
    """Walk through the market-data layer on a local emulator."""
    # A Binance-speaking emulator on three days of the seeded synthetic market, with a
    # clock standing at the end of day three: nothing after it exists yet.
    source = SyntheticSource.generate(
        ["BTC/USDT", "BTC/USDT:USDT"], start_ms=START_MS, minutes=3 * 1440
    )
    clock = SimulatedClock(START_MS + 3 * DAY_MS)
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackgroundEmulator(EmulatorState.create(source, clock=clock)) as server,
    ):
        store = CandleStore(Path(tmp) / "market")

        # An unmodified ccxt client, its URLs pointed at the emulator.
        exchange = create_exchange("binance", emulator_url=server.base_url)
        downloader = Downloader(exchange, exchange_id="binance", store=store, clock=clock)
        candles = downloader.download_ohlcv("BTC/USDT", "1m", since_ms=START_MS)
        funding = downloader.download_funding("BTC/USDT:USDT", since_ms=START_MS)
        print(f"downloaded {candles.rows_added} candles in {candles.requests} requests")
        print(f"downloaded {funding.rows_added} funding settlements")

        # A second run resumes after what is stored: nothing new to fetch.
        again = downloader.download_ohlcv("BTC/USDT", "1m", since_ms=START_MS)
        print(f"second run: {again.rows_added} new candles")
        exchange.close()

        # Load a range straight into arrays, or the whole series as a DataFrame.
        day_two = store.load_arrays(
            "binance", "BTC/USDT", "1m", start_ms=START_MS + DAY_MS, end_ms=START_MS + 2 * DAY_MS
        )
        print(f"day two: {len(day_two)} candles, close {day_two.close[-1]:.2f}")
        frame = store.load("binance", "BTC/USDT", "1m")

        # Hourly candles built the way the exchange builds them (closed buckets only).
        hourly = resample(frame, "1m", "1h")
        first = hourly.iloc[0]
        print(
            f"{len(hourly)} hourly candles; first opens {ms_to_datetime(int(first.ts_ms)).isoformat()}"
        )

        # Quality checks, then the load policy the engine applies before trading.
        report = check_ohlcv(frame, "1m")
        print(f"quality: {'ok' if report.ok else 'failed'}, {len(report.findings)} finding(s)")
        usable = apply_quality_policy(
            frame, "1m", DataQualitySettings(), series="binance BTC/USDT 1m"
        )
        assert len(usable) == len(frame) == 3 * 1440


if __name__ == "__main__":
    main()
