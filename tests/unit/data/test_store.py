"""The candle store: what goes in comes out, once, in order, by time range, and safely."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.data.errors import DataFormatError
from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.store import CandleStore, SeriesInfo

MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000
T0 = 1_748_735_400_000  # 2025-05-31T23:50:00Z: ten minutes before a month boundary
JUNE = T0 + 10 * MINUTE


def candles(
    count: int, *, start_ms: int = T0, step_ms: int = MINUTE, price: float = 100.0
) -> pd.DataFrame:
    ts = start_ms + step_ms * np.arange(count, dtype=np.int64)
    close = price + np.arange(count, dtype=np.float64)
    return pd.DataFrame(
        {
            "ts_ms": ts,
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.full(count, 2.5),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "market")


def partition_files(store: CandleStore) -> dict[Path, tuple[int, int]]:
    """Every data file with its inode and modification time: what a rewrite changes."""
    return {
        path: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in store.root.rglob("*.parquet")
    }


# -- round trip ----------------------------------------------------------------------------


def test_appended_candles_load_back_identical(store: CandleStore) -> None:
    data = candles(30)
    assert store.append("binance", "BTC/USDT", "1m", data) == 30
    pd.testing.assert_frame_equal(store.load("binance", "BTC/USDT", "1m"), data)


def test_load_arrays_gives_the_same_candles_as_contiguous_typed_arrays(store: CandleStore) -> None:
    data = candles(30)
    store.append("binance", "BTC/USDT", "1m", data)
    arrays = store.load_arrays("binance", "BTC/USDT", "1m")
    assert isinstance(arrays, OhlcvArrays)
    pd.testing.assert_frame_equal(arrays.to_frame(), data)
    for name in OHLCV_COLUMNS:
        column = getattr(arrays, name)
        assert column.flags.c_contiguous
        assert column.dtype == (np.int64 if name == "ts_ms" else np.float64)


def test_the_store_creates_nothing_until_the_first_append(store: CandleStore) -> None:
    assert store.load("binance", "BTC/USDT", "1m").empty
    assert len(store.load_arrays("binance", "BTC/USDT", "1m")) == 0
    assert store.first_ts_ms("binance", "BTC/USDT", "1m") is None
    assert store.last_ts_ms("binance", "BTC/USDT", "1m") is None
    assert store.series() == []
    assert store.append("binance", "BTC/USDT", "1m", candles(0)) == 0
    assert not store.root.exists()


def test_an_empty_load_still_has_the_ohlcv_columns(store: CandleStore) -> None:
    frame = store.load("binance", "BTC/USDT", "1m")
    assert list(frame.columns) == list(OHLCV_COLUMNS)
    assert frame["ts_ms"].dtype == np.int64


def test_rows_are_stored_sorted_whatever_order_they_come_in(store: CandleStore) -> None:
    data = candles(25)
    store.append("binance", "BTC/USDT", "1m", data.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(store.load("binance", "BTC/USDT", "1m"), data)


def test_columns_may_come_in_any_order_and_prices_as_integers(store: CandleStore) -> None:
    data = candles(3)
    shuffled = data[["close", "volume", "ts_ms", "low", "high", "open"]].astype({"close": np.int64})
    store.append("binance", "BTC/USDT", "1m", shuffled)
    pd.testing.assert_frame_equal(store.load("binance", "BTC/USDT", "1m"), data)


# -- de-duplication ------------------------------------------------------------------------


def test_append_counts_only_open_times_not_stored_before(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(20))
    assert store.append("binance", "BTC/USDT", "1m", candles(30, start_ms=T0 + 10 * MINUTE)) == 20
    assert len(store.load("binance", "BTC/USDT", "1m")) == 40


def test_new_rows_replace_stored_rows_with_the_same_open_time(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(10))
    corrected = candles(3, start_ms=T0 + 8 * MINUTE, price=500.0)
    assert store.append("binance", "BTC/USDT", "1m", corrected) == 1
    loaded = store.load("binance", "BTC/USDT", "1m")
    assert len(loaded) == 11
    assert loaded["close"].tolist()[:8] == candles(8)["close"].tolist()
    assert loaded["close"].tolist()[8:] == [500.0, 501.0, 502.0]


def test_within_one_append_the_later_duplicate_wins(store: CandleStore) -> None:
    first, second = candles(1, price=1.0), candles(1, price=2.0)
    assert store.append("binance", "BTC/USDT", "1m", pd.concat([first, second])) == 1
    assert store.load("binance", "BTC/USDT", "1m")["close"].tolist() == [2.0]


def test_an_identical_reappend_adds_nothing_and_rewrites_no_file(store: CandleStore) -> None:
    data = candles(50)  # spans two monthly partitions
    store.append("binance", "BTC/USDT", "1m", data)
    before = partition_files(store)
    assert len(before) == 2
    assert store.append("binance", "BTC/USDT", "1m", data) == 0
    assert store.append("binance", "BTC/USDT", "1m", data.iloc[5:7]) == 0
    assert partition_files(store) == before


def test_an_append_rewrites_only_the_partitions_it_touches(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(50))
    before = partition_files(store)
    store.append("binance", "BTC/USDT", "1m", candles(5, start_ms=T0 + 50 * MINUTE))
    after = partition_files(store)
    may = store.root / "binance" / "BTC-USDT" / "ohlcv_1m" / "2025-05.parquet"
    june = may.with_name("2025-06.parquet")
    assert after[may] == before[may]
    assert after[june] != before[june]


@settings(max_examples=40)
@given(
    batches=st.lists(
        st.tuples(
            st.lists(st.integers(0, 3 * 1440), min_size=0, max_size=40),
            st.floats(1.0, 1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_store_behaves_like_a_dict_where_the_newest_row_wins(
    tmp_path_factory: pytest.TempPathFactory, batches: list[tuple[list[int], float]]
) -> None:
    store = CandleStore(tmp_path_factory.mktemp("store") / "market")
    model: dict[int, float] = {}
    for offsets, price in batches:
        ts = T0 + MINUTE * np.array(offsets, dtype=np.int64)
        batch = candles(len(offsets), price=price).assign(ts_ms=ts)
        new_keys = set(ts.tolist()) - model.keys()
        assert store.append("binance", "BTC/USDT", "1m", batch) == len(new_keys)
        model.update(zip(ts.tolist(), batch["close"].tolist(), strict=True))
    loaded = store.load("binance", "BTC/USDT", "1m")
    assert loaded["ts_ms"].tolist() == sorted(model)
    assert loaded["close"].tolist() == [model[t] for t in sorted(model)]
    if model:
        assert store.first_ts_ms("binance", "BTC/USDT", "1m") == min(model)
        assert store.last_ts_ms("binance", "BTC/USDT", "1m") == max(model)


# -- loading a time range ------------------------------------------------------------------


def test_a_range_is_start_inclusive_and_end_exclusive(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(30))
    loaded = store.load(
        "binance", "BTC/USDT", "1m", start_ms=T0 + 5 * MINUTE, end_ms=T0 + 25 * MINUTE
    )
    assert loaded["ts_ms"].tolist() == (T0 + MINUTE * np.arange(5, 25)).tolist()
    assert loaded.index.tolist() == list(range(20))


def test_a_range_across_a_partition_boundary_joins_both_sides(store: CandleStore) -> None:
    data = candles(50)
    store.append("binance", "BTC/USDT", "1m", data)
    arrays = store.load_arrays(
        "binance", "BTC/USDT", "1m", start_ms=T0 + 3 * MINUTE, end_ms=T0 + 47 * MINUTE
    )
    pd.testing.assert_frame_equal(arrays.to_frame(), data.iloc[3:47].reset_index(drop=True))


@given(
    start=st.none() | st.integers(-3000, 3000),
    end=st.none() | st.integers(-3000, 3000),
)
def test_every_range_loads_exactly_the_candles_inside_it(
    filled_store: tuple[CandleStore, pd.DataFrame], start: int | None, end: int | None
) -> None:
    store, data = filled_store
    start_ms = None if start is None else T0 + start * MINUTE
    end_ms = None if end is None else T0 + end * MINUTE
    inside = data[
        (data["ts_ms"] >= (start_ms if start_ms is not None else -1))
        & (data["ts_ms"] < (end_ms if end_ms is not None else 2**62))
    ]
    loaded = store.load("binance", "BTC/USDT", "1m", start_ms=start_ms, end_ms=end_ms)
    pd.testing.assert_frame_equal(loaded, inside.reset_index(drop=True))


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[CandleStore, pd.DataFrame]:
    """Two days of 1m candles across a month boundary, with an hour missing."""
    store = CandleStore(tmp_path_factory.mktemp("filled") / "market")
    data = candles(2 * 1440, start_ms=T0 - 1440 * MINUTE)
    data = data.drop(index=range(1500, 1560)).reset_index(drop=True)
    store.append("binance", "BTC/USDT", "1m", data)
    return store, data


def test_first_and_last_open_times_are_the_series_edges(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(50))
    store.append("binance", "BTC/USDT", "1m", candles(5, start_ms=T0 - 90 * DAY))
    assert store.first_ts_ms("binance", "BTC/USDT", "1m") == T0 - 90 * DAY
    assert store.last_ts_ms("binance", "BTC/USDT", "1m") == T0 + 49 * MINUTE


# -- series are kept apart -----------------------------------------------------------------


def test_exchanges_symbols_timeframes_and_kinds_are_separate_series(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(3, price=1.0))
    store.append("bybit", "BTC/USDT", "1m", candles(3, price=2.0))
    store.append("binance", "BTC/USDT:USDT", "1m", candles(3, price=3.0))
    store.append("binance", "BTC/USDT:USDT", "1m", candles(3, price=4.0), kind="mark")
    store.append("binance", "BTC/USDT", "5m", candles(3, step_ms=5 * MINUTE, price=5.0))
    closes = {
        (exchange, symbol, timeframe, kind): store.load(exchange, symbol, timeframe, kind=kind)[
            "close"
        ].iloc[0]
        for exchange, symbol, timeframe, kind in [
            ("binance", "BTC/USDT", "1m", "ohlcv"),
            ("bybit", "BTC/USDT", "1m", "ohlcv"),
            ("binance", "BTC/USDT:USDT", "1m", "ohlcv"),
            ("binance", "BTC/USDT:USDT", "1m", "mark"),
            ("binance", "BTC/USDT", "5m", "ohlcv"),
        ]
    }
    assert sorted(closes.values()) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_series_lists_every_stored_series_with_its_extent(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(50))
    store.append(
        "binance", "ETH/USDT:USDT", "1h", candles(4, start_ms=JUNE, step_ms=HOUR), kind="mark"
    )
    store.append_funding(
        "binance",
        "ETH/USDT:USDT",
        pd.DataFrame({"ts_ms": [T0, T0 + 8 * HOUR], "funding_rate": [1e-4, 2e-4]}),
    )
    store.append_order_books("binance", "BTC/USDT", books(3))
    root = store.root / "binance"
    assert store.series() == [
        SeriesInfo(
            "binance",
            "BTC/USDT",
            "ohlcv",
            "1m",
            50,
            T0,
            T0 + 49 * MINUTE,
            root / "BTC-USDT" / "ohlcv_1m",
        ),
        SeriesInfo(
            "binance",
            "BTC/USDT",
            "orderbook",
            None,
            3,
            T0,
            T0 + 200,
            root / "BTC-USDT" / "orderbook",
        ),
        SeriesInfo(
            "binance",
            "ETH/USDT:USDT",
            "funding",
            None,
            2,
            T0,
            T0 + 8 * HOUR,
            root / "ETH-USDT-PERP" / "funding",
        ),
        SeriesInfo(
            "binance",
            "ETH/USDT:USDT",
            "mark",
            "1h",
            4,
            JUNE,
            JUNE + 3 * HOUR,
            root / "ETH-USDT-PERP" / "mark_1h",
        ),
    ]


def test_series_ignores_directories_and_files_it_did_not_write(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(3))
    (store.root / "binance" / "notes").mkdir()
    (store.root / "binance" / "BTC-USDT" / "backup").mkdir()
    (store.root / "binance" / "BTC-USDT" / "ohlcv_1m" / "README.txt").write_text("x")
    (store.root / "binance" / "BTC-USDT" / "ohlcv_1m" / ".tmp-2025-05.parquet.abc").write_bytes(
        b"torn"
    )
    assert [(s.symbol, s.rows) for s in store.series()] == [("BTC/USDT", 3)]
    assert len(store.load("binance", "BTC/USDT", "1m")) == 3


# -- layout on disk ------------------------------------------------------------------------


def test_files_are_partitioned_by_a_span_that_suits_the_timeframe(store: CandleStore) -> None:
    store.append("binance", "BTC/USDT", "1m", candles(50))
    store.append("binance", "BTC/USDT", "1h", candles(3, start_ms=JUNE - 365 * DAY, step_ms=HOUR))
    store.append("coinbase", "BTC/USD", "1d", candles(2, start_ms=JUNE, step_ms=DAY))
    store.append_funding(
        "binance", "BTC/USDT:USDT", pd.DataFrame({"ts_ms": [T0], "funding_rate": [0.0]})
    )
    store.append_order_books("binance", "BTC/USDT", books(1))
    files = sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*.parquet"))
    assert files == [
        "binance/BTC-USDT-PERP/funding/2025.parquet",
        "binance/BTC-USDT/ohlcv_1h/2024.parquet",
        "binance/BTC-USDT/ohlcv_1m/2025-05.parquet",
        "binance/BTC-USDT/ohlcv_1m/2025-06.parquet",
        "binance/BTC-USDT/orderbook/2025-05-31.parquet",
        "coinbase/BTC-USD/ohlcv_1d/all.parquet",
    ]


def test_weekly_and_monthly_candles_are_stored_on_their_calendar_grid(store: CandleStore) -> None:
    monday = 1_747_612_800_000  # 2025-05-19T00:00:00Z
    store.append("binance", "BTC/USDT", "1w", candles(3, start_ms=monday, step_ms=7 * DAY))
    months = [1_704_067_200_000, 1_706_745_600_000, 1_709_251_200_000]  # 2024-01/02/03-01
    store.append("bitstamp", "BTC/USD", "1M", candles(3).assign(ts_ms=months))
    assert store.load("bitstamp", "BTC/USD", "1M")["ts_ms"].tolist() == months
    with pytest.raises(DataFormatError, match="1w grid"):
        store.append("binance", "BTC/USDT", "1w", candles(1, start_ms=monday + DAY))


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="volume"), "missing \\['volume'\\]"),
        (lambda f: f.assign(extra=1.0), "unexpected \\['extra'\\]"),
        (lambda f: f.assign(close=f["close"].astype(str)), "column close holds"),
        (lambda f: f.assign(volume=True), "column volume holds bool"),
        (lambda f: f.assign(ts_ms=f["ts_ms"].astype(np.float64)), "column ts_ms holds float64"),
        (lambda f: f.assign(ts_ms=f["ts_ms"] + 1_000), "3 candle\\(s\\) not on the 1m grid"),
        (lambda f: f.assign(ts_ms=f["ts_ms"] // 1000), "seconds given"),
        (lambda f: f.assign(ts_ms=pd.array([T0, None, T0], dtype="Int64")), "missing values"),
    ],
)
def test_malformed_candles_are_rejected_and_nothing_is_written(
    store: CandleStore, change, message: str
) -> None:
    with pytest.raises(DataFormatError, match=message):
        store.append("binance", "BTC/USDT", "1m", change(candles(3)))
    assert not store.root.exists()


def test_values_are_stored_as_given_for_the_quality_checks_to_judge(store: CandleStore) -> None:
    data = candles(3)
    data.loc[1, "close"] = np.nan
    data.loc[2, "high"] = 0.0  # inconsistent, but that is what the source said
    store.append("binance", "BTC/USDT", "1m", data)
    pd.testing.assert_frame_equal(store.load("binance", "BTC/USDT", "1m"), data)


@pytest.mark.parametrize(
    ("exchange", "symbol", "message"),
    [
        ("Binance", "BTC/USDT", "exchange id"),
        ("../etc", "BTC/USDT", "exchange id"),
        ("binance", "BTCUSDT", "ccxt symbol"),
        ("binance", "ETH/BTC:ETH", "reads back as 'ETH/BTC:BTC'"),
    ],
)
def test_names_that_cannot_be_directories_are_refused(
    store: CandleStore, exchange: str, symbol: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.append(exchange, symbol, "1m", candles(1))


def test_unknown_timeframes_and_kinds_are_refused(store: CandleStore) -> None:
    with pytest.raises(ValueError, match="timeframe"):
        store.load("binance", "BTC/USDT", "1 minute")
    with pytest.raises(ValueError, match="candle kind"):
        store.append("binance", "BTC/USDT", "1m", candles(1), kind="funding")  # type: ignore[arg-type]


# -- funding and order books ---------------------------------------------------------------


def test_funding_rates_append_deduplicate_and_load_by_range(store: CandleStore) -> None:
    settlements = JUNE + 8 * HOUR * np.arange(6, dtype=np.int64)
    rates = pd.DataFrame(
        {"ts_ms": settlements, "funding_rate": [1e-4, -2e-4, 3e-4, 1e-4, 0.0, 5e-5]}
    )
    assert store.append_funding("binance", "BTC/USDT:USDT", rates.iloc[:4]) == 4
    assert store.append_funding("binance", "BTC/USDT:USDT", rates) == 2
    assert store.append_funding("binance", "BTC/USDT:USDT", rates) == 0
    pd.testing.assert_frame_equal(store.load_funding("binance", "BTC/USDT:USDT"), rates)
    ranged = store.load_funding(
        "binance", "BTC/USDT:USDT", start_ms=int(settlements[1]), end_ms=int(settlements[3])
    )
    assert ranged["ts_ms"].tolist() == settlements[1:3].tolist()


def test_funding_needs_its_two_columns(store: CandleStore) -> None:
    with pytest.raises(DataFormatError, match="funding_rate"):
        store.append_funding(
            "binance", "BTC/USDT:USDT", pd.DataFrame({"ts_ms": [T0], "rate": [0.1]})
        )


def test_no_funding_loads_as_an_empty_typed_frame(store: CandleStore) -> None:
    frame = store.load_funding("binance", "BTC/USDT:USDT")
    assert frame.empty
    assert frame.dtypes.to_dict() == {"ts_ms": np.int64, "funding_rate": np.float64}


def books(count: int, *, start_ms: int = T0, first_id: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts_ms": start_ms + 100 * np.arange(count, dtype=np.int64),
            "update_id": first_id + np.arange(count, dtype=np.int64),
            "bids": [[[100.0 - i, 1.0 + i], [99.0 - i, 2.0]] for i in range(count)],
            "asks": [[[101.0 + i, 0.5]] for i in range(count)],
        }
    )


def test_order_books_round_trip_with_their_levels(store: CandleStore) -> None:
    data = books(5)
    assert store.append_order_books("binance", "BTC/USDT", data) == 5
    loaded = store.load_order_books("binance", "BTC/USDT")
    pd.testing.assert_frame_equal(loaded, data)
    assert loaded["bids"].iloc[2] == [[98.0, 3.0], [97.0, 2.0]]


def test_order_books_are_unique_on_time_and_update_id(store: CandleStore) -> None:
    store.append_order_books("binance", "BTC/USDT", books(3))
    same_time_next_id = books(1, first_id=99)
    assert store.append_order_books("binance", "BTC/USDT", same_time_next_id) == 1
    assert store.append_order_books("binance", "BTC/USDT", books(3)) == 0
    loaded = store.load_order_books("binance", "BTC/USDT")
    assert list(zip(loaded["ts_ms"], loaded["update_id"], strict=True)) == [
        (T0, 1),
        (T0, 99),
        (T0 + 100, 2),
        (T0 + 200, 3),
    ]


def test_order_books_load_by_range(store: CandleStore) -> None:
    store.append_order_books(
        "binance", "BTC/USDT", books(10, start_ms=T0 + 599_500)
    )  # across midnight
    loaded = store.load_order_books(
        "binance", "BTC/USDT", start_ms=T0 + 599_700, end_ms=T0 + 600_200
    )
    assert loaded["update_id"].tolist() == [3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("bids", "message"),
    [
        ([[1.0, 2.0, 3.0]], "price, qty"),
        ([["a", 2.0]], "price, qty"),
        (None, "missing"),
        ([None], "missing"),
        ([[1.0, None]], "missing"),
    ],
)
def test_malformed_book_levels_are_rejected(store: CandleStore, bids: object, message: str) -> None:
    data = books(1)
    data["bids"] = pd.Series([bids], dtype=object)
    with pytest.raises(DataFormatError, match=message):
        store.append_order_books("binance", "BTC/USDT", data)
    assert not store.root.exists()


# -- writers and crashes -------------------------------------------------------------------


def test_concurrent_writers_of_one_series_lose_no_rows(store: CandleStore) -> None:
    pages = [candles(20, start_ms=T0 + 20 * i * MINUTE, price=float(i)) for i in range(12)]
    added: list[int] = []
    start = threading.Barrier(len(pages))

    def write(page: pd.DataFrame) -> None:
        start.wait()
        added.append(store.append("binance", "BTC/USDT", "1m", page))

    threads = [threading.Thread(target=write, args=(page,)) for page in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(added) == 240
    assert len(store.load("binance", "BTC/USDT", "1m")) == 240


CRASH_WRITER = """
import sys
from pathlib import Path
import numpy as np, pandas as pd
from quantbot.data.store import CandleStore
store = CandleStore(Path(sys.argv[1]))
ts = {start} + 60_000 * np.arange(40_000, dtype=np.int64)
versions = [pd.DataFrame({{"ts_ms": ts, **{{c: np.full(len(ts), float(v)) for c in
    ("open", "high", "low", "close", "volume")}}}}) for v in (1, 2)]
print("ready", flush=True)
i = 0
while True:
    store.append("binance", "BTC/USDT", "1m", versions[i % 2])
    i += 1
"""


def test_readers_and_a_killed_writer_never_see_a_partial_file(tmp_path: Path) -> None:
    root = tmp_path / "market"
    script = tmp_path / "writer.py"
    script.write_text(CRASH_WRITER.format(start=JUNE - 20_000 * MINUTE), encoding="utf-8")
    store = CandleStore(root)

    def check() -> None:
        loaded = store.load("binance", "BTC/USDT", "1m")
        for month in (loaded["ts_ms"] < JUNE, loaded["ts_ms"] >= JUNE):
            assert month.sum() in (0, 20_000)
            assert loaded.loc[month, "close"].nunique() <= 1  # each partition one version

    for run in range(3):
        with subprocess.Popen(
            [sys.executable, str(script), str(root)], stdout=subprocess.PIPE
        ) as writer:
            try:
                assert writer.stdout is not None
                assert writer.stdout.readline().strip() == b"ready"
                for _ in range(20 + 10 * run):  # reading while it rewrites both partitions
                    check()
            finally:
                writer.send_signal(signal.SIGKILL)  # at whatever point it has reached
        check()
    store.append("binance", "BTC/USDT", "1m", candles(1))
    assert not list(root.rglob(".tmp-*"))
