"""Checking many series at once: files in a directory tree, one named file, the store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_quality_checks import HOUR_MS, T0, walk_candles

from quantbot.config.settings import DataQualitySettings
from quantbot.data.quality import QualityCheck
from quantbot.data.quality_scan import SeriesCheck, check_path, check_store
from quantbot.data.store import CandleStore

SETTINGS = DataQualitySettings()


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.rename(columns={"ts_ms": "timestamp"}).to_csv(path, index=False)
    return path


def hourly(n: int = 100) -> pd.DataFrame:
    frame = walk_candles(n, step_ms=HOUR_MS)
    frame["ts_ms"] -= T0 % HOUR_MS
    return frame


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write_csv(root / "binance_BTC-USDT_1m.csv.gz", walk_candles().drop(index=[10]))
    write_csv(root / "segments" / "binance_BTC-USDT_1m_20231114-20231115.csv.gz", walk_candles())
    write_csv(root / "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz", hourly().assign(volume=0.0))
    funding = pd.DataFrame(
        {
            "timestamp": [T0 - T0 % HOUR_MS + i * 8 * HOUR_MS for i in range(30)],
            "funding_rate": 1e-4,
        }
    )
    funding.to_csv(root / "binance-usdm_BTC-USDT-PERP_funding.csv.gz", index=False)
    trades = pd.DataFrame({"timestamp": [T0], "price": [1.0], "amount": [1.0], "side": ["buy"]})
    trades.to_csv(root / "binance_BTC-USDT_trades.csv.gz", index=False)
    (root / "README.md").write_text("not data\n")
    (root / "binance_ETH-USDT_1m.csv.gz").write_bytes(b"\x1f\x8b\x08 truncated gzip")
    return root


def by_name(results: list[SeriesCheck]) -> dict[str, SeriesCheck]:
    return {r.name: r for r in results}


def test_a_directory_is_searched_recursively_and_each_file_gets_a_status(data_dir: Path) -> None:
    results = by_name(check_path(data_dir, SETTINGS))
    assert {name: r.status for name, r in results.items()} == {
        "README.md": "ignored",
        "binance-usdm_BTC-USDT-PERP_funding.csv.gz": "checked",
        "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz": "checked",
        "binance_BTC-USDT_1m.csv.gz": "checked",
        "binance_BTC-USDT_trades.csv.gz": "skipped",
        "binance_ETH-USDT_1m.csv.gz": "failed",
        "segments/binance_BTC-USDT_1m_20231114-20231115.csv.gz": "checked",
    }
    gappy = results["binance_BTC-USDT_1m.csv.gz"].report
    assert gappy is not None
    assert gappy.finding(QualityCheck.GAPS) is not None
    assert not results["binance_BTC-USDT_1m.csv.gz"].ok
    assert results["segments/binance_BTC-USDT_1m_20231114-20231115.csv.gz"].ok
    assert results["binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz"].kind == "mark"
    assert results["binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz"].ok  # no zero-volume error
    assert not results["binance_ETH-USDT_1m.csv.gz"].ok
    assert "trades" in results["binance_BTC-USDT_trades.csv.gz"].reason


def test_a_file_named_explicitly_keeps_its_path_and_fails_if_its_name_is_unknown(
    data_dir: Path,
) -> None:
    named = data_dir / "binance_BTC-USDT_1m.csv.gz"
    [result] = check_path(named, SETTINGS)
    assert (result.name, result.status, result.timeframe) == (str(named), "checked", "1m")
    [unknown] = check_path(data_dir / "README.md", SETTINGS)
    assert unknown.status == "failed"
    with pytest.raises(FileNotFoundError):
        check_path(data_dir / "nothing.csv", SETTINGS)


def test_progress_is_reported_per_file(data_dir: Path) -> None:
    calls: list[tuple[int, int]] = []
    results = check_path(
        data_dir, SETTINGS, progress=lambda done, total, _: calls.append((done, total))
    )
    assert calls == [(i, len(results)) for i in range(1, len(results) + 1)]


def test_every_series_in_the_store_is_checked_and_order_books_are_skipped(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "market")
    store.append("binance", "BTC/USDT", "1m", walk_candles().drop(index=[10, 11]))
    store.append("binance", "BTC/USDT:USDT", "1h", hourly().assign(volume=0.0), kind="mark")
    store.append_funding(
        "binance",
        "BTC/USDT:USDT",
        pd.DataFrame(
            {
                "ts_ms": [T0 - T0 % HOUR_MS + i * 8 * HOUR_MS for i in (0, 1, 3)],
                "funding_rate": 1e-4,
            }
        ),
    )
    store.append_order_books(
        "binance",
        "BTC/USDT",
        pd.DataFrame(
            {"ts_ms": [T0], "update_id": [1], "bids": [[[99.0, 1.0]]], "asks": [[[101.0, 1.0]]]}
        ),
    )
    results = by_name(check_store(store, SETTINGS))
    assert {name: r.status for name, r in results.items()} == {
        "binance BTC/USDT ohlcv 1m": "checked",
        "binance BTC/USDT orderbook": "skipped",
        "binance BTC/USDT:USDT funding": "checked",
        "binance BTC/USDT:USDT mark 1h": "checked",
    }
    candles = results["binance BTC/USDT ohlcv 1m"].report
    funding = results["binance BTC/USDT:USDT funding"].report
    assert candles is not None
    assert funding is not None
    gap = candles.finding(QualityCheck.GAPS)
    assert gap is not None
    assert gap.bars == 2
    funding_gap = funding.finding(QualityCheck.GAPS)
    assert funding_gap is not None
    assert funding_gap.bars == 1
    assert results["binance BTC/USDT:USDT mark 1h"].ok


def test_an_empty_store_has_nothing_to_check(tmp_path: Path) -> None:
    assert check_store(CandleStore(tmp_path / "market"), SETTINGS) == []
