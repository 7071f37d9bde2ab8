"""``ema_cross``: entries on golden crosses, exits on death crosses, its sizing and parameters."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.strategies import EmaCrossParams, create_strategy
from quantbot.venues.simulated import FillModel

from factories import SYMBOL, make_backtest_data

NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)


def _ema(values: np.ndarray, period: int) -> np.ndarray:
    """EMA seeded with the simple average of the first ``period`` values."""
    out = np.full(len(values), np.nan)
    out[period - 1] = values[:period].mean()
    alpha = 2.0 / (period + 1)
    for i in range(period, len(values)):
        out[i] = alpha * values[i] + (1 - alpha) * out[i - 1]
    return out


def test_ema_cross_buys_after_golden_crosses_and_sells_after_death_crosses() -> None:
    data = make_backtest_data(minutes=1440, seed=11)
    candles = data.arrays[SYMBOL]
    fast, slow = _ema(candles.close, 9), _ema(candles.close, 21)
    expected = []
    held = False
    for t in range(21, len(candles) - 1):  # decided at the close of t, filled at t + 1's open
        up = fast[t - 1] < slow[t - 1] and fast[t] > slow[t]
        down = fast[t - 1] > slow[t - 1] and fast[t] < slow[t]
        if (up and not held) or (down and held):
            expected.append(
                (int(candles.ts_ms[t + 1]), "sell" if held else "buy", candles.open[t + 1])
            )
            held = not held
    strategy = create_strategy(
        "ema_cross", {"fast": 9, "slow": 21, "order_size": 0.01}, symbols=[SYMBOL]
    )

    result = run_backtest(data, [strategy], BacktestConfig(100_000, fill_model=NO_COSTS))

    got = list(zip(result.fills["ts_ms"], result.fills["side"], result.fills["price"], strict=True))
    assert len(expected) > 10
    assert [(ts, side) for ts, side, _ in got] == [(ts, side) for ts, side, _ in expected]
    assert [p for *_, p in got] == pytest.approx([p for *_, p in expected], rel=1e-12)
    assert set(result.fills["qty"]) == {0.01}


@pytest.mark.parametrize("params", [{"stake_pct": 10}, {}])  # 10 % is also the default
def test_stake_pct_sizes_an_entry_as_a_share_of_the_strategys_equity(
    params: dict[str, float],
) -> None:
    data = make_backtest_data(minutes=720, seed=11)
    strategy = create_strategy("ema_cross", {"fast": 9, "slow": 21, **params}, symbols=[SYMBOL])

    result = run_backtest(data, [strategy], BacktestConfig(10_000, fill_model=NO_COSTS))

    first = result.fills.iloc[0]
    decided_at = int(np.searchsorted(data.arrays[SYMBOL].ts_ms, first.ts_ms)) - 1
    target = 10_000 * 0.10 / data.arrays[SYMBOL].close[decided_at]
    lot = data.instruments[SYMBOL].lot_size
    assert lot is not None
    assert first.side == "buy"
    assert first.qty <= target
    assert target - first.qty < lot


def test_fixed_order_size_wins_over_stake_pct() -> None:
    data = make_backtest_data(minutes=720, seed=11)
    strategy = create_strategy(
        "ema_cross",
        {"fast": 9, "slow": 21, "order_size": 0.013, "stake_pct": 50},
        symbols=[SYMBOL],
    )

    result = run_backtest(data, [strategy], BacktestConfig(10_000, fill_model=NO_COSTS))

    assert len(result.fills) > 0
    assert result.fills["qty"].tolist() == pytest.approx([0.013] * len(result.fills), rel=1e-12)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fast": 21, "slow": 9, "order_size": 1.0}, "fast 21 must be shorter than slow 9"),
        ({"fast": 9, "slow": 9}, "fast 9 must be shorter than slow 9"),
        ({"order_size": 0.0}, "greater than 0"),
        ({"stake_pct": 150.0}, "less than or equal to 100"),
    ],
)
def test_incoherent_parameters_are_refused_with_the_reason(
    params: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        EmaCrossParams.model_validate(params)
