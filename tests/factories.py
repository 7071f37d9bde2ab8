"""Builders for domain values in tests (STYLE.md: never in src): defaults, override what matters."""

from __future__ import annotations

from quantbot.core import (
    ClientOrderId,
    Fill,
    LiquiditySide,
    Order,
    OrderType,
    Side,
    StrategyId,
    TimeInForce,
    TradeId,
    VenueOrderId,
)

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
) -> Order:
    return Order(
        client_order_id=ORDER_ID,
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
