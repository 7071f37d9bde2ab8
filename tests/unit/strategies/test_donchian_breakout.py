"""``donchian_breakout`` on hand-crafted candles: breakout entry, channel exit, ATR stop.

Until the entry every candle spans exactly 2.0 and contains the previous close, so
each true range is 2.0 and so is the ATR, whatever its smoothing.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from quantbot.core import OrderType
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.results import BacktestResult
from quantbot.strategies.donchian_breakout import DonchianBreakout, DonchianBreakoutParams
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Recorded

from factories import SYMBOL, make_instrument, make_ohlcv

NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)
ENTRY = 10
Row = tuple[float, float, float, float, float]


def _candles(bars: list[tuple[float, float]], *, first_open: float = 100.0) -> list[Row]:
    """Candles from (low, close): high = low + 2, open = the previous close."""
    rows, previous = [], first_open
    for low, close in bars:
        rows.append((previous, low + 2.0, low, close, 1e6))
        previous = close
    return rows


RANGE = [(99.0, 100.2 if i % 2 else 99.8) for i in range(15)]
"""Fifteen candles between 99 and 101."""
BREAKOUT = (99.5, 101.4)
"""Closes above 101, the highest high of the ten candles before it."""


def _run(rows: list[Row], **params: float) -> tuple[BacktestResult, Recorded, BacktestData]:
    data = BacktestData(
        "1m",
        {SYMBOL: make_ohlcv(rows)},
        {SYMBOL: make_instrument(tick_size=None, lot_size=None)},
    )
    strategy = Recorded(
        DonchianBreakout(
            DonchianBreakoutParams.model_validate(
                {"entry_period": ENTRY, "order_size": 1.0, **params}
            ),
            symbols=[SYMBOL],
        )
    )
    result = run_backtest(data, [strategy], BacktestConfig(100_000, fill_model=NO_COSTS))
    return result, strategy, data


def _expected(rows: list[Row], entry: int, exit_: int) -> list[tuple[int, str, float]]:
    """Market orders by the rules: close above the previous ``entry`` highs / below ``exit_`` lows."""
    opens, highs, lows, closes = (np.array([r[i] for r in rows]) for i in range(4))
    expected, held = [], False
    for t in range(max(entry, exit_), len(rows) - 1):
        if held and closes[t] < lows[t - exit_ : t].min():
            expected.append((t + 1, "sell", opens[t + 1]))
            held = False
        elif not held and closes[t] > highs[t - entry : t].max():
            expected.append((t + 1, "buy", opens[t + 1]))
            held = True
    return expected


def _assert_fills(
    result: BacktestResult, data: BacktestData, expected: list[tuple[int, str, float]]
) -> None:
    """The fills are ``expected``: (bar, side) exactly, prices to float precision."""
    got = [(int(np.searchsorted(data.ts_ms, f.ts_ms)), f.side) for f in result.fills.itertuples()]
    assert got == [(bar, side) for bar, side, _ in expected]
    assert result.fills["price"].tolist() == pytest.approx([p for *_, p in expected], rel=1e-12)


# After the breakout: a climb, then a close under the five lows before it (half of ten:
# the default exit channel) though not under the ten lows before it.
CHANNEL_EXIT = [
    *RANGE,
    BREAKOUT,
    (100.6, 102.4),
    (101.2, 103.0),
    (101.0, 101.5),
    (100.5, 100.8),
    (100.2, 100.5),
    (99.7, 99.9),
    *[(99.0, 100.0)] * 5,
]


def test_a_close_above_the_previous_highs_enters_and_one_below_the_previous_lows_exits() -> None:
    rows = _candles(CHANNEL_EXIT)
    expected = _expected(rows, ENTRY, ENTRY // 2)
    assert [side for _, side, _ in expected] == ["buy", "sell"]
    assert _expected(rows, ENTRY, ENTRY) == expected[:1]  # the ten-candle low holds

    result, strategy, data = _run(rows, atr_stop=1.5)

    _assert_fills(result, data, expected)
    (stop,) = [o for o in strategy.orders if o.order_type is OrderType.STOP]
    assert stop.stop_price == pytest.approx(101.4 - 1.5 * 2.0)
    assert stop.reduce_only
    assert not stop.is_open  # the channel exit canceled it
    assert stop.filled_qty == 0


def test_a_longer_exit_period_keeps_the_position_through_a_shallow_dip() -> None:
    rows = _candles(CHANNEL_EXIT)

    result, _, data = _run(rows, exit_period=ENTRY)

    _assert_fills(result, data, _expected(rows, ENTRY, ENTRY))
    assert result.fills["side"].tolist() == ["buy"]


def test_the_atr_stop_sells_at_its_level_below_the_entry() -> None:
    rows = _candles([*RANGE, BREAKOUT, (100.6, 101.0)])
    rows.append((101.0, 101.2, 98.0, 98.6, 1e6))  # falls through the stop
    rows += _candles([(97.8, 98.5)] * 5, first_open=98.6)
    entry_price = rows[len(RANGE) + 1][0]
    stop = entry_price - 1.5 * 2.0  # the ATR at the breakout candle is 2.0

    result, _, data = _run(rows, atr_stop=1.5, atr_period=5)

    _assert_fills(
        result, data, [(len(RANGE) + 1, "buy", entry_price), (len(RANGE) + 2, "sell", stop)]
    )
    assert result.fills["liquidity"].tolist() == ["taker", "taker"]


@pytest.mark.parametrize(
    ("params", "exit_candles"), [({"entry_period": 20}, 10), ({"entry_period": 3}, 2)]
)
def test_the_exit_channel_defaults_to_half_the_entry_channel(
    params: dict[str, int], exit_candles: int
) -> None:
    assert DonchianBreakoutParams.model_validate(params).exit_candles == exit_candles


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"entry_period": 1}, "greater than or equal to 2"),
        ({"exit_period": 1}, "greater than or equal to 2"),
        ({"atr_stop": 0}, "greater than 0"),
        ({"stake_pct": 101}, "less than or equal to 100"),
    ],
)
def test_incoherent_parameters_are_refused_with_the_reason(
    params: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        DonchianBreakoutParams.model_validate(params)
