"""Shared pieces of the engine's run-level tests: cached markets, strategy makers, comparisons."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.synthetic import generate_market
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.instruments import instrument_for
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import BrakeLevel, LossLimits, OperationalLimits, RiskLimits
from quantbot.strategies import Strategy, create_strategy
from quantbot.venues.simulated import FillModel, MarginModel
from unit.engine.strategies_for_tests import (
    LimitLadder,
    LimitLadderParams,
    MixedOrders,
    MixedOrdersParams,
)

from factories import START_MS, WIDE_RISK_LIMITS, make_backtest_data

BTC, ETH = "BTC/USDT", "ETH/USDT"
BTC_PERP, ETH_PERP = "BTC/USDT:USDT", "ETH/USDT:USDT"
CAPITAL = 100_000.0

StrategyMaker = Callable[[], Strategy]
"""Builds a fresh strategy: every run needs its own instance."""


@functools.cache
def market(seed: int, minutes: int = 2 * 1440, symbols: tuple[str, ...] = (BTC,)) -> BacktestData:
    """A synthetic market, built once per seed, length and symbols."""
    return make_backtest_data(symbols, minutes=minutes, seed=seed)


@functools.cache
def perp_market(
    seed: int, minutes: int = 1440, symbols: tuple[str, ...] = (BTC_PERP,)
) -> BacktestData:
    """Synthetic perpetuals whose trades and marks differ: the spot path is traded, the
    generator's mark candles (spot times 1 + basis) are the marks, and its funding is
    settled; spot symbols among ``symbols`` are plain spot markets."""
    spots = [s.split(":")[0] for s in symbols]
    market = generate_market(
        list(dict.fromkeys(spots)), start_ms=START_MS, minutes=minutes, seed=seed
    )
    arrays, marks, funding = {}, {}, {}
    for symbol, spot in zip(symbols, spots, strict=True):
        arrays[symbol] = OhlcvArrays.from_frame(market.candles[spot])
        if symbol != spot:
            marks[symbol] = OhlcvArrays.from_frame(market.mark_candles(spot))
            funding[symbol] = market.funding[spot].loc[:, ["ts_ms", "funding_rate"]]
    instruments = {s: instrument_for(s, float(a.close[0])) for s, a in arrays.items()}
    return BacktestData("1m", arrays, instruments, funding=funding, marks=marks)


def ema_cross(
    fast: int = 9, slow: int = 21, *, symbol: str = BTC, timeframe: str = "1m"
) -> StrategyMaker:
    return lambda: create_strategy(
        "ema_cross",
        {"fast": fast, "slow": slow, "order_size": 0.01 if symbol == BTC else 0.2},
        symbols=[symbol],
        timeframe=timeframe,
        strategy_id=f"ema_{symbol[:3].lower()}_{timeframe}",
    )


def ladder(symbol: str = BTC, **params: float) -> StrategyMaker:
    return lambda: LimitLadder(
        LimitLadderParams(**params), symbols=[symbol], strategy_id=f"ladder_{symbol[:3].lower()}"
    )


def mixed(
    symbols: Sequence[str] = (BTC,), strategy_id: str = "mixed", **params: float
) -> StrategyMaker:
    return lambda: MixedOrders(
        MixedOrdersParams(**params), symbols=symbols, strategy_id=strategy_id
    )


fill_models = st.builds(
    FillModel,
    maker_fee_pct=st.sampled_from([0.0, 0.02, 0.075]),
    taker_fee_pct=st.sampled_from([0.0, 0.1]),
    slippage_pct=st.sampled_from([0.0, 0.03]),
    impact_pct=st.sampled_from([0.0, 0.2]),
    max_volume_share=st.sampled_from([None, 0.1, 0.002]),
    latency_bars=st.integers(0, 2),
    fill_limits_on_touch=st.booleans(),
)
"""Fill models from frictionless to volume-starved (0.002 of a bar makes partial fills)."""


def tight_risk(
    daily_pct: float = 0.02,
    weekly_pct: float = 0.05,
    brakes_pct: Sequence[float] = (0.01, 0.02, 0.05),
    shock_pct: float = 0.3,
    interval_s: int = 60,
    limits: RiskLimits | None = None,
) -> RiskSetup:
    """A risk manager with limits so tight that a day of synthetic trading trips them.

    The loss limits are hundredths of a percent of :data:`CAPITAL`, the brakes as well,
    a 0.3 % one-minute range is a price shock, a daily break lasts four hours and its
    recovery three; the portfolio limits are wide unless given.
    """
    return RiskSetup(
        limits=limits or WIDE_RISK_LIMITS,
        loss_limits=LossLimits(
            daily_loss_limit_pct=daily_pct,
            weekly_loss_limit_pct=weekly_pct,
            monthly_loss_limit_pct=max(2 * weekly_pct, 1.0),
            resume_after_hours=4.0,
            recovery_period_hours=3.0,
        ),
        brake_levels=tuple(
            BrakeLevel(
                drawdown_pct=pct, order_size_factor=0.5, stop_opening=i == len(brakes_pct) - 1
            )
            for i, pct in enumerate(brakes_pct)
        ),
        operational=OperationalLimits(price_shock_pct=shock_pct),
        timezone="UTC",
        check_interval_s=interval_s,
    )


risk_setups = st.builds(
    tight_risk,
    daily_pct=st.sampled_from([0.01, 0.02, 0.05]),
    weekly_pct=st.sampled_from([0.03, 0.1]),
    brakes_pct=st.sampled_from([(), (0.01, 0.02, 0.05), (0.03,)]),
    shock_pct=st.sampled_from([0.2, 0.3]),
    interval_s=st.sampled_from([60, 300]),
)
"""Risk managers whose breakers, brakes and price shocks fire on a day of synthetic data."""

margin_models = st.builds(
    MarginModel,
    mode=st.sampled_from(["isolated", "cross"]),
    leverage=st.sampled_from([1.0, 10.0, 50.0, 100.0]),
    liquidation_fee_pct=st.sampled_from([0.0, 1.0]),
)
"""From fully margined to liquidated by a 1 % move."""


def run(
    data: BacktestData,
    strategies: Sequence[Strategy],
    *,
    model: FillModel | None = None,
    skip: bool = True,
    margin: MarginModel | None = None,
    capital: float = CAPITAL,
    risk: RiskSetup | None = None,
) -> BacktestResult:
    config = BacktestConfig(
        initial_capital=capital,
        fill_model=model or FillModel(),
        skip_idle_bars=skip,
        margin=margin or MarginModel(),
        risk=risk,
    )
    return run_backtest(data, strategies, config)


def assert_same_run(a: BacktestResult, b: BacktestResult) -> None:
    """Identical fills, trades, rejections, risk events and equity curves, to the last bit."""
    pd.testing.assert_frame_equal(a.fills, b.fills, check_exact=True)
    pd.testing.assert_frame_equal(a.risk_events, b.risk_events, check_exact=True)
    pd.testing.assert_frame_equal(a.trades, b.trades, check_exact=True)
    pd.testing.assert_frame_equal(a.rejections, b.rejections, check_exact=True)
    pd.testing.assert_frame_equal(a.funding, b.funding, check_exact=True)
    pd.testing.assert_frame_equal(a.liquidations, b.liquidations, check_exact=True)
    np.testing.assert_array_equal(a.equity, b.equity)
    assert a.strategy_equity.keys() == b.strategy_equity.keys()
    for strategy_id, curve in a.strategy_equity.items():
        np.testing.assert_array_equal(curve, b.strategy_equity[strategy_id])
