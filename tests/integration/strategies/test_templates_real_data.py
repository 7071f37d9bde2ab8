"""The signal templates on real Binance BTC/USDT candles: every decision follows the documented rule.

For ``ema_cross``, ``rsi_reversion`` and ``donchian_breakout`` (with its ATR stop), on
1m and on 15m candles built from the 1m data, the test derives each candle's entry
and exit signals from the rules in the docs and checks that the market orders are
exactly these: an entry at each entry signal while flat, an exit at each exit signal
while long, nothing else — so the trades alternate entry and exit. The stop's fills
sit at their documented level. Never a P&L figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantbot.config.settings import DataQualitySettings
from quantbot.core import OrderType
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.engine.history import CandleHistory
from quantbot.engine.loading import from_files
from quantbot.indicators import atr, crossover, crossunder, donchian, ema, rsi
from quantbot.strategies import Strategy
from quantbot.strategies.donchian_breakout import DonchianBreakout
from quantbot.strategies.ema_cross import EmaCross
from quantbot.strategies.rsi_reversion import RsiReversion
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Recorded

SYMBOL = "BTC/USDT"
START_MS, DAYS = 1_748_736_000_000, 30
"""2025-06-01 UTC, thirty days of the spot 1m file."""

BoolArray = np.ndarray


def _previous(values: np.ndarray) -> np.ndarray:
    shifted = np.full(len(values), np.nan)
    shifted[1:] = values[:-1]
    return shifted


def _ema_cross(candles: OhlcvArrays) -> tuple[BoolArray, BoolArray]:
    fast, slow = ema(candles.close, 9), ema(candles.close, 21)
    return crossover(fast, slow), crossunder(fast, slow)


def _rsi_reversion(candles: OhlcvArrays) -> tuple[BoolArray, BoolArray]:
    strength = rsi(candles.close, 14)
    leave = crossover(strength, 50.0) | crossunder(strength, 30.0)
    return crossover(strength, 30.0) & ~leave, leave


def _donchian(candles: OhlcvArrays) -> tuple[BoolArray, BoolArray]:
    upper = donchian(candles.high, candles.low, 20).upper
    lower = donchian(candles.high, candles.low, 10).lower
    with np.errstate(invalid="ignore"):
        return candles.close > _previous(upper), candles.close < _previous(lower)


CASES: dict[str, tuple[type[Strategy], dict[str, Any], Any]] = {
    "ema_cross": (EmaCross, {}, _ema_cross),
    "rsi_reversion": (RsiReversion, {}, _rsi_reversion),
    "donchian_breakout": (DonchianBreakout, {"atr_stop": 2.0}, _donchian),
}
"""Per template: class, parameters (over the defaults) and its rules written out."""


@pytest.mark.parametrize("timeframe", ["1m", "15m"])
@pytest.mark.parametrize("name", list(CASES))
def test_template_market_orders_are_exactly_its_signals_and_alternate(
    shared_data: Path, name: str, timeframe: str
) -> None:
    data = from_files(
        [shared_data / "binance_BTC-USDT_1m.csv.gz"],
        quality=DataQualitySettings(),
        start_ms=START_MS,
        end_ms=START_MS + DAYS * 86_400_000,
    ).data
    cls, params, rules = CASES[name]
    strategy = Recorded(
        cls(cls.Params.model_validate(params), symbols=[SYMBOL], timeframe=timeframe)
    )
    result = run_backtest(data, [strategy], BacktestConfig(10_000, fill_model=FillModel()))
    history = CandleHistory("1m", data.arrays)
    candles = history.candles(SYMBOL, timeframe)
    decided_at = history.decision_bars(SYMBOL, timeframe)
    enter, leave = rules(candles)
    orders = {o.client_order_id: o for o in strategy.orders}
    fills = result.fills.assign(bar=np.searchsorted(data.ts_ms, result.fills["ts_ms"]))

    expected, held, next_fill = [], False, 0
    fill_bars, fill_sides = fills["bar"].to_numpy(), fills["side"].to_numpy()
    for k in range(strategy.warmup_bars, len(candles)):
        d = int(decided_at[k])
        while next_fill < len(fills) and fill_bars[next_fill] <= d:
            held = fill_sides[next_fill] == "buy"  # every fill opens or closes the whole
            next_fill += 1
        if d + 1 >= len(data.ts_ms):
            break
        if held and leave[k]:
            expected.append((d + 1, "sell"))
        elif not held and enter[k]:
            expected.append((d + 1, "buy"))
    market = fills[[orders[i].order_type is OrderType.MARKET for i in fills["client_order_id"]]]
    assert len(expected) > 10
    assert list(zip(market["bar"], market["side"], strict=True)) == expected
    assert fills["side"].tolist() == ["buy", "sell"] * (len(fills) // 2) + ["buy"] * (
        len(fills) % 2
    )

    stops = fills[[orders[i].order_type is OrderType.STOP for i in fills["client_order_id"]]]
    if name != "donchian_breakout":
        assert stops.empty
        return
    assert len(stops) > 0
    ranges = atr(candles.high, candles.low, candles.close, 14)
    low, open_ = data.arrays[SYMBOL].low, data.arrays[SYMBOL].open
    for index, stop_fill in stops.iterrows():
        entry = fills.loc[index - 1]
        entry_candle = int(np.searchsorted(decided_at, entry["bar"] - 1))
        order = orders[stop_fill["client_order_id"]]
        assert order.stop_price == pytest.approx(
            entry["price"] - 2.0 * ranges[entry_candle], abs=0.01
        )
        assert min(low[stop_fill["bar"]], open_[stop_fill["bar"]]) <= order.stop_price
