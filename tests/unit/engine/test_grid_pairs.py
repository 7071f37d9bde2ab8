"""Measuring markets for the grid ranking: which series, which day, volume in USD, the quote."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantbot.config.settings import DataQualitySettings
from quantbot.data.store import CandleStore
from quantbot.engine.grid_pairs import GridPairSurvey, RankedPair, survey_grid_pairs

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
START_MS = 1_735_689_600_000  # 2025-01-01 UTC
QUALITY = DataQualitySettings()


def hourly(
    days: float, *, price: float = 100.0, volume: float = 2.0, seed: int = 1
) -> pd.DataFrame:
    """Hourly candles from START_MS over ``days`` (a fraction leaves the last day open)."""
    count = round(days * 24)
    rng = np.random.default_rng(seed)
    closes = price * np.exp(np.cumsum(rng.normal(0, 0.01, count)))
    opens = np.concatenate(([price], closes[:-1]))
    return pd.DataFrame(
        {
            "timestamp": START_MS + HOUR_MS * np.arange(count, dtype=np.int64),
            "open": opens,
            "high": np.maximum(opens, closes) * 1.001,
            "low": np.minimum(opens, closes) * 0.999,
            "close": closes,
            "volume": np.full(count, volume),
        }
    )


def write(directory: Path, name: str, frame: pd.DataFrame) -> Path:
    path = directory / name
    frame.to_csv(path, index=False)
    return path


def write_books(directory: Path, name: str, books: list[tuple[int, float, float]]) -> Path:
    path = directory / name
    lines = [
        json.dumps({"timestamp": ts, "update_id": i, "bids": [[bid, 1.0]], "asks": [[ask, 1.0]]})
        for i, (ts, bid, ask) in enumerate(books)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def by_symbol(survey: GridPairSurvey) -> dict[str, RankedPair]:
    return {pair.score.symbol: pair for pair in survey.pairs}


def last_day(frame: pd.DataFrame, day_ms: int) -> pd.DataFrame:
    times = frame["timestamp"]
    return frame[(times >= day_ms) & (times < day_ms + DAY_MS)]


def test_each_market_is_measured_on_the_series_reaching_furthest_then_the_finest(
    tmp_path: Path,
) -> None:
    write(tmp_path, "binance_AAA-USDT_1h.csv", hourly(40))
    write(tmp_path, "binance_AAA-USDT_1d.csv", hourly(30).iloc[::24])  # ends sooner
    fine = hourly(40, seed=2)
    coarse = fine.groupby(fine["timestamp"] // (2 * HOUR_MS)).agg(
        timestamp=("timestamp", "first"),
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    write(tmp_path, "binance_BBB-USDT_1h.csv", fine)
    write(tmp_path, "binance_BBB-USDT_2h.csv", coarse)  # ends with the 1h series

    pairs = by_symbol(survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY))

    assert pairs["AAA/USDT"].source.series == "binance_AAA-USDT_1h.csv"
    assert pairs["BBB/USDT"].source.series == "binance_BBB-USDT_1h.csv"
    assert pairs["AAA/USDT"].source.daily_closes == 40


def test_the_last_day_is_the_last_closed_one_and_its_volume_is_in_usd(tmp_path: Path) -> None:
    eth = hourly(40.5, price=2_000.0, volume=3.0)  # the 41st day is still open
    alt = hourly(40, price=0.002, volume=5_000.0, seed=3)
    write(tmp_path, "binance_ETH-USDT_1h.csv", eth)
    write(tmp_path, "binance_ALT-ETH_1h.csv", alt)

    pairs = by_symbol(survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY))

    day_ms = START_MS + 39 * DAY_MS
    assert pairs["ETH/USDT"].source.last_day_ms == day_ms
    day = last_day(eth, day_ms)
    eth_volume = float((day["close"] * day["volume"]).sum())
    assert pairs["ETH/USDT"].score.quote_volume_usd == pytest.approx(eth_volume, rel=1e-12)
    eth_close = float(day["close"].iloc[-1])  # ETH's price at its last closed day
    alt_day = last_day(alt, day_ms)
    alt_volume_eth = float((alt_day["close"] * alt_day["volume"]).sum())
    assert pairs["ALT/ETH"].score.quote_volume_usd == pytest.approx(
        alt_volume_eth * eth_close, rel=1e-12
    )


def test_a_coin_margined_contracts_volume_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "binance-coinm_BTC-USD-PERP_1h.csv", hourly(40))

    (pair,) = survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY).pairs

    assert pair.score.symbol == "BTC/USD:BTC"
    assert pair.score.quote_volume_usd is None
    assert "24h volume unknown" in pair.score.failures


def test_the_quote_is_the_last_book_snapshot_of_the_last_closed_day(tmp_path: Path) -> None:
    write(tmp_path, "binance_AAA-USDT_1h.csv", hourly(40.5))
    day_ms = START_MS + 39 * DAY_MS
    write_books(
        tmp_path,
        "binance_AAA-USDT_orderbook.jsonl",
        [
            (day_ms - 1, 98.0, 102.0),
            (day_ms + 5, 99.0, 101.0),
            (day_ms + 9, 99.5, 100.5),
            (day_ms + DAY_MS + 1, 90.0, 110.0),  # on the day still open: not used
        ],
    )

    (pair,) = survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY).pairs

    assert pair.source.quote_ts_ms == day_ms + 9
    assert pair.score.spread_pct == pytest.approx(1.0 * 100 / 100.0, rel=1e-12)


def test_a_market_without_a_book_that_day_has_no_quote(tmp_path: Path) -> None:
    write(tmp_path, "binance_AAA-USDT_1h.csv", hourly(40))
    write_books(tmp_path, "binance_AAA-USDT_orderbook.jsonl", [(START_MS, 99.0, 101.0)])

    (pair,) = survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY).pairs

    assert pair.source.quote_ts_ms is None
    assert pair.score.spread_pct is None


def test_series_the_quality_policy_refuses_are_left_out_with_the_reason(tmp_path: Path) -> None:
    write(tmp_path, "binance_GAP-USDT_1h.csv", hourly(40).drop(index=[500, 501]))
    write(tmp_path, "binance_OK-USDT_1h.csv", hourly(40))

    refused = survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY)
    repaired = survey_grid_pairs(
        [tmp_path], exchange="binance", quality=DataQualitySettings(policy="ffill")
    )

    assert [p.score.symbol for p in refused.pairs] == ["OK/USDT"]
    ((series, reason),) = refused.left_out
    assert series == "binance_GAP-USDT_1h.csv"
    assert "gaps" in reason
    assert {p.score.symbol for p in repaired.pairs} == {"GAP/USDT", "OK/USDT"}
    assert repaired.left_out == []


def test_other_exchanges_and_series_coarser_than_a_day(tmp_path: Path) -> None:
    write(tmp_path, "binance_AAA-USDT_1h.csv", hourly(40))
    write(tmp_path, "bybit_AAA-USDT_1h.csv", hourly(40))
    write(
        tmp_path,
        "binance-usdm_AAA-USDT-PERP_funding.csv",
        pd.DataFrame({"timestamp": [START_MS], "funding_rate": [0.0001]}),
    )
    weekly = hourly(70).iloc[:: 24 * 7].reset_index(drop=True)
    weekly["timestamp"] = START_MS + 4 * DAY_MS + 7 * DAY_MS * np.arange(len(weekly))  # Mondays
    write(tmp_path, "binance_WK-USDT_1w.csv", weekly)

    survey = survey_grid_pairs([tmp_path], exchange="binance", quality=QUALITY)

    assert [p.score.symbol for p in survey.pairs] == ["AAA/USDT"]
    assert survey.left_out == [("binance_WK-USDT_1w.csv", "1w candles are coarser than a day")]
    assert survey.ignored == 2  # bybit's candles, the funding file


def test_the_store_is_read_like_the_files(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "market")
    frame = hourly(40).rename(columns={"timestamp": "ts_ms"})
    store.append("binance", "AAA/USDT", "1h", frame)
    store.append("kraken", "AAA/USDT", "1h", frame)
    day_ms = START_MS + 39 * DAY_MS
    books = pd.DataFrame(
        {
            "ts_ms": [day_ms + 60_000],
            "update_id": [7],
            "bids": [[[99.0, 1.0]]],
            "asks": [[[101.0, 2.0]]],
        }
    )
    store.append_order_books("binance", "AAA/USDT", books)
    files = tmp_path / "files"
    files.mkdir()
    write(files, "binance_AAA-USDT_1h.csv", hourly(40))
    write_books(files, "binance_AAA-USDT_orderbook.jsonl", [(day_ms + 60_000, 99.0, 101.0)])

    from_store = survey_grid_pairs(store, exchange="binance", quality=QUALITY)
    from_files = survey_grid_pairs([files], exchange="binance", quality=QUALITY)

    (pair,) = from_store.pairs
    assert pair.source.series == "store binance AAA/USDT 1h"
    assert from_store.ignored == 1  # kraken's series
    assert pair.score == from_files.pairs[0].score
