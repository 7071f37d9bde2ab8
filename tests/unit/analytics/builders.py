"""Hand-made backtest results for the analytics tests: bars, equity, trades and fills.

Every builder takes the values that matter to a test and defaults the rest, so a
test states only what it checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from quantbot.engine.results import (
    FILL_COLUMNS,
    RISK_EVENT_COLUMNS,
    TRADE_COLUMNS,
    BacktestResult,
)
from quantbot.risk import RiskEventKind

START_MS = 1_704_067_200_000
"""2024-01-01T00:00:00Z."""
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def bar_times(count: int, *, bar_ms: int = DAY_MS, start_ms: int = START_MS) -> np.ndarray:
    return start_ms + np.arange(count, dtype=np.int64) * bar_ms


def trade(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "strategy": "ema",
        "symbol": "BTC/USDT",
        "side": "long",
        "size": 0.5,
        "entry_ts_ms": START_MS,
        "entry_price": 100.0,
        "exit_ts_ms": START_MS + DAY_MS,
        "exit_price": 110.0,
        "fees": 0.1,
        "pnl": 4.9,
        "is_open": False,
        "funding": 0.0,
    }
    row.update(overrides)
    return row


def fill(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ts_ms": START_MS,
        "strategy": "ema",
        "symbol": "BTC/USDT",
        "side": "buy",
        "price": 100.0,
        "qty": 0.5,
        "fee": 0.05,
        "fee_currency": "USDT",
        "liquidity": "taker",
        "slippage": 0.01,
        "client_order_id": "ema-1",
        "trade_id": "t-1",
    }
    row.update(overrides)
    return row


def risk_event(**overrides: Any) -> dict[str, Any]:
    """A daily circuit break at the start of the second day; ``action`` and
    ``positions_closed`` may be given as values, they are written as JSON text."""
    row: dict[str, Any] = {
        "ts_ms": START_MS + DAY_MS,
        "kind": "DAILY_CIRCUIT_BREAK",
        "value": -3.2,
        "limit": -3.0,
        "level": None,
        "subject": "",
        "action": {
            "cancel_all_orders": True,
            "close_positions": ["close"],
            "stop_opening": ["close", "keep_inventory"],
        },
        "reason": "daily_loss_limit_pct 3 reached: daily P&L -3.20 %",
        "positions_closed": [{"strategy": "ema", "symbol": "BTC/USDT", "qty": 0.5}],
    }
    row.update(overrides)
    for key in ("action", "positions_closed"):
        if not isinstance(row[key], str):
            row[key] = json.dumps(row[key])
    return row


def rejection(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ts_ms": START_MS,
        "strategy": "ema",
        "symbol": "BTC/USDT",
        "side": "buy",
        "qty": 0.5,
        "check": "max_order_size_usd",
        "reason": "max_order_size_usd 500: 0.5 x 1,100 = 550 USDT opened",
    }
    row.update(overrides)
    return row


def risk_events_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(RISK_EVENT_COLUMNS))
    return frame.astype({"ts_ms": "int64", "value": "float64", "limit": "float64"}).astype(
        {"level": "Int64"}
    )


def rejections_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    columns = ["ts_ms", "strategy", "symbol", "side", "qty", "check", "reason"]
    return pd.DataFrame(list(rows), columns=columns).astype({"ts_ms": "int64", "qty": "float64"})


def trades_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(TRADE_COLUMNS))


def fills_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(FILL_COLUMNS))


def make_result(
    equity: Sequence[float] | np.ndarray,
    *,
    initial_capital: float | None = None,
    timeframe: str = "1d",
    bar_ms: int = DAY_MS,
    start_ms: int = START_MS,
    strategy_equity: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    trades: Sequence[Mapping[str, Any]] = (),
    fills: Sequence[Mapping[str, Any]] = (),
    closes: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    exposure: Sequence[float] | np.ndarray | None = None,
    config: Mapping[str, Any] | None = None,
    elapsed_s: float = 0.5,
    risk_events: Sequence[Mapping[str, Any]] = (),
    rejections: Sequence[Mapping[str, Any]] = (),
) -> BacktestResult:
    """A result on ``len(equity)`` bars; the starting capital defaults to the first equity."""
    curve = np.asarray(equity, dtype=np.float64)
    count = len(curve)
    return BacktestResult(
        run_id="run-1",
        timeframe=timeframe,
        ts_ms=bar_times(count, bar_ms=bar_ms, start_ms=start_ms),
        equity=curve,
        strategy_equity={
            name: np.asarray(values, dtype=np.float64)
            for name, values in (strategy_equity or {"ema": curve}).items()
        },
        exposure=np.zeros(count) if exposure is None else np.asarray(exposure, dtype=np.float64),
        closes={
            symbol: np.asarray(values, dtype=np.float64)
            for symbol, values in (closes or {}).items()
        },
        fills=fills_frame(fills),
        trades=trades_frame(trades),
        initial_capital=float(curve[0]) if initial_capital is None else initial_capital,
        quote_currency="USDT",
        bars_processed=count,
        events_processed=len(fills),
        elapsed_s=elapsed_s,
        config=dict(config or {}),
        risk_events=risk_events_frame(risk_events),
        rejections=rejections_frame(rejections),
    )


PRICES = st.floats(1.0, 1e5, allow_nan=False)


@st.composite
def results(draw: st.DrawFn) -> BacktestResult:
    """Any small result: 1 to 80 hourly bars, up to 12 trades (some open), 6 fills, 5 risk
    events of any kind and 5 rejections."""
    bars = draw(st.integers(1, 80))
    equity = draw(st.lists(PRICES, min_size=bars, max_size=bars))
    last_ms = START_MS + (bars - 1) * HOUR_MS
    times = st.integers(START_MS, last_ms)
    trades: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 12))):
        entry, exit_ = sorted((draw(times), draw(times)))
        trades.append(
            trade(
                strategy=draw(st.sampled_from(["a", "b"])),
                entry_ts_ms=entry,
                exit_ts_ms=exit_,
                pnl=draw(st.floats(-1e4, 1e4)),
                size=draw(st.floats(0.001, 10.0)),
                entry_price=draw(PRICES),
                is_open=draw(st.booleans()),
            )
        )
    fills = [
        fill(
            ts_ms=draw(times), strategy=draw(st.sampled_from(["a", "b"])), fee=draw(st.floats(0, 5))
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    events = [
        risk_event(
            ts_ms=draw(times),
            kind=draw(st.sampled_from(list(RiskEventKind))),
            value=draw(st.none() | st.floats(-50.0, 50.0)),
            level=draw(st.none() | st.integers(0, 3)),
            subject=draw(st.sampled_from(["", "BTC/USDT", "binance", "DAILY_CIRCUIT_BREAK"])),
            reason=draw(st.text(max_size=40)),
        )
        for _ in range(draw(st.integers(0, 5)))
    ]
    refused = [
        rejection(
            ts_ms=draw(times),
            strategy=draw(st.sampled_from(["a", "b"])),
            check=draw(st.sampled_from(["max_order_size_usd", "reserve_cash_pct", "lot_size"])),
        )
        for _ in range(draw(st.integers(0, 5)))
    ]
    closes = draw(st.lists(PRICES, min_size=bars, max_size=bars))
    return make_result(
        equity,
        initial_capital=draw(PRICES),
        timeframe="1h",
        bar_ms=HOUR_MS,
        strategy_equity={"a": np.array(equity) / 2, "b": np.array(equity) / 2},
        closes={"BTC/USDT": closes, "ETH/USDT": closes[::-1]},
        trades=trades,
        fills=sorted(fills, key=lambda row: row["ts_ms"]),
        exposure=draw(st.lists(st.floats(0.0, 3.0), min_size=bars, max_size=bars)),
        risk_events=events,
        rejections=refused,
    )
