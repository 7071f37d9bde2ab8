"""write_outputs end to end on a year of 1m bars and on the real BTC/ETH data: sizes, files, figures.

The results come from a small vectorised EMA-crossover (long only, fixed size, fills at
the next bar's open, a fee per side), not from the engine: these tests are about what
analytics make of a result of realistic size and shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from quantbot.analytics import write_outputs
from quantbot.data import generate_market, read_ohlcv_csv
from quantbot.engine.results import FILL_COLUMNS, TRADE_COLUMNS, BacktestResult

YEAR_OF_MINUTES = 525_600
START_MS = 1_704_067_200_000
CAPITAL = 10_000.0
FEE_RATE = 0.001
SIZE = 0.01


def ema_cross_result(candles: Mapping[str, pd.DataFrame], traded: str) -> BacktestResult:
    """EMA 9/21 long-only on ``traded``; decided on a close, filled at the next open."""
    bars = candles[traded]
    ts_ms = bars["ts_ms"].to_numpy(np.int64)
    close = bars["close"].to_numpy(np.float64)
    open_ = bars["open"].to_numpy(np.float64)
    fast = bars["close"].ewm(span=9, adjust=False).mean().to_numpy()
    slow = bars["close"].ewm(span=21, adjust=False).mean().to_numpy()
    held = np.concatenate(([False], (fast > slow)[:-1]))
    change = np.flatnonzero(np.diff(held.astype(np.int8), prepend=0))
    entries, exits = change[held[change]], change[~held[change]]
    notional = SIZE * open_
    flow = np.zeros(len(ts_ms))
    flow[entries] -= notional[entries] * (1 + FEE_RATE)
    flow[exits] += notional[exits] * (1 - FEE_RATE)
    equity = CAPITAL + np.cumsum(flow) + held * SIZE * close
    closed = len(exits)
    is_open = np.arange(len(entries)) >= closed
    exit_ix = np.concatenate((exits, np.full(len(entries) - closed, len(ts_ms) - 1)))
    exit_price = np.where(is_open, close[exit_ix], open_[exit_ix])
    fees = notional[entries] * FEE_RATE + np.where(is_open, 0.0, notional[exit_ix] * FEE_RATE)
    trades = pd.DataFrame(
        {
            "strategy": "ema_cross",
            "symbol": traded,
            "side": "long",
            "size": SIZE,
            "entry_ts_ms": ts_ms[entries],
            "entry_price": open_[entries],
            "exit_ts_ms": ts_ms[exit_ix],
            "exit_price": exit_price,
            "fees": fees,
            "pnl": SIZE * (exit_price - open_[entries]) - fees,
            "is_open": is_open,
        },
        columns=list(TRADE_COLUMNS),
    )
    fill_ix = np.sort(np.concatenate((entries, exits)))
    fills = pd.DataFrame(
        {
            "ts_ms": ts_ms[fill_ix],
            "strategy": "ema_cross",
            "symbol": traded,
            "side": np.where(held[fill_ix], "buy", "sell"),
            "price": open_[fill_ix],
            "qty": SIZE,
            "fee": notional[fill_ix] * FEE_RATE,
            "fee_currency": "USDT",
            "liquidity": "taker",
            "slippage": 0.0,
            "client_order_id": [f"ema_cross-{k}" for k in range(len(fill_ix))],
            "trade_id": [f"t{k}" for k in range(len(fill_ix))],
        },
        columns=list(FILL_COLUMNS),
    )
    return BacktestResult(
        run_id="ema-cross",
        timeframe="1m",
        ts_ms=ts_ms,
        equity=equity,
        strategy_equity={"ema_cross": equity},
        exposure=held * SIZE * close / equity,
        closes={symbol: frame["close"].to_numpy(np.float64) for symbol, frame in candles.items()},
        fills=fills,
        trades=trades,
        initial_capital=CAPITAL,
        quote_currency="USDT",
        bars_processed=len(ts_ms),
        events_processed=len(fill_ix),
        elapsed_s=0.25,
        config={"strategies": {"ema_cross": {"fast": 9, "slow": 21, "order_size": SIZE}}},
    )


@pytest.fixture(scope="module")
def year_result() -> BacktestResult:
    market = generate_market(
        ["BTC/USDT", "ETH/USDT"], start_ms=START_MS, minutes=YEAR_OF_MINUTES, seed=5
    )
    return ema_cross_result(market.candles, "BTC/USDT")


def test_a_year_of_minutes_gives_a_report_of_a_few_mb(
    tmp_path: Path, year_result: BacktestResult
) -> None:
    paths = write_outputs(year_result, tmp_path, title="one year").paths

    report = paths.report.stat().st_size
    plotly_js = len(get_plotlyjs().encode("utf-8"))
    assert report < plotly_js + 1_500_000, "the report's own content exceeds 1.5 MB"
    assert report < 7_000_000


def test_a_year_of_minutes_writes_every_bar_and_every_closed_trade(
    tmp_path: Path, year_result: BacktestResult
) -> None:
    out = write_outputs(year_result, tmp_path, title="one year")

    closed = int((~year_result.trades["is_open"]).sum())
    assert closed > 1_000
    assert len(pd.read_csv(out.paths.equity, usecols=["time"])) == YEAR_OF_MINUTES
    assert len(pd.read_csv(out.paths.trades)) == closed
    assert len(pd.read_csv(out.paths.fills)) == len(year_result.fills)
    summary = json.loads(out.paths.summary.read_text(encoding="utf-8"))
    assert summary["num_trades"] == closed
    assert summary["final_equity"] == year_result.final_equity
    assert summary["bars_processed"] == YEAR_OF_MINUTES
    assert summary["overall"]["days"] == 365
    pnl = year_result.trades["pnl"].sum()
    assert summary["overall"]["total_return_quote"] == pytest.approx(pnl, rel=1e-9)


def test_real_btc_and_eth_minutes_are_benchmarked_against_their_own_prices(
    tmp_path: Path, shared_data: Path
) -> None:
    candles = {
        symbol: read_ohlcv_csv(shared_data / f"binance_{symbol.replace('/', '-')}_1m.csv.gz")
        for symbol in ("BTC/USDT", "ETH/USDT")
    }
    assert candles["BTC/USDT"]["ts_ms"].equals(candles["ETH/USDT"]["ts_ms"])
    result = ema_cross_result(candles, "BTC/USDT")

    out = write_outputs(result, tmp_path, title="real", plotlyjs="directory")

    benchmarks = out.summary["benchmarks"]
    growth = {
        symbol: frame["close"].iloc[-1] / frame["close"].iloc[0]
        for symbol, frame in candles.items()
    }
    assert benchmarks["buy_hold_BTC-USDT"]["final_equity"] == pytest.approx(
        CAPITAL * growth["BTC/USDT"]
    )
    assert benchmarks["buy_hold_ETH-USDT"]["final_equity"] == pytest.approx(
        CAPITAL * growth["ETH/USDT"]
    )
    assert benchmarks["equal_weight"]["final_equity"] == pytest.approx(
        CAPITAL * (growth["BTC/USDT"] + growth["ETH/USDT"]) / 2
    )
    assert (tmp_path / "plotly.min.js").is_file()
    assert out.paths.report.stat().st_size < 1_500_000
    equity = pd.read_csv(out.paths.equity)
    assert equity["equity"].to_numpy().tolist() == result.equity.tolist()
