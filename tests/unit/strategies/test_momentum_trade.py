"""The momentum trailing stop's rule (tightening steps, never loosened) and the trade record."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import ClientOrderId, Side
from quantbot.strategies.momentum_trade import (
    ExitReason,
    MomentumTrade,
    stop_distance_atr,
    trail_stop,
)

STEPS = ((1.0, 1.2), (2.0, 1.0), (3.0, 0.8))


@pytest.mark.parametrize(
    ("best_r", "atrs"),
    [
        (-0.5, 1.5),
        (0.0, 1.5),
        (1.0, 1.5),  # "once profit > 1R": exactly 1R is not enough
        (1.01, 1.2),
        (2.0, 1.2),
        (2.5, 1.0),
        (3.0, 1.0),
        (3.2, 0.8),
        (10.0, 0.8),
    ],
)
def test_stop_distance_tightens_as_the_best_profit_passes_each_step(
    best_r: float, atrs: float
) -> None:
    assert stop_distance_atr(best_r, 1.5, STEPS) == atrs


def _trail(current: float, *, long: bool, close: float, atr: float, best_r: float) -> float:
    return trail_stop(
        current, long=long, close=close, atr=atr, best_r=best_r, initial_atr=1.5, tightening=STEPS
    )


def test_long_stop_follows_the_close_at_the_distance_of_its_step() -> None:
    assert _trail(98.5, long=True, close=101.0, atr=1.0, best_r=0.7) == 101.0 - 1.5
    assert _trail(99.5, long=True, close=102.0, atr=1.0, best_r=1.3) == pytest.approx(100.8)
    assert _trail(100.8, long=True, close=104.0, atr=2.0, best_r=2.7) == 102.0
    assert _trail(102.0, long=True, close=106.0, atr=2.0, best_r=4.0) == pytest.approx(104.4)


def test_short_stop_follows_the_close_from_above() -> None:
    assert _trail(101.5, long=False, close=99.0, atr=1.0, best_r=0.7) == 100.5
    assert _trail(100.5, long=False, close=97.0, atr=1.0, best_r=2.2) == 98.0


def test_a_stop_never_moves_back_when_price_or_volatility_turns() -> None:
    assert _trail(100.0, long=True, close=99.0, atr=1.0, best_r=1.5) == 100.0
    assert _trail(100.0, long=True, close=101.0, atr=3.0, best_r=1.5) == 100.0
    assert _trail(100.0, long=False, close=101.0, atr=1.0, best_r=1.5) == 100.0


def test_an_unknown_atr_keeps_the_stop() -> None:
    assert _trail(100.0, long=True, close=105.0, atr=math.nan, best_r=3.0) == 100.0


candles = st.lists(
    st.tuples(
        st.floats(50, 200, allow_nan=False),  # close
        st.floats(0.01, 10, allow_nan=False),  # atr
    ),
    min_size=1,
    max_size=60,
)


@given(candles, st.booleans())
def test_over_any_path_the_stop_only_ever_moves_toward_the_price(
    path: list[tuple[float, float]], long: bool
) -> None:
    entry, risk = path[0][0], 1.5 * path[0][1]
    stop = entry - risk if long else entry + risk
    best_r = 0.0
    for close, atr in path:
        best_r = max(best_r, (close - entry if long else entry - close) / risk)
        moved = _trail(stop, long=long, close=close, atr=atr, best_r=best_r)
        assert moved >= stop if long else moved <= stop
        stop = moved


def _trade(side: Side = Side.BUY) -> MomentumTrade:
    return MomentumTrade(
        symbol="BTC/USDT",
        side=side,
        decided_ms=1_000,
        entry_signals={"values": {"rsi": 60.0}, "conditions": {"rsi": True}},
        risk_per_unit=2.0,
        entry_order=ClientOrderId("momentum-1"),
        baseline=(0.0, 0.0, 0.0),
        entry_price=100.0,
    )


def test_profit_is_measured_in_r_in_the_trades_direction() -> None:
    assert _trade(Side.BUY).profit_r(103.0) == 1.5
    assert _trade(Side.SELL).profit_r(103.0) == -1.5


def test_exit_price_is_the_average_of_the_exit_fills() -> None:
    trade = _trade()

    trade.add_exit_fill(1.0, 99.0)
    trade.add_exit_fill(3.0, 95.0)

    assert trade.exit_price == 96.0


def test_trade_record_is_json_ready_with_signals_and_exit_reason() -> None:
    trade = _trade()
    trade.exit_reason = ExitReason.TIME_STOP
    trade.stops.append((2_000, 98.0))

    record = json.loads(json.dumps(trade.record()))

    assert record["exit_reason"] == "time_stop"
    assert record["side"] == "long"
    assert record["entry_signals"]["conditions"] == {"rsi": True}
    assert record["stops"] == [[2_000, 98.0]]
    assert record["exit_price"] is None
