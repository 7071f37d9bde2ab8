"""No lookahead, proven: corrupting every candle from a time T on changes nothing before T.

Each strategy runs on a market, then on a copy whose candles opening at or after T are
replaced (random prices and volumes, shuffled candles, or wild spikes). Every decision
made by T (hook calls, submits, cancels, with the order the engine returned), every
fill and rejection before T and the equity of every bar closed by T must be identical.

The test covers every registered strategy (:data:`quantbot.strategies.STRATEGIES`)
with the parameters of :data:`REGISTERED_CASES`, plus the engine test strategies. A case
trading perpetuals runs on the synthetic market's spot and perpetuals (trading at their
marks, settling its funding); its corrupted copy also has its mark candles replaced
from T on and the rates of the settlements after T.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from backtest_runs import (
    BTC,
    BTC_PERP,
    ETH,
    ETH_PERP,
    StrategyMaker,
    ema_cross,
    ladder,
    market,
    mixed,
    run,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.config.settings import DataQualitySettings
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.symbols import is_perpetual
from quantbot.engine.backtest import BacktestData
from quantbot.engine.loading import from_synthetic
from quantbot.strategies import STRATEGIES, Strategy, create_strategy
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Recorded

from factories import START_MS

REGISTERED_CASES: dict[str, dict[str, Any]] = {
    "ema_cross": {},  # its defaults: 9/21, entries of 10 % of equity
    "rsi_reversion": {},  # its defaults: RSI 14, in above 30, out above 50 or back below 30
    "donchian_breakout": {"params": {"entry_period": 30, "atr_stop": 2.0}},
    # Trailing (a stop moved every candle), a stop-loss, timers for the cooldown, and
    # safety orders close enough to fill on the synthetic market.
    "dca": {
        "params": {
            "price_deviation_pct": 0.2,
            "take_profit_pct": 0.4,
            "trailing_deviation_pct": 0.1,
            "stop_loss_pct": 2.0,
            "cooldown_minutes": 15,
        }
    },
    # A narrow grid with a small order cap, so that round trips, held-back orders,
    # recentrings (price watches), take-profits and stop-losses all cross the cut.
    "grid": {
        "params": {
            "num_grids": 6,
            "grid_spacing_pct": 0.3,
            "upper_bound_pct": 2.0,
            "lower_bound_pct": 2.0,
            "rebalance_trigger_pct": 1.2,
            "take_profit_pct": 0.3,
            "stop_loss_pct": 1.0,
            "max_open_orders": 8,
        }
    },
    # One day of data: 5m decisions confirmed on 15m with short periods and loose entry
    # rules, so that every seed trades and all four exits, the higher-timeframe trend,
    # the funding window and the cooldown cross the cut.
    "momentum": {
        "symbols": [BTC, ETH],
        "params": {
            "timeframe": "5m",
            "confirmation_timeframe": "15m",
            "ema_fast": 5,
            "ema_slow": 13,
            "macd_fast": 6,
            "macd_slow": 13,
            "macd_signal": 4,
            "rsi_period": 7,
            "adx_period": 7,
            "atr_period": 7,
            "divergence_lookback": 7,
            "rsi_long_threshold": 50.0,
            "rsi_short_threshold": 50.0,
            "adx_min_strength": 10.0,
            "volume_surge_multiplier": 1.0,
            "min_daily_volume_usd": 0.0,
            "time_stop_hours": 1.0,
            "time_stop_target_r": 1.0,
            "cooldown_after_loss_minutes": 30,
        },
    },
    # Spot and perpetual of BTC and ETH. The formula's clamp off and a 1h interval make
    # the estimate follow the synthetic premium closely; the basis limit of 0.1 %, the
    # volume cap's partial fills and latency make entries, both exits and hedge trims
    # cross the cut.
    "funding_arb": {
        "symbols": [BTC, ETH, BTC_PERP, ETH_PERP],
        "params": {
            "min_funding_rate": 0.02,
            "exit_funding_rate": 0.012,
            "premium_clamp_pct": 0.0,
            "funding_interval_hours": 1,
            "max_basis_divergence_pct": 0.1,
        },
    },
}
"""Per registered strategy: ``params`` (over its defaults), and optionally ``symbols``
and ``timeframe``. EVERY strategy in ``quantbot.strategies.STRATEGIES`` must appear
here: ``test_every_registered_strategy_has_a_lookahead_case`` fails until it does."""

ENGINE_CASES: dict[str, StrategyMaker] = {
    "ema_cross_15m": ema_cross(5, 13, timeframe="15m"),
    "limit_ladder": ladder(levels=3, spacing_pct=0.1, recenter_every=90),
    "mixed_orders": mixed((BTC, ETH), seed=5, every=4),
}
"""Strategies of the engine tests: a higher timeframe, resting limits, every order kind."""

MINUTES = 1440
MODEL = FillModel(max_volume_share=0.02, latency_bars=1)
"""A volume cap that makes partial fills, and latency, so both cross the cut."""


def _registered(name: str) -> StrategyMaker:
    case = REGISTERED_CASES[name]
    return lambda: create_strategy(
        name,
        case.get("params", {}),
        symbols=case.get("symbols", [BTC]),
        timeframe=case.get("timeframe", "1m"),
    )


CASES: dict[str, StrategyMaker] = {
    **{f"registered:{name}": _registered(name) for name in sorted(STRATEGIES)},
    **{f"engine:{name}": maker for name, maker in ENGINE_CASES.items()},
}


@functools.cache
def _perpetual_market(seed: int) -> BacktestData:
    """Spot and perpetual BTC and ETH of the synthetic market, built once per seed."""
    symbols = [BTC, ETH, BTC_PERP, ETH_PERP]
    loaded = from_synthetic(
        symbols, start_ms=START_MS, days=MINUTES // 1440, seed=seed, quality=DataQualitySettings()
    )
    return loaded.data


def _market(case: str, seed: int) -> BacktestData:
    """Spot BTC and ETH; spot and perpetuals for a registered case trading perpetuals."""
    name = case.removeprefix("registered:")
    symbols = REGISTERED_CASES[name].get("symbols", []) if name != case else []
    if any(is_perpetual(symbol) for symbol in symbols):
        return _perpetual_market(seed)
    return market(seed, minutes=MINUTES, symbols=(BTC, ETH))


def _noise(arrays: OhlcvArrays, cut: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(arrays) - cut
    level = arrays.close[cut - 1] * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spread = level * rng.uniform(0, 0.01, n)
    return {
        "open": level,
        "high": level + spread,
        "low": level - spread,
        "close": level + rng.uniform(-1, 1, n) * spread,
        "volume": rng.uniform(0, 100, n),
    }


def _shuffle(arrays: OhlcvArrays, cut: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    order = rng.permutation(len(arrays) - cut) + cut
    return {c: getattr(arrays, c)[order] for c in ("open", "high", "low", "close", "volume")}


def _spike(arrays: OhlcvArrays, cut: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    factor = np.where(rng.random(len(arrays) - cut) < 0.5, 0.1, 10.0)
    columns = {c: getattr(arrays, c)[cut:] * factor for c in ("open", "high", "low", "close")}
    return {**columns, "volume": arrays.volume[cut:] * 100}


Corruption = Callable[[OhlcvArrays, int, np.random.Generator], dict[str, np.ndarray]]
CORRUPTIONS: dict[str, Corruption] = {"noise": _noise, "shuffle": _shuffle, "spike": _spike}


def _corrupted(data: BacktestData, cut: int, how: Corruption, seed: int) -> BacktestData:
    """``data`` with every candle (and mark candle) from index ``cut`` on replaced
    (timestamps kept), and the rate of every funding settlement after its open."""
    rng = np.random.default_rng(seed)

    def replaced(candles: OhlcvArrays) -> OhlcvArrays:
        columns = {c: getattr(candles, c).copy() for c in OhlcvArrays.__slots__}
        for column, values in how(candles, cut, rng).items():
            columns[column][cut:] = values
        return OhlcvArrays(**columns)

    arrays = {symbol: replaced(candles) for symbol, candles in data.arrays.items()}
    marks = {symbol: replaced(candles) for symbol, candles in data.marks.items()}
    funding = {}
    for symbol, frame in data.funding.items():
        after = (frame["ts_ms"] > data.ts_ms[cut]).to_numpy()
        rates = frame["funding_rate"].to_numpy().copy()
        rates[after] = rng.uniform(-0.003, 0.003, int(after.sum()))
        funding[symbol] = frame.assign(funding_rate=rates)
    return BacktestData(data.timeframe, arrays, data.instruments, funding=funding, marks=marks)


def test_every_registered_strategy_has_a_lookahead_case() -> None:
    assert set(STRATEGIES) <= set(REGISTERED_CASES), (
        "add the new strategy to REGISTERED_CASES so the no-lookahead test covers it"
    )


@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=6)
@given(
    cut_fraction=st.floats(0.05, 0.95),
    how=st.sampled_from(list(CORRUPTIONS)),
    seed=st.integers(0, 20),
)
def test_corrupting_the_data_after_t_changes_no_decision_fill_or_equity_up_to_t(
    case: str, cut_fraction: float, how: str, seed: int
) -> None:
    make: Callable[[], Strategy] = CASES[case]
    data = _market(case, seed)
    cut = int(cut_fraction * MINUTES)
    t_ms = int(data.ts_ms[cut])  # candles opening at or after T are corrupted
    clean, dirty = Recorded(make()), Recorded(make())

    before = run(data, [clean], model=MODEL)
    after = run(_corrupted(data, cut, CORRUPTIONS[how], seed), [dirty], model=MODEL)

    decided = [d for d in clean.decisions if d[1] <= t_ms]
    assert [d for d in dirty.decisions if d[1] <= t_ms] == decided
    assert after.fills[after.fills["ts_ms"] < t_ms].to_dict("records") == before.fills[
        before.fills["ts_ms"] < t_ms
    ].to_dict("records")
    assert after.rejections[after.rejections["ts_ms"] <= t_ms].to_dict(
        "records"
    ) == before.rejections[before.rejections["ts_ms"] <= t_ms].to_dict("records")
    np.testing.assert_array_equal(after.equity[:cut], before.equity[:cut])
