"""``rsi_reversion`` on a hand-crafted path: entry leaving oversold, both exits, the jump rule."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.strategies.rsi_reversion import RsiReversion, RsiReversionParams
from quantbot.venues.simulated import FillModel

from factories import SYMBOL, make_instrument, make_ohlcv

NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)
PERIOD = 5


def _closes() -> np.ndarray:
    """Chop, a slide into oversold, a bounce that fails, one that works, a one-candle jump."""
    moves = [
        *[0.5, -0.3] * 5,
        *[-1.0] * 8,
        1.5,
        1.0,
        *[-1.2] * 3,
        *[1.5] * 4,
        *[0.2, -0.2] * 3,
        *[-1.0] * 7,
        9.0,
        *[0.2, -0.2] * 3,
    ]
    return 100.0 + np.concatenate([[0.0], np.cumsum(moves)])


def _wilder_rsi(close: np.ndarray, period: int) -> np.ndarray:
    """RSI seeded with the plain average of the first ``period`` gains and losses."""
    change = np.diff(close)
    gain, loss = np.clip(change, 0, None), np.clip(-change, 0, None)
    out = np.full(len(close), np.nan)
    avg_gain, avg_loss = gain[:period].mean(), loss[:period].mean()
    out[period] = 100 * avg_gain / (avg_gain + avg_loss)
    for i in range(period + 1, len(close)):
        avg_gain = (avg_gain * (period - 1) + gain[i - 1]) / period
        avg_loss = (avg_loss * (period - 1) + loss[i - 1]) / period
        out[i] = 100 * avg_gain / (avg_gain + avg_loss)
    return out


def _crossings(series: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Strict upward and downward crossings of ``level``, per bar (never on bar 0)."""
    before, now = series[:-1], series[1:]
    up = np.concatenate([[False], (before < level) & (now > level)])
    down = np.concatenate([[False], (before > level) & (now < level)])
    return up, down


def _data(closes: np.ndarray) -> BacktestData:
    opens = np.concatenate([[closes[0]], closes[:-1]])
    rows = [(o, max(o, c), min(o, c), c, 1e6) for o, c in zip(opens, closes, strict=True)]
    return BacktestData(
        "1m",
        {SYMBOL: make_ohlcv(rows)},
        {SYMBOL: make_instrument(tick_size=None, lot_size=None)},
    )


def test_rsi_reversion_enters_leaving_oversold_and_exits_at_the_level_or_back_below() -> None:
    closes = _closes()
    strength = _wilder_rsi(closes, PERIOD)
    (leaves_oversold, falls_back), (reaches_exit, _) = (
        _crossings(strength, 30),
        _crossings(strength, 50),
    )
    leave = reaches_exit | falls_back
    enter = leaves_oversold & ~leave
    expected, held = [], False
    for t in range(len(closes) - 1):  # decided at the close of t, filled at the open of t + 1
        if (leave[t] and held) or (enter[t] and not held):
            expected.append((t + 1, "sell" if held else "buy", closes[t]))
            held = not held
    jumps = leaves_oversold & reaches_exit
    assert [side for _, side, _ in expected] == ["buy", "sell", "buy", "sell"]
    assert jumps.sum() == 1  # the path holds a case of every rule
    assert falls_back.any()
    strategy = RsiReversion(RsiReversionParams(period=PERIOD, order_size=1.0), symbols=[SYMBOL])
    data = _data(closes)

    result = run_backtest(data, [strategy], BacktestConfig(100_000, fill_model=NO_COSTS))

    got = [
        (int(np.searchsorted(data.ts_ms, f.ts_ms)), f.side, f.price)
        for f in result.fills.itertuples()
    ]
    assert [(bar, side) for bar, side, _ in got] == [(bar, side) for bar, side, _ in expected]
    assert [p for *_, p in got] == pytest.approx([p for *_, p in expected], rel=1e-12)


def test_stake_pct_sizes_an_entry_as_a_share_of_the_strategys_equity() -> None:
    data = _data(_closes())
    strategy = RsiReversion(RsiReversionParams(period=PERIOD, stake_pct=20), symbols=[SYMBOL])

    result = run_backtest(data, [strategy], BacktestConfig(10_000, fill_model=NO_COSTS))

    first = result.fills.iloc[0]
    decided_at = int(np.searchsorted(data.ts_ms, first.ts_ms)) - 1
    assert first.side == "buy"
    assert first.qty == pytest.approx(10_000 * 0.20 / data.arrays[SYMBOL].close[decided_at])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"oversold": 50, "exit_level": 50}, "oversold 50 must be below exit_level 50"),
        ({"oversold": 60}, "oversold 60 must be below exit_level 50"),
        ({"period": 1}, "greater than or equal to 2"),
        ({"stake_pct": 0}, "greater than 0"),
    ],
)
def test_incoherent_parameters_are_refused_with_the_reason(
    params: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        RsiReversionParams.model_validate(params)
