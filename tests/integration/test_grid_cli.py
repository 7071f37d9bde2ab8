"""``quantbot grid rank`` as a user runs it: on the real candle files and on a candle store
filled from the synthetic market, checked against figures computed here from the same
candles (never against numbers copied from a run)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from quantbot.cli.main import app
from quantbot.data.store import CandleStore
from quantbot.data.synthetic import generate_market
from quantbot.data.universe import format_usd
from quantbot.logs import reset_logging

DAY_MS = 86_400_000
START_MS = 1_735_689_600_000  # 2025-01-01 UTC
SPOT_1H = ("binance_BTC-USDT_1h.csv.gz", "binance_ETH-USDT_1h.csv.gz", "binance_SOL-USDT_1h.csv.gz")


def run(*args: str) -> Result:
    """Run ``quantbot grid ARGS...`` in-process, as the console script would."""
    try:
        return CliRunner().invoke(app, ["grid", *args], env={"COLUMNS": "250"})
    finally:
        # The command set up process-wide logging on the runner's stream, now closed.
        reset_logging()


def table(output: str) -> dict[str, dict[str, str]]:
    """The rows of the printed ranking by symbol, each a dict by column name, plus ``order``."""
    header = next(line for line in output.splitlines() if "┃" in line and "symbol" in line)
    names = [cell.strip() for cell in header.split("┃")[1:-1]]
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == len(names) and cells[0].isdigit():
            rows[cells[1]] = dict(zip(names, cells, strict=True))
    return rows


def daily_closes(candles: pd.DataFrame, period_ms: int) -> tuple[np.ndarray, int]:
    """Closes of the UTC days the candles cover to their end, and the last day's open time."""
    day = candles["ts_ms"] // DAY_MS
    per_day = candles.groupby(day)
    complete = per_day.size() * period_ms == DAY_MS
    last_complete = complete[complete].index.max()
    closes = per_day["close"].last().loc[:last_complete]
    return closes.to_numpy(), int(last_complete * DAY_MS)


def volatility_pct(closes: np.ndarray) -> float:
    returns = np.diff(np.log(closes[-31:]))
    return float(np.std(returns, ddof=1) * math.sqrt(365) * 100)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "settings.yaml").write_text(f"paths: {{data_dir: '{tmp_path / 'data'}'}}\n")
    return directory


def test_help_shows_examples() -> None:
    result = run("rank", "--help")

    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "quantbot grid rank --data ../shared/data" in result.output


def test_ranking_the_real_spot_pairs_measures_each_on_its_own_candles(
    shared_data: Path, config_dir: Path
) -> None:
    paths = [shared_data / name for name in SPOT_1H]
    extra = shared_data / "binance_BTC-USDT_1m.csv.gz"  # ends earlier than the 1h file
    args = [arg for path in [*paths, extra] for arg in ("--data", str(path))]

    result = run("rank", "--config", str(config_dir), *args)

    assert result.exit_code == 0, result.output
    rows = table(result.output)
    assert set(rows) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert f"BTC/USDT: {SPOT_1H[0]}," in result.output  # the series reaching furthest
    for path in paths:
        candles = pd.read_csv(path).rename(columns={"timestamp": "ts_ms"})
        closes, last_day_ms = daily_closes(candles, 3_600_000)
        symbol = path.name.split("_")[1].replace("-", "/")
        row = rows[symbol]
        assert float(row["volatility"].rstrip("%")) == pytest.approx(
            volatility_pct(closes), abs=0.051
        )
        assert row["last day"] == pd.Timestamp(last_day_ms, unit="ms").strftime("%Y-%m-%d")
        day = candles[(candles["ts_ms"] >= last_day_ms) & (candles["ts_ms"] < last_day_ms + DAY_MS)]
        volume = float((day["close"] * day["volume"]).sum())
        assert row["24h volume"] == format_usd(volume)
        assert row["spread"] == "?"  # no book recorded on that day
        eligible = float(row["volatility"].rstrip("%")) > 40 and float(row["hurst"]) < 0.5
        assert (row["verdict"] == "eligible") == eligible
    verdicts = [row["verdict"] == "eligible" for row in rows.values()]
    assert verdicts == sorted(verdicts, reverse=True)  # eligible pairs first


def test_ranking_a_whole_directory_leaves_out_other_exchanges_and_says_so(
    shared_data: Path, config_dir: Path
) -> None:
    result = run("rank", "--config", str(config_dir), "--data", str(shared_data), "--top", "3")

    assert result.exit_code == 0, result.output
    rows = table(result.output)
    assert len(rows) == 3
    assert all("/" in symbol for symbol in rows)
    assert "raise --top" in result.output
    assert "ignored: other exchanges" in result.output


def test_ranking_the_candle_store_uses_its_order_books_for_the_spread(config_dir: Path) -> None:
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    market = generate_market(
        symbols, start_ms=START_MS, minutes=40 * 1440, seed=5, book_interval_s=3600
    )
    store = CandleStore(config_dir.parent / "data" / "market")
    for symbol in symbols:
        store.append("synthetic", symbol, "1m", market.candles[symbol])
    for symbol in ("BTC/USDT", "ETH/USDT"):
        store.append_order_books("synthetic", symbol, market.books[symbol])
    wide = market.candles["SOL/USDT"]["close"].iloc[-1]
    last_ms = int(market.candles["SOL/USDT"]["ts_ms"].iloc[-1])
    store.append_order_books(
        "synthetic",
        "SOL/USDT",
        pd.DataFrame(
            {
                "ts_ms": [last_ms],
                "update_id": [1],
                "bids": [[[wide * 0.99, 1.0]]],
                "asks": [[[wide * 1.01, 1.0]]],
            }
        ),
    )
    store.append("elsewhere", "BTC/USDT", "1m", market.candles["BTC/USDT"])

    result = run("rank", "--config", str(config_dir), "--exchange", "synthetic")

    assert result.exit_code == 0, result.output
    rows = table(result.output)
    assert set(rows) == set(symbols)
    for symbol in ("BTC/USDT", "ETH/USDT"):
        books = market.books[symbol]
        last = books.iloc[-1]  # the data ends at a day's end: its last snapshot is that day's
        bid, ask = last["bids"][0][0], last["asks"][0][0]
        spread = (ask - bid) * 100 / ((ask + bid) / 2)
        shown = rows[symbol]["spread"]
        assert shown == ("<0.0001%" if spread < 0.0001 else f"{spread:.4f}%")
        assert f"{symbol}: store synthetic {symbol} 1m, 40 daily closes" in result.output
    assert "spread 2.000 % > 0.1 %" in rows["SOL/USDT"]["verdict"]
    assert rows["SOL/USDT"]["verdict"] != "eligible"
    assert "1 file(s) or series ignored" in result.output  # the other exchange's


def test_an_empty_store_is_a_domain_error(config_dir: Path) -> None:
    result = run("rank", "--config", str(config_dir))

    assert result.exit_code == 1
    assert "no candles of binance markets" in result.output
