"""Loading a backtest's market: funding and mark prices of perpetuals from files, store, generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataError, DataQualityError
from quantbot.data.store import CandleStore
from quantbot.engine.loading import DataPath, from_files, from_store, from_synthetic

from factories import START_MS

PERP = "BTC/USDT:USDT"
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
STRICT = DataQualitySettings()
HOURS = 24
"""A day of 1m candles and 1h marks, with settlements every 8 hours."""


def _candles(period_ms: int, count: int, scale: float = 1.0) -> pd.DataFrame:
    close = 100.0 + np.sin(np.arange(count) / 7.0)
    return pd.DataFrame(
        {
            "ts_ms": START_MS + period_ms * np.arange(count, dtype=np.int64),
            "open": close * scale,
            "high": close * scale + 0.5,
            "low": close * scale - 0.5,
            "close": close * scale,
            "volume": 5.0,
        }
    )


def _settlements(hours: list[int], rate: float = 0.0001) -> pd.DataFrame:
    return pd.DataFrame({"ts_ms": [START_MS + h * HOUR_MS for h in hours], "funding_rate": rate})


def _write(path: Path, frame: pd.DataFrame) -> Path:
    frame.rename(columns={"ts_ms": "timestamp"}).to_csv(path, index=False)
    return path


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A perpetual's 1m candles with its funding and 1h marks beside them, as in ../shared/data."""
    _write(tmp_path / "binance-usdm_BTC-USDT-PERP_1m.csv", _candles(MINUTE_MS, HOURS * 60))
    _write(tmp_path / "binance-usdm_BTC-USDT-PERP_funding.csv", _settlements([0, 8, 16, 24]))
    _write(tmp_path / "binance-usdm_BTC-USDT-PERP_mark_1h.csv", _candles(HOUR_MS, HOURS, 1.001))
    return tmp_path


def test_funding_and_marks_next_to_the_candle_file_are_loaded_with_it(files: Path) -> None:
    market = from_files([files / "binance-usdm_BTC-USDT-PERP_1m.csv"], quality=STRICT)

    data = market.data
    # Settlements after the first open and up to the last close: 8h, 16h and 24h.
    assert data.funding[PERP]["ts_ms"].tolist() == [START_MS + h * HOUR_MS for h in (8, 16, 24)]
    marks = data.marks[PERP]
    np.testing.assert_array_equal(marks.ts_ms, data.arrays[PERP].ts_ms)
    assert marks.close[:59] == pytest.approx(data.arrays[PERP].close[:59])  # no mark closed yet
    assert marks.close[59] == pytest.approx(100.0 * 1.001 + 1.001 * np.sin(0 / 7.0), rel=1e-12)


def test_funding_and_mark_files_given_among_the_paths_are_used_instead(files: Path) -> None:
    (files / "other").mkdir()
    given = _write(
        files / "other" / "binance-usdm_BTC-USDT-PERP_funding.csv", _settlements([8], 0.01)
    )

    market = from_files([files / "binance-usdm_BTC-USDT-PERP_1m.csv", given], quality=STRICT)

    assert market.data.funding[PERP]["funding_rate"].tolist() == [0.01]
    assert PERP not in market.data.marks  # only the files given are read then


def test_funding_file_of_a_symbol_without_candles_is_refused(files: Path) -> None:
    stray = _write(files / "binance-usdm_ETH-USDT-PERP_funding.csv", _settlements([8]))

    with pytest.raises(DataError, match="no candle file of that symbol"):
        from_files([files / "binance-usdm_BTC-USDT-PERP_1m.csv", stray], quality=STRICT)


def test_missing_settlements_are_refused_under_the_error_policy_and_pay_nothing_otherwise(
    files: Path,
) -> None:
    _write(files / "binance-usdm_BTC-USDT-PERP_funding.csv", _settlements([0, 8, 24]))
    candles = [files / "binance-usdm_BTC-USDT-PERP_1m.csv"]

    with pytest.raises(DataQualityError, match="gaps"):
        from_files(candles, quality=STRICT)
    market = from_files(candles, quality=DataQualitySettings(policy="ffill"))

    assert market.data.funding[PERP]["ts_ms"].tolist() == [START_MS + h * HOUR_MS for h in (8, 24)]


def test_spot_candles_get_no_funding_even_with_a_file_beside_them(tmp_path: Path) -> None:
    _write(tmp_path / "binance_BTC-USDT_1m.csv", _candles(MINUTE_MS, 60))
    _write(tmp_path / "binance_BTC-USDT_funding.csv", _settlements([1]))

    market = from_files([tmp_path / "binance_BTC-USDT_1m.csv"], quality=STRICT)

    assert market.data.funding == {}
    assert market.data.marks == {}


def test_files_named_otherwise_load_under_the_symbol_given_with_their_timeframe_read(
    tmp_path: Path,
) -> None:
    spot = _write(tmp_path / "spot.csv", _candles(5 * MINUTE_MS, 288))
    perp = _write(tmp_path / "perp.csv", _candles(5 * MINUTE_MS, 288, 1.001))
    rates = _write(tmp_path / "rates.csv", _settlements([8, 16], 0.0003))

    market = from_files(
        [
            DataPath(spot, "BTC/USDT"),
            DataPath(perp, PERP),
            DataPath(rates, PERP, funding=True),
        ],
        quality=STRICT,
    )

    data = market.data
    assert data.timeframe == "5m"
    assert list(data.arrays) == ["BTC/USDT", PERP]
    assert data.instruments[PERP].is_perpetual
    assert data.funding[PERP]["funding_rate"].tolist() == [0.0003, 0.0003]
    assert market.source == "spot.csv, perp.csv, rates.csv"


def test_a_symbol_the_file_name_contradicts_is_refused(files: Path) -> None:
    candles = files / "binance-usdm_BTC-USDT-PERP_1m.csv"

    with pytest.raises(DataError, match="given as ETH/USDT but the file name says BTC/USDT:USDT"):
        from_files([DataPath(candles, "ETH/USDT")], quality=STRICT)
    with pytest.raises(DataError, match="given as funding rates but it holds ohlcv"):
        from_files([candles, DataPath(candles, PERP, funding=True)], quality=STRICT)


def test_a_file_named_otherwise_needs_a_symbol_and_a_regular_step(tmp_path: Path) -> None:
    unnamed = _write(tmp_path / "candles.csv", _candles(MINUTE_MS, 30))
    odd = _candles(MINUTE_MS, 30)
    odd["ts_ms"] = START_MS + 7_000 * np.arange(30)
    irregular = _write(tmp_path / "odd.csv", odd)

    with pytest.raises(DataError, match="not a market-data file name"):
        from_files([unnamed], quality=STRICT)
    with pytest.raises(DataError, match="7000 ms apart are not of a known timeframe"):
        from_files([DataPath(irregular, "BTC/USDT")], quality=STRICT)


def test_the_store_serves_funding_and_the_best_mark_timeframe(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "market")
    store.append("binance", PERP, "1m", _candles(MINUTE_MS, HOURS * 60))
    store.append("binance", PERP, "1h", _candles(HOUR_MS, HOURS, 1.002), kind="mark")
    store.append("binance", PERP, "4h", _candles(4 * HOUR_MS, HOURS // 4, 0.5), kind="mark")
    store.append_funding("binance", PERP, _settlements([0, 8, 16, 24]))

    market = from_store(store, "binance", [PERP], "1m", quality=STRICT)

    assert len(market.data.funding[PERP]) == 3
    # The 1h marks (the finest coarser series), not the 4h ones.
    assert market.data.marks[PERP].close[59] == pytest.approx(100.0 * 1.002, rel=1e-12)


def test_the_synthetic_perpetual_settles_every_8_hours_and_trades_at_its_mark() -> None:
    market = from_synthetic(["BTC/USDT", PERP], start_ms=START_MS, days=2, seed=4, quality=STRICT)

    data = market.data
    settled = data.funding[PERP]["ts_ms"].to_numpy()
    assert np.all(settled % (8 * HOUR_MS) == 0)
    assert len(settled) == 6  # 8h, 16h, 24h, 32h, 40h, 48h
    assert "BTC/USDT" not in data.funding
    assert PERP not in data.marks  # it trades at its mark: the candles are the marks
    basis = data.arrays[PERP].close / data.arrays["BTC/USDT"].close - 1
    assert 0 < np.abs(basis).max() < 0.01


def _book_file(
    path: Path, snapshots: list[tuple[int, list[list[float]], list[list[float]]]]
) -> Path:
    lines = [
        json.dumps({"timestamp": ts, "update_id": n, "bids": bids, "asks": asks})
        for n, (ts, bids, asks) in enumerate(snapshots)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_order_books_given_among_the_paths_are_loaded_only_then(files: Path) -> None:
    candles = files / "binance-usdm_BTC-USDT-PERP_1m.csv"
    seconds = [10, 30, 70, 100, 400]
    book = _book_file(
        files / "binance-usdm_BTC-USDT-PERP_orderbook.jsonl",
        [(START_MS + s * 1000, [[99.0 + s / 1000, 1.0]], [[101.0, 1.0]]) for s in seconds],
    )

    beside = from_files([candles], quality=STRICT).data
    given = from_files([candles, book], quality=STRICT).data

    assert beside.books == {}  # never picked up unasked: it changes the fill model
    depth = given.books[PERP]
    # Only the last snapshot before each bar open, at most a bar old, is kept.
    assert depth.ts_ms.tolist() == [START_MS + s * 1000 for s in (30, 100, 400)]
    assert depth.snapshots_at(given.ts_ms[:8], MINUTE_MS).tolist() == [-1, 0, 1, -1, -1, -1, -1, 2]
    assert depth.bid_price[:, 0].tolist() == [99.03, 99.1, 99.4]


def test_an_order_book_that_is_not_well_formed_is_refused_naming_its_file(files: Path) -> None:
    book = _book_file(
        files / "binance-usdm_BTC-USDT-PERP_orderbook.jsonl",
        [(START_MS, [[100.2, 1.0]], [[100.1, 1.0]])],
    )

    with pytest.raises(
        DataError, match=r"BTC-USDT-PERP_orderbook.jsonl: book snapshot at ts_ms \d+ is crossed"
    ):
        from_files([files / "binance-usdm_BTC-USDT-PERP_1m.csv", book], quality=STRICT)


def test_an_order_book_of_a_symbol_without_candles_is_refused(files: Path) -> None:
    book = _book_file(
        files / "binance_ETH-USDT_orderbook.jsonl", [(START_MS, [[1.0, 1.0]], [[2.0, 1.0]])]
    )

    with pytest.raises(DataError, match=r"binance_ETH-USDT_orderbook.jsonl: no candle file"):
        from_files([files / "binance-usdm_BTC-USDT-PERP_1m.csv", book], quality=STRICT)


def test_the_stores_order_books_are_loaded_when_asked_for(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "market")
    store.append("binance", PERP, "1m", _candles(MINUTE_MS, 10))
    snapshots = pd.DataFrame(
        {
            "ts_ms": [START_MS + 30_000, START_MS + 90_000],
            "update_id": [1, 2],
            "bids": [[[99.9, 1.0]], [[99.8, 2.0]]],
            "asks": [[[100.1, 1.0]], [[100.2, 2.0]]],
        }
    )
    store.append_order_books("binance", PERP, snapshots)

    plain = from_store(store, "binance", [PERP], "1m", quality=STRICT)
    booked = from_store(store, "binance", [PERP], "1m", quality=STRICT, order_books=True)

    assert plain.data.books == {}
    assert booked.data.books[PERP].snapshots_at(booked.data.ts_ms[:4], MINUTE_MS).tolist() == [
        -1,
        0,
        1,
        -1,
    ]
