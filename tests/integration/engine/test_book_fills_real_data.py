"""Market orders on Binance's recorded BTC/USDT spot book walk it, level by level.

The 1m candles and the L2 snapshots of ../shared/data are two independent recordings
of one market (2024-08-08 23:54 to 2024-08-09 00:05 UTC). Every taker fill at a bar
open the book covers is checked against the levels read straight from the JSON lines.
Skipped when that folder is absent.
"""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from quantbot.config.settings import DataQualitySettings
from quantbot.core import Side
from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.engine.loading import LoadedMarket, from_files
from quantbot.strategies import Bar, StrategyContext
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Scripted

SYMBOL = "BTC/USDT"
CANDLES = "segments/binance_BTC-USDT_1m_20240726-20240825.csv.gz"
BOOK = "binance_BTC-USDT_orderbook.jsonl.gz"
START_MS = 1_723_161_000_000  # 2024-08-08T23:50:00Z
END_MS = 1_723_162_000_000  # 2024-08-09T00:06:40Z
QTY = 2.0  # BTC: more than the best level holds in most snapshots, less than 20 levels
MODEL = FillModel(maker_fee_pct=0.1, taker_fee_pct=0.1, slippage_pct=0.05, max_volume_share=None)


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> LoadedMarket:
    return from_files(
        [shared_data / CANDLES, shared_data / BOOK],
        quality=DataQualitySettings(),
        start_ms=START_MS,
        end_ms=END_MS,
    )


@pytest.fixture(scope="module")
def snapshots(shared_data: Path) -> list[dict[str, Any]]:
    with gzip.open(shared_data / BOOK, "rt") as lines:
        return [json.loads(line) for line in lines]


def _walk(levels: list[list[float]], qty: float) -> tuple[float, float]:
    """(quantity, average price) of taking ``qty`` from ``levels``, best first."""
    got = cost = 0.0
    for price, size in levels:
        part = min(size, qty - got)
        got, cost = got + part, cost + part * price
        if got >= qty:
            break
    return got, cost / got


def _trade(strategy: Scripted, bar: Bar, ctx: StrategyContext) -> None:
    """Buy on even bars; sell what is held on odd ones."""
    held = ctx.position(SYMBOL).qty
    if bar.index % 2 == 0:
        strategy.place(ctx, SYMBOL, Side.BUY, QTY)
    elif held > 0:
        strategy.place(ctx, SYMBOL, Side.SELL, held)


def test_takers_at_the_opens_the_book_covers_pay_its_levels(
    loaded: LoadedMarket, snapshots: list[dict[str, Any]]
) -> None:
    data = loaded.data
    strategy = Scripted(dict.fromkeys(range(len(data.ts_ms)), _trade))
    result = run_backtest(data, [strategy], BacktestConfig(1_000_000, fill_model=MODEL))
    ordered = {o.client_order_id: o.qty for o in strategy.orders}

    walked = deeper = 0
    for fill in result.fills.itertuples():
        bar_open = int(fill.ts_ms)
        book = [s for s in snapshots if bar_open - 60_000 <= s["timestamp"] <= bar_open]
        if not book:  # outside the recording: the slippage model
            reference = float(data.arrays[SYMBOL].open[list(data.ts_ms).index(bar_open)])
            move = MODEL.slippage_pct / 100 * (1 if fill.side == "buy" else -1)
            assert fill.price == pytest.approx(reference * (1 + move), rel=1e-12)
            continue
        levels = book[-1]["asks"] if fill.side == "buy" else book[-1]["bids"]
        qty, price = _walk(levels, ordered[fill.client_order_id])
        assert fill.qty == pytest.approx(qty, rel=1e-12)
        assert fill.price == pytest.approx(price, rel=1e-12)
        assert fill.liquidity == "taker"
        walked += 1
        deeper += qty > levels[0][1]
    assert walked >= 10  # bar opens 23:55 to 00:06 that had an order
    assert deeper >= 3  # fills that took more than the best level
    assert result.fills["slippage"].ge(0).all()


def test_the_books_coverage_is_logged(shared_data: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="quantbot.engine.loading"):
        from_files(
            [shared_data / CANDLES, shared_data / BOOK],
            quality=DataQualitySettings(),
            start_ms=START_MS,
            end_ms=END_MS,
        )

    [message] = [r.getMessage() for r in caplog.records if "order book" in r.getMessage()]
    # 23:50 to 00:06; the snapshots run from 23:54:15 to 00:05:05, fresh for a minute
    assert "takers at 12 of 17 bar opens walk it" in message
