"""Builders for domain values in tests (STYLE.md: never in src): defaults, override what matters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from quantbot.core import (
    ClientOrderId,
    Fill,
    Instrument,
    LiquiditySide,
    Order,
    OrderType,
    Side,
    StrategyId,
    TimeInForce,
    TradeId,
    VenueOrderId,
)
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.synthetic import generate_market
from quantbot.engine.backtest import BacktestData
from quantbot.engine.instruments import instrument_for
from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import LossLimits, OperationalLimits, RiskLimits

STRATEGY = StrategyId("grid_btc")
ORDER_ID = ClientOrderId("grid_btc-0a1b2c3d-1")
SYMBOL = "BTC/USDT"


def make_order(
    *,
    qty: float = 1.0,
    side: Side = Side.BUY,
    order_type: OrderType = OrderType.LIMIT,
    price: float | None = 100.0,
    stop_price: float | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
    symbol: str = SYMBOL,
    client_order_id: ClientOrderId = ORDER_ID,
) -> Order:
    return Order(
        client_order_id=client_order_id,
        strategy_id=STRATEGY,
        symbol=symbol,
        side=side,
        order_type=order_type,
        qty=qty,
        price=price,
        stop_price=stop_price,
        time_in_force=time_in_force,
        ts_ms=1_000,
    )


def make_fill(
    *,
    trade_id: str = "t1",
    qty: float = 1.0,
    price: float = 100.0,
    side: Side = Side.BUY,
    fee: float = 0.0,
    fee_currency: str = "USDT",
    symbol: str = SYMBOL,
    strategy_id: StrategyId = STRATEGY,
    client_order_id: ClientOrderId = ORDER_ID,
    venue_order_id: str | None = None,
    ts_ms: int = 2_000,
) -> Fill:
    return Fill(
        trade_id=TradeId(trade_id),
        client_order_id=client_order_id,
        venue_order_id=None if venue_order_id is None else VenueOrderId(venue_order_id),
        strategy_id=strategy_id,
        symbol=symbol,
        side=side,
        qty=qty,
        price=price,
        fee=fee,
        fee_currency=fee_currency,
        liquidity=LiquiditySide.MAKER,
        ts_ms=ts_ms,
    )


# -- candles, instruments and markets for the backtest engine and the simulated venue --

MINUTE_MS = 60_000
START_MS = 1_735_689_600_000
"""2025-01-01 00:00 UTC: a day, hour and minute boundary."""


def make_ohlcv(
    rows: Sequence[tuple[float, float, float, float, float]],
    *,
    start_ms: int = START_MS,
    period_ms: int = MINUTE_MS,
) -> OhlcvArrays:
    """Candles from ``(open, high, low, close, volume)`` rows, one period apart."""
    table = np.array(rows, dtype=np.float64).reshape(len(rows), 5)
    return OhlcvArrays(
        ts_ms=start_ms + period_ms * np.arange(len(rows), dtype=np.int64),
        open=table[:, 0].copy(),
        high=table[:, 1].copy(),
        low=table[:, 2].copy(),
        close=table[:, 3].copy(),
        volume=table[:, 4].copy(),
    )


def make_instrument(
    symbol: str = SYMBOL,
    *,
    tick_size: float | None = 0.01,
    lot_size: float | None = 0.001,
    min_notional: float = 0.0,
) -> Instrument:
    return Instrument.from_symbol(
        symbol, tick_size=tick_size, lot_size=lot_size, min_notional=min_notional
    )


def make_backtest_data(
    symbols: Sequence[str] = (SYMBOL,),
    *,
    minutes: int = 2 * 1440,
    seed: int = 3,
    start_ms: int = START_MS,
) -> BacktestData:
    """A seeded synthetic market on 1m candles with Binance's trading rules."""
    market = generate_market(list(symbols), start_ms=start_ms, minutes=minutes, seed=seed)
    arrays = {s: OhlcvArrays.from_frame(market.candles[s]) for s in symbols}
    instruments = {s: instrument_for(s, float(arrays[s].close[0])) for s in symbols}
    return BacktestData("1m", arrays, instruments)


WIDE_RISK_LIMITS = RiskLimits(
    max_order_size_usd=1e9,
    max_total_exposure_pct=100.0,
    max_single_pair_exposure_pct=100.0,
    max_correlated_exposure_pct=100.0,
    max_capital_per_exchange_pct=100.0,
    reserve_cash_pct=0.0,
)
"""Portfolio limits no test order reaches, for tests of the breakers alone."""


def loss_breaker_setup(
    *,
    daily_pct: float,
    weekly_pct: float = 50.0,
    monthly_pct: float = 90.0,
    resume_hours: float = 24.0,
    recovery_hours: float = 24.0,
    limits: RiskLimits = WIDE_RISK_LIMITS,
    price_shock_pct: float = 10.0,
) -> RiskSetup:
    """The loss breakers alone: wide portfolio limits (unless given), no brakes, UTC,
    checked every minute."""
    return RiskSetup(
        limits=limits,
        loss_limits=LossLimits(
            daily_loss_limit_pct=daily_pct,
            weekly_loss_limit_pct=weekly_pct,
            monthly_loss_limit_pct=monthly_pct,
            reduce_position_sizes_by_pct=50.0,
            recovery_period_hours=recovery_hours,
            resume_after_hours=resume_hours,
        ),
        brake_levels=(),
        operational=OperationalLimits(price_shock_pct=price_shock_pct),
        timezone="UTC",
        check_interval_s=60,
    )
