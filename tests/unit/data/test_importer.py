"""Importing interchange files into the store: every storable kind, idempotent, bad files reported."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from quantbot.data.files import read_funding_csv, read_ohlcv_csv, read_order_book_jsonl
from quantbot.data.importer import ImportResult, import_path
from quantbot.data.store import CandleStore

T0 = 1_747_699_200_000  # 2025-05-20T00:00:00Z
MINUTE = 60_000


def write_ohlcv(path: Path, count: int, *, start_ms: int = T0, step_ms: int = MINUTE) -> Path:
    """Candles whose values follow from their open time, so overlapping files agree."""
    opens = [start_ms + i * step_ms for i in range(count)]
    lines = [
        f"{t},{p},{p + 1},{p - 1},{p + 0.5},{p / 100}" for t in opens for p in [(t - T0) / MINUTE]
    ]
    text = "timestamp,open,high,low,close,volume\n" + "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A directory like ../shared/data: one file of each kind, nested, plus non-data files."""
    root = tmp_path / "incoming"
    (root / "segments").mkdir(parents=True)
    write_ohlcv(root / "binance_BTC-USDT_1m.csv.gz", 90)
    write_ohlcv(
        root / "segments" / "binance_BTC-USDT_1m_20250520-20250521.csv",
        30,
        start_ms=T0 + 60 * MINUTE,
    )
    write_ohlcv(root / "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz", 5, step_ms=60 * MINUTE)
    (root / "binance-usdm_BTC-USDT-PERP_funding.csv").write_text(
        f"timestamp,funding_rate\n{T0},0.0001\n{T0 + 8 * 60 * MINUTE},-0.0002\n", encoding="utf-8"
    )
    book = {"timestamp": T0, "update_id": 5, "bids": [[100.0, 1.0]], "asks": [[100.5, 2.0]]}
    (root / "binance_BTC-USDT_orderbook.jsonl").write_text(
        json.dumps(book) + "\n", encoding="utf-8"
    )
    (root / "binance_BTC-USDT_trades.csv").write_text(
        "timestamp,price,amount,side\n", encoding="utf-8"
    )
    (root / "binance_BTC-USDT_orderbook-updates.jsonl").write_text("", encoding="utf-8")
    (root / "README.md").write_text("# data\n", encoding="utf-8")
    return root


def by_name(results: list[ImportResult]) -> dict[str, ImportResult]:
    return {result.path.name: result for result in results}


def test_a_directory_is_imported_recursively_kind_by_kind(tmp_path: Path, data_dir: Path) -> None:
    store = CandleStore(tmp_path / "market")
    results = by_name(import_path(store, data_dir))
    assert {name: r.status for name, r in results.items()} == {
        "binance_BTC-USDT_1m.csv.gz": "imported",
        "binance_BTC-USDT_1m_20250520-20250521.csv": "imported",
        "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz": "imported",
        "binance-usdm_BTC-USDT-PERP_funding.csv": "imported",
        "binance_BTC-USDT_orderbook.jsonl": "imported",
        "binance_BTC-USDT_trades.csv": "skipped",
        "binance_BTC-USDT_orderbook-updates.jsonl": "skipped",
        "README.md": "skipped",
    }
    # The segment repeats 30 of the main file's minutes: nothing new there.
    segment = results["binance_BTC-USDT_1m_20250520-20250521.csv"]
    assert (segment.rows_read, segment.rows_added) == (30, 0)
    pd.testing.assert_frame_equal(
        store.load("binance", "BTC/USDT", "1m"),
        read_ohlcv_csv(data_dir / "binance_BTC-USDT_1m.csv.gz"),
    )
    pd.testing.assert_frame_equal(
        store.load("binance", "BTC/USDT:USDT", "1h", kind="mark"),
        read_ohlcv_csv(data_dir / "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz"),
    )
    pd.testing.assert_frame_equal(
        store.load_funding("binance", "BTC/USDT:USDT"),
        read_funding_csv(data_dir / "binance-usdm_BTC-USDT-PERP_funding.csv"),
    )
    assert store.load_order_books("binance", "BTC/USDT")["asks"].tolist() == [[[100.5, 2.0]]]


def test_results_describe_each_imported_file(tmp_path: Path, data_dir: Path) -> None:
    results = by_name(import_path(CandleStore(tmp_path / "market"), data_dir))
    mark = results["binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz"]
    assert mark.data_file is not None
    assert (mark.data_file.exchange, mark.data_file.symbol, mark.data_file.kind) == (
        "binance",
        "BTC/USDT:USDT",
        "mark",
    )
    assert (mark.rows_read, mark.rows_added) == (5, 5)
    assert (mark.first_ts_ms, mark.last_ts_ms) == (T0, T0 + 4 * 60 * MINUTE)
    assert mark.reason == ""
    assert "trades are not stored" in results["binance_BTC-USDT_trades.csv"].reason
    assert results["README.md"].data_file is None


def test_importing_twice_adds_nothing_and_rewrites_nothing(tmp_path: Path, data_dir: Path) -> None:
    store = CandleStore(tmp_path / "market")
    import_path(store, data_dir)
    files = {p: p.stat().st_mtime_ns for p in store.root.rglob("*.parquet")}
    again = import_path(store, data_dir)
    assert [r.rows_added for r in again if r.status == "imported"] == [0, 0, 0, 0, 0]
    assert {p: p.stat().st_mtime_ns for p in store.root.rglob("*.parquet")} == files


def test_a_bad_file_fails_alone_and_the_others_are_imported(tmp_path: Path, data_dir: Path) -> None:
    good = (data_dir / "binance_BTC-USDT_1m.csv.gz").read_bytes()
    (data_dir / "binance_ETH-USDT_1m.csv.gz").write_bytes(good[: len(good) // 2])
    write_ohlcv(data_dir / "binance_SOL-USDT_1h.csv", 3, start_ms=T0 + MINUTE, step_ms=60 * MINUTE)
    store = CandleStore(tmp_path / "market")
    results = by_name(import_path(store, data_dir))
    assert results["binance_ETH-USDT_1m.csv.gz"].status == "failed"
    assert "cannot be read" in results["binance_ETH-USDT_1m.csv.gz"].reason
    assert results["binance_SOL-USDT_1h.csv"].status == "failed"
    assert "not on the 1h grid" in results["binance_SOL-USDT_1h.csv"].reason
    assert results["binance_BTC-USDT_1m.csv.gz"].status == "imported"
    assert store.load("binance", "ETH/USDT", "1m").empty
    assert store.load("binance", "SOL/USDT", "1h").empty


def test_a_corrupt_gzip_stream_is_a_failed_file(tmp_path: Path, data_dir: Path) -> None:
    original = bytearray((data_dir / "binance_BTC-USDT_1m.csv.gz").read_bytes())
    original[40:80] = bytes(40)
    bad = data_dir / "binance_ETH-USDT_1m.csv.gz"
    bad.write_bytes(bytes(original))
    [result] = import_path(CandleStore(tmp_path / "market"), bad)
    assert result.status == "failed"
    assert result.reason


def test_a_file_named_explicitly_must_have_a_data_file_name(tmp_path: Path, data_dir: Path) -> None:
    [result] = import_path(CandleStore(tmp_path / "market"), data_dir / "README.md")
    assert result.status == "failed"
    assert "not a market-data file name" in result.reason


def test_a_single_file_can_be_imported(tmp_path: Path, data_dir: Path) -> None:
    store = CandleStore(tmp_path / "market")
    [result] = import_path(store, data_dir / "binance_BTC-USDT_1m.csv.gz")
    assert (result.status, result.rows_added) == ("imported", 90)
    assert store.series()[0].rows == 90


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        import_path(CandleStore(tmp_path / "market"), tmp_path / "nowhere")


def test_progress_is_reported_after_every_file(tmp_path: Path, data_dir: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    import_path(
        CandleStore(tmp_path / "market"),
        data_dir,
        progress=lambda done, total, file: calls.append((done, total, file.name)),
    )
    assert [(done, total) for done, total, _ in calls] == [(i, 8) for i in range(1, 9)]
    assert len({name for _, _, name in calls}) == 8


def test_every_real_file_imports_and_loads_back_as_read(tmp_path: Path, shared_data: Path) -> None:
    store = CandleStore(tmp_path / "market")
    results = import_path(store, shared_data)
    failed = [(r.path.name, r.reason) for r in results if r.status == "failed"]
    assert failed == []
    with (shared_data / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        manifest = {row["file"]: row for row in csv.DictReader(handle)}
    imported = [r for r in results if r.status == "imported"]
    storable = [
        f for f, row in manifest.items() if row["type"] not in ("trades", "orderbook-updates")
    ]
    assert sorted(str(r.path.relative_to(shared_data)) for r in imported) == sorted(storable)
    for result in imported:
        assert result.rows_read == int(manifest[str(result.path.relative_to(shared_data))]["rows"])

    btc = read_ohlcv_csv(shared_data / "binance_BTC-USDT_1m.csv.gz")
    stored = store.load(
        "binance",
        "BTC/USDT",
        "1m",
        start_ms=int(btc["ts_ms"].iloc[0]),
        end_ms=int(btc["ts_ms"].iloc[-1]) + 1,
    )
    pd.testing.assert_frame_equal(stored, btc)
    book = read_order_book_jsonl(shared_data / "binance_BTC-USDT_orderbook.jsonl.gz")
    pd.testing.assert_frame_equal(store.load_order_books("binance", "BTC/USDT"), book)
    assert [
        r.rows_added for r in import_path(store, shared_data / "segments") if r.status == "imported"
    ] == [0] * sum(1 for f in storable if f.startswith("segments/"))


def test_real_segments_merge_into_one_series_per_market(tmp_path: Path, shared_data: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for name in (
        "binance-usdm_BTC-USDT-PERP_1m.csv.gz",
        "segments/binance-usdm_BTC-USDT-PERP_1m_20230718-20230817.csv.gz",
    ):
        shutil.copy(shared_data / name, incoming)
    store = CandleStore(tmp_path / "market")
    results = import_path(store, incoming)
    assert sum(r.rows_added for r in results) == 73_139 + 43_199
    [series] = store.series()
    assert (series.symbol, series.rows) == ("BTC/USDT:USDT", 73_139 + 43_199)
    assert series.first_ts_ms == 1_689_678_780_000  # 2023-07-18T11:13Z, from the segment
    assert series.last_ts_ms == 1_750_761_060_000  # 2025-06-24T10:31Z, from the main file
