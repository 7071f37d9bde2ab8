"""The downloader against the local Binance emulator with unmodified ccxt: pagination,
closed candles only, retries on injected faults, resume after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ccxt
import pandas as pd
import pytest

from quantbot.core.clock import SimulatedClock
from quantbot.data.downloader import Downloader, DownloadError
from quantbot.data.retry import RetryPolicy
from quantbot.data.store import CandleStore

from fixtures.emulator import EMULATOR_NOW_MS, EMULATOR_START_MS, RunningEmulator, binance_client

MINUTE_MS = 60_000
DAY_MS = 86_400_000
SINCE_MS = EMULATOR_START_MS
UNTIL_MS = EMULATOR_START_MS + 2 * DAY_MS  # 2,880 candles: three pages of 1,000


class Sleeps(list[float]):
    """Records the back-off waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_downloader(
    emulator: RunningEmulator, store: CandleStore, sleeps: Sleeps | None = None
) -> Downloader:
    return Downloader(
        binance_client(emulator.base_url),
        exchange_id="binance",
        store=store,
        clock=SimulatedClock(EMULATOR_NOW_MS + DAY_MS),  # the local clock runs a day ahead
        retry=RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=4.0),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def expected_candles(
    emulator: RunningEmulator, symbol: str, start_ms: int, end_ms: int
) -> pd.DataFrame:
    return emulator.state.source.candles(
        symbol, "1m", start_ms=start_ms, end_ms=end_ms
    ).reset_index(drop=True)


def test_paginates_a_range_into_the_store_exactly(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = CandleStore(tmp_path)
    result = make_downloader(emulator, store).download_ohlcv(
        "BTC/USDT", "1m", since_ms=SINCE_MS, until_ms=UNTIL_MS
    )
    stored = store.load("binance", "BTC/USDT", "1m")
    assert result.rows_added == len(stored) == 2 * 1440
    pd.testing.assert_frame_equal(
        stored, expected_candles(emulator, "BTC/USDT", SINCE_MS, UNTIL_MS), check_dtype=False
    )
    assert emulator.control.request_counts()["/api/v3/klines"] == 3


def test_never_stores_the_open_candle_even_when_the_local_clock_runs_ahead(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = CandleStore(tmp_path)
    make_downloader(emulator, store).download_ohlcv(
        "ETH/USDT", "1h", since_ms=EMULATOR_NOW_MS - 3 * DAY_MS
    )
    last_closed_hour = (EMULATOR_NOW_MS // 3_600_000) * 3_600_000 - 3_600_000
    assert store.last_ts_ms("binance", "ETH/USDT", "1h") == last_closed_hour


def test_a_second_run_resumes_and_adds_nothing_new(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = CandleStore(tmp_path)
    downloader = make_downloader(emulator, store)
    downloader.download_ohlcv("SOL/USDT", "1m", since_ms=SINCE_MS, until_ms=SINCE_MS + DAY_MS)
    emulator.control.reset_requests()
    again = downloader.download_ohlcv("SOL/USDT", "1m", since_ms=SINCE_MS, until_ms=UNTIL_MS)
    assert again.resumed_from_ms == SINCE_MS + DAY_MS
    assert again.rows_added == 1440
    assert emulator.control.request_counts()["/api/v3/klines"] == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 429, "retry_after_s": 3, "count": 2},
        {"kind": "status", "status": 418, "retry_after_s": 2, "count": 1},
        {"kind": "status", "status": 500, "count": 2},
        {"kind": "status", "status": 503, "count": 3},
        {"kind": "timeout", "hold_s": 8.0, "count": 1},
        {"kind": "malformed", "count": 2},
        {"kind": "drop", "count": 2},
    ],
    ids=lambda f: f"{f['kind']}-{f.get('status', '')}",
)
def test_transient_faults_are_retried_and_the_store_ends_as_a_clean_run(
    start_emulator, fault: dict[str, object], tmp_path: Path
) -> None:
    emulator = start_emulator()
    emulator.control.add_fault(path="/api/v3/klines", skip=1, **fault)
    sleeps = Sleeps()
    store = CandleStore(tmp_path / "faulty")
    result = make_downloader(emulator, store, sleeps).download_ohlcv(
        "BTC/USDT", "1m", since_ms=SINCE_MS, until_ms=UNTIL_MS
    )
    pd.testing.assert_frame_equal(
        store.load("binance", "BTC/USDT", "1m"),
        expected_candles(emulator, "BTC/USDT", SINCE_MS, UNTIL_MS),
        check_dtype=False,
    )
    assert len(sleeps) == fault["count"]
    assert result.requests > 3
    if "retry_after_s" in fault:
        assert min(sleeps) >= fault["retry_after_s"]


def test_gives_up_after_the_retries_and_keeps_the_complete_pages(
    start_emulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    emulator.control.add_fault(path="/api/v3/klines", kind="status", status=503, skip=1)
    store = CandleStore(tmp_path)
    with pytest.raises(DownloadError, match="gave up after 5 attempts"):
        make_downloader(emulator, store).download_ohlcv(
            "BTC/USDT", "1m", since_ms=SINCE_MS, until_ms=UNTIL_MS
        )
    stored = store.load("binance", "BTC/USDT", "1m")
    pd.testing.assert_frame_equal(
        stored,
        expected_candles(emulator, "BTC/USDT", SINCE_MS, SINCE_MS + 1000 * MINUTE_MS),
        check_dtype=False,
    )


def test_an_unknown_symbol_stops_at_once(emulator: RunningEmulator, tmp_path: Path) -> None:
    sleeps = Sleeps()
    with pytest.raises(DownloadError, match="BadSymbol"):
        make_downloader(emulator, CandleStore(tmp_path), sleeps).download_ohlcv(
            "NOPE/USDT", "1m", since_ms=SINCE_MS
        )
    assert sleeps == []


def test_funding_history_of_a_perpetual(emulator: RunningEmulator, tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    result = make_downloader(emulator, store).download_funding("BTC/USDT:USDT", since_ms=SINCE_MS)
    funding = store.load_funding("binance", "BTC/USDT:USDT")
    expected = emulator.state.source.funding(
        "BTC/USDT:USDT", start_ms=SINCE_MS, end_ms=EMULATOR_NOW_MS
    )
    assert result.rows_added == len(funding) == len(expected) > 20
    assert (
        funding["ts_ms"].iloc[-1] == EMULATOR_START_MS + 9 * DAY_MS
    )  # the last settlement before "now"
    assert (funding["ts_ms"].diff().dropna() == 8 * 3_600_000).all()
    assert funding["funding_rate"].tolist() == pytest.approx(expected["funding_rate"].tolist())


def test_ccxt_itself_rejects_nothing_we_send(emulator: RunningEmulator) -> None:
    """The emulator answers ccxt's market loading, so a failure above is ours, not setup."""
    exchange = binance_client(emulator.base_url)
    try:
        assert "BTC/USDT:USDT" in exchange.load_markets()
    finally:
        exchange.close()
    assert issubclass(ccxt.DDoSProtection, ccxt.OperationFailed)


def test_cli_run_killed_half_way_then_resumed_ends_identical_to_a_clean_run(
    start_emulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    emulator.control.add_fault(path="/api/v3/klines", kind="latency", latency_ms=400)
    arguments = [
        "download",
        "--symbols",
        "BTC/USDT,ETH/USDT",
        "--since",
        "2025-01-01",
        "--until",
        "2025-01-04",
        "--emulator",
        emulator.base_url,
    ]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for directory in (killed, clean):
        directory.mkdir()
    process = _quantbot(arguments, killed, quiet=True)
    store = CandleStore(killed / "data" / "market")
    deadline = time.monotonic() + 60
    while (store.last_ts_ms("binance", "BTC/USDT", "1m") or 0) < SINCE_MS + 1000 * MINUTE_MS:
        assert process.poll() is None, "the download ended before it could be killed"
        assert time.monotonic() < deadline, "the download made no progress"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert store.last_ts_ms("binance", "BTC/USDT", "1m") < SINCE_MS + 3 * DAY_MS - MINUTE_MS

    emulator.control.clear_faults()
    for directory in (killed, clean):
        finished = _quantbot(arguments, directory)
        _, errors = finished.communicate(timeout=120)
        assert finished.returncode == 0, errors
    for symbol in ("BTC/USDT", "ETH/USDT"):
        pd.testing.assert_frame_equal(
            CandleStore(killed / "data" / "market").load("binance", symbol, "1m"),
            CandleStore(clean / "data" / "market").load("binance", symbol, "1m"),
        )
        assert len(CandleStore(clean / "data" / "market").load("binance", symbol, "1m")) == 3 * 1440


def _quantbot(arguments: list[str], cwd: Path, *, quiet: bool = False) -> subprocess.Popen[str]:
    """Start the installed console script; ``quiet`` discards its output (it gets killed)."""
    script = Path(sys.executable).with_name("quantbot")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTBOT_")}
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [str(script), *arguments], cwd=cwd, env=env, stdout=output, stderr=output, text=True
    )
