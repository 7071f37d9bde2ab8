"""Market-data file names and readers, on hand-made files and on every real file in ../shared/data."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantbot.data.errors import DataFormatError
from quantbot.data.files import (
    DataFile,
    files_under,
    parse_data_file,
    read_funding_csv,
    read_ohlcv_csv,
    read_order_book_jsonl,
)
from quantbot.data.ohlcv import OHLCV_COLUMNS

T0 = 1_747_699_200_000  # 2025-05-20T00:00:00Z


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("binance_BTC-USDT_1m.csv.gz", ("binance", "BTC/USDT", "ohlcv", "1m")),
        ("binance_ETH-USDT_15m.csv", ("binance", "ETH/USDT", "ohlcv", "15m")),
        ("bitstamp_BTC-USD_1M.csv.gz", ("bitstamp", "BTC/USD", "ohlcv", "1M")),
        (
            "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz",
            ("binance", "BTC/USDT:USDT", "mark", "1h"),
        ),
        (
            "binance-usdm_SOL-USDT-PERP_funding.csv.gz",
            ("binance", "SOL/USDT:USDT", "funding", None),
        ),
        ("binance-coinm_BTC-USD-PERP_trades.csv.gz", ("binance", "BTC/USD:BTC", "trades", None)),
        ("bybit_XRP-USDT-PERP_orderbook.jsonl.gz", ("bybit", "XRP/USDT:USDT", "orderbook", None)),
        (
            "binance_BTC-USDT_orderbook-updates.jsonl.gz",
            ("binance", "BTC/USDT", "orderbook-updates", None),
        ),
        (
            "binance_BTC-USDT_1m_20230316-20230505.csv.gz",
            ("binance", "BTC/USDT", "ohlcv", "1m"),
        ),
        (
            "binance-usdm_BTC-USDT-PERP_orderbook_20200901.jsonl.gz",
            ("binance", "BTC/USDT:USDT", "orderbook", None),
        ),
    ],
)
def test_names_say_exchange_symbol_kind_and_timeframe(
    name: str, expected: tuple[str, str, str, str | None]
) -> None:
    parsed = parse_data_file(Path("some/dir") / name)
    assert (parsed.exchange, parsed.symbol, parsed.kind, parsed.timeframe) == expected
    assert parsed.path == Path("some/dir") / name


@pytest.mark.parametrize(
    "name",
    [
        "README.md",
        "manifest.csv",
        "binance_btc-usdt_1m.csv.gz",
        "binance_BTC-USDT.csv.gz",
        "binance_BTC-USDT_1m.parquet",
        "binance_BTC-USDT_quotes.csv.gz",
        "Binance_BTC-USDT_1m.csv.gz",
        "binance_BTC-USDT_1m_2023.csv.gz",
    ],
)
def test_other_names_are_rejected_with_the_expected_pattern(name: str) -> None:
    with pytest.raises(DataFormatError, match="not a market-data file name"):
        parse_data_file(Path(name))


def test_every_real_file_name_matches_its_manifest_row(shared_data: Path) -> None:
    kinds = {"ohlcv-mark": "mark"}
    with (shared_data / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 80
    for row in rows:
        parsed = parse_data_file(shared_data / row["file"])
        assert parsed.kind == kinds.get(row["type"], row["type"]), row["file"]
        assert parsed.exchange == row["exchange"].split("-")[0], row["file"]
        assert parsed.symbol.replace("/", "-").split(":")[0] in row["symbol"], row["file"]
        if parsed.kind in ("ohlcv", "mark"):
            assert parsed.timeframe == row["timeframe"], row["file"]


def write_csv(path: Path, header: str, lines: list[str]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join([header, *lines]) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_ohlcv_csv_reads_timestamp_as_ts_ms_and_typed_values(tmp_path: Path, suffix: str) -> None:
    path = write_csv(
        tmp_path / f"binance_BTC-USDT_1m{suffix}",
        "timestamp,open,high,low,close,volume",
        [f"{T0},100,101.5,99,100.5,3", f"{T0 + 60_000},100.5,102,100,101,0.25"],
    )
    frame = read_ohlcv_csv(path)
    assert list(frame.columns) == list(OHLCV_COLUMNS)
    assert frame["ts_ms"].dtype == np.int64
    assert all(frame[c].dtype == np.float64 for c in OHLCV_COLUMNS[1:])
    assert frame["ts_ms"].tolist() == [T0, T0 + 60_000]
    assert frame["high"].tolist() == [101.5, 102.0]


def test_ohlcv_csv_column_order_in_the_file_does_not_matter(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x_BTC-USDT_1m.csv",
        "volume,close,low,high,open,timestamp",
        [f"3,100.5,99,101.5,100,{T0}"],
    )
    assert read_ohlcv_csv(path).iloc[0].tolist() == [T0, 100.0, 101.5, 99.0, 100.5, 3.0]


def test_ohlcv_csv_without_a_column_names_it(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x_BTC-USDT_1m.csv", "timestamp,open,high,low,close", [f"{T0},1,1,1,1"]
    )
    with pytest.raises(DataFormatError, match="missing columns \\['volume'\\]"):
        read_ohlcv_csv(path)


def test_ohlcv_csv_with_text_in_a_number_column_is_rejected(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x_BTC-USDT_1m.csv",
        "timestamp,open,high,low,close,volume",
        [f"{T0},1,1,one,1,1"],
    )
    with pytest.raises(DataFormatError, match="non-numeric"):
        read_ohlcv_csv(path)


def test_a_truncated_gzip_is_a_format_error(tmp_path: Path) -> None:
    good = write_csv(
        tmp_path / "good_BTC-USDT_1m.csv.gz",
        "timestamp,open,high,low,close,volume",
        [f"{T0 + 60_000 * i},1,1,1,1,1" for i in range(2000)],
    )
    broken = tmp_path / "x_BTC-USDT_1m.csv.gz"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataFormatError, match="cannot be read as CSV"):
        read_ohlcv_csv(broken)


def test_funding_csv_reads_rates_as_fractions(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "binance-usdm_BTC-USDT-PERP_funding.csv",
        "timestamp,funding_rate",
        [f"{T0},0.0001", f"{T0 + 28_800_000},-0.00025"],
    )
    frame = read_funding_csv(path)
    assert list(frame.columns) == ["ts_ms", "funding_rate"]
    assert frame["funding_rate"].tolist() == [0.0001, -0.00025]
    assert frame["ts_ms"].dtype == np.int64


def test_funding_csv_without_rates_is_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x_BTC-USDT-PERP_funding.csv", "timestamp,rate", [f"{T0},0.1"])
    with pytest.raises(DataFormatError, match="funding_rate"):
        read_funding_csv(path)


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_order_book_lines_become_rows_with_level_lists(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "binance_BTC-USDT_orderbook.jsonl",
        [
            {
                "timestamp": T0,
                "update_id": 7,
                "bids": [[100.0, 1.5], [99.5, 2]],
                "asks": [[100.5, 1]],
            },
            {"timestamp": T0 + 100, "update_id": 8, "bids": [[100.0, 1.0]], "asks": [[100.5, 3]]},
        ],
    )
    frame = read_order_book_jsonl(path)
    assert list(frame.columns) == ["ts_ms", "update_id", "bids", "asks"]
    assert frame["update_id"].tolist() == [7, 8]
    assert frame["bids"].iloc[0] == [[100.0, 1.5], [99.5, 2]]
    assert frame["asks"].iloc[1] == [[100.5, 3]]


def test_order_books_without_sequence_numbers_get_minus_one(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "hyperliquid_BTC-USD-PERP_orderbook.jsonl",
        [{"timestamp": T0, "bids": [[1.0, 1.0]], "asks": [[2.0, 1.0]]}],
    )
    assert read_order_book_jsonl(path)["update_id"].tolist() == [-1]


def test_order_books_without_asks_are_rejected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x_BTC-USDT_orderbook.jsonl", [{"timestamp": T0, "bids": []}])
    with pytest.raises(DataFormatError, match="asks"):
        read_order_book_jsonl(path)


def test_order_book_file_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x_BTC-USDT_orderbook.jsonl"
    path.write_text("timestamp,bids\n1,2\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not JSON lines"):
        read_order_book_jsonl(path)


def test_real_files_read_as_their_manifest_describes(shared_data: Path) -> None:
    with (shared_data / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        manifest = {row["file"]: row for row in csv.DictReader(handle)}
    readers = {
        "binance-usdm_XRP-USDT-PERP_mark_1h.csv.gz": read_ohlcv_csv,
        "bybit_BTC-USDT_1m.csv.gz": read_ohlcv_csv,
        "binance-usdm_XRP-USDT-PERP_funding.csv.gz": read_funding_csv,
        "bybit_XRP-USDT-PERP_orderbook.jsonl.gz": read_order_book_jsonl,
    }
    for name, reader in readers.items():
        frame: pd.DataFrame = reader(shared_data / name)
        row = manifest[name]
        assert len(frame) == int(row["rows"]), name
        assert frame["ts_ms"].iloc[0] == int(row["first_ms"]), name
        assert frame["ts_ms"].iloc[-1] == int(row["last_ms"]), name


def test_data_file_is_a_frozen_value() -> None:
    parsed = parse_data_file(Path("binance_BTC-USDT_1m.csv.gz"))
    assert parsed == DataFile(
        Path("binance_BTC-USDT_1m.csv.gz"), "binance", "BTC/USDT", "ohlcv", "1m"
    )
    with pytest.raises(AttributeError):
        parsed.kind = "mark"  # type: ignore[misc]


def test_files_under_lists_a_file_or_a_tree_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/z.csv", "a.csv", "b/c.csv"):
        (tmp_path / name).write_text("x")
    assert files_under(tmp_path) == [
        tmp_path / "a.csv",
        tmp_path / "b" / "c.csv",
        tmp_path / "b" / "z.csv",
    ]
    assert files_under(tmp_path / "a.csv") == [tmp_path / "a.csv"]
    with pytest.raises(FileNotFoundError):
        files_under(tmp_path / "missing")
