"""Real Binance data replayed from the candle store through the emulator to unmodified ccxt.

The USD-M BTC perpetual's real 1m candles and funding settlements (``../shared/data``)
go into a temporary store; ccxt must get back exactly those candles, hour candles equal
to Binance's own 1h file (so resampling matches the exchange's), and the settlements
up to the emulator's "now".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantbot.core.clock import SimulatedClock
from quantbot.data.files import read_funding_csv, read_ohlcv_csv
from quantbot.data.store import CandleStore
from quantbot.venues.emulator import StoreSource

from fixtures.emulator import RunningEmulator, StartEmulator, binance_client

SYMBOL = "BTC/USDT:USDT"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def real_minutes(shared_data: Path) -> Any:
    minutes = read_ohlcv_csv(shared_data / "binance-usdm_BTC-USDT-PERP_1m.csv.gz")
    first_day = int(minutes["ts_ms"].iloc[0]) // DAY_MS * DAY_MS + DAY_MS
    return minutes[
        (minutes["ts_ms"] >= first_day) & (minutes["ts_ms"] < first_day + 3 * DAY_MS)
    ].reset_index(drop=True)


@pytest.fixture
def replay(
    tmp_path: Path, shared_data: Path, real_minutes: Any, start_emulator: StartEmulator
) -> tuple[RunningEmulator, Any, Any]:
    store = CandleStore(tmp_path / "market")
    store.append("binance", SYMBOL, "1m", real_minutes)
    funding = read_funding_csv(shared_data / "binance-usdm_BTC-USDT-PERP_funding.csv.gz")
    first, last = int(real_minutes["ts_ms"].iloc[0]), int(real_minutes["ts_ms"].iloc[-1])
    funding = funding[(funding["ts_ms"] >= first) & (funding["ts_ms"] <= last)].reset_index(
        drop=True
    )
    store.append_funding("binance", SYMBOL, funding)
    now_ms = first + 2 * DAY_MS + 10 * HOUR_MS + 15_000
    running = start_emulator(StoreSource(store), clock=SimulatedClock(now_ms))
    exchange = binance_client(running.base_url)
    yield running, exchange, funding
    exchange.close()


def test_markets_list_the_stored_perpetual_with_binance_filters(replay: Any) -> None:
    _, exchange, _ = replay
    markets = exchange.load_markets()
    assert list(markets) == [SYMBOL]
    assert markets[SYMBOL]["precision"]["price"] == 0.1


def test_candles_come_back_exactly_as_stored(replay: Any, real_minutes: Any) -> None:
    _, exchange, _ = replay
    first = int(real_minutes["ts_ms"].iloc[0])
    rows = exchange.fetch_ohlcv(SYMBOL, "1m", since=first, limit=1000)
    got = np.array(rows, dtype=np.float64)
    expected = real_minutes.head(1000).to_numpy(dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_hour_candles_equal_binance_own_hour_candles(
    replay: Any, real_minutes: Any, shared_data: Path
) -> None:
    running, exchange, _ = replay
    first = int(real_minutes["ts_ms"].iloc[0])
    rows = exchange.fetch_ohlcv(SYMBOL, "1h", since=first, limit=1000)
    hours = read_ohlcv_csv(shared_data / "binance-usdm_BTC-USDT-PERP_1h.csv.gz")
    closed = [row for row in rows if row[0] + HOUR_MS <= running.clock.now_ms()]
    assert len(closed) == 2 * 24 + 10
    expected = hours.set_index("ts_ms").loc[[row[0] for row in closed]]
    got = np.array([row[1:] for row in closed])
    np.testing.assert_allclose(
        got[:, :4], expected[["open", "high", "low", "close"]].to_numpy(), atol=1e-9
    )
    np.testing.assert_allclose(got[:, 4], expected["volume"].to_numpy(), rtol=1e-6)


def test_funding_history_stops_at_now(replay: Any) -> None:
    running, exchange, funding = replay
    history = exchange.fetch_funding_rate_history(
        SYMBOL, since=int(funding["ts_ms"].iloc[0]), limit=100
    )
    visible = funding[funding["ts_ms"] <= running.clock.now_ms()]
    assert [h["timestamp"] for h in history] == visible["ts_ms"].tolist()
    assert [h["fundingRate"] for h in history] == pytest.approx(visible["funding_rate"].tolist())
    assert exchange.fetch_funding_rate(SYMBOL)["fundingRate"] == pytest.approx(
        visible["funding_rate"].iloc[-1]
    )
