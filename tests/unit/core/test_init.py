import quantbot.core as core

EXPECTED_PUBLIC_NAMES = {
    "DUPLICATE_FILL_REASON",
    "IGNORED",
    "MAX_CLIENT_ORDER_ID_LENGTH",
    "RISK_CLOSE_PREFIX",
    "QTY_REL_TOL",
    "RACES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "AccountingError",
    "Candle",
    "ClientOrderId",
    "Clock",
    "Fill",
    "FundingPayment",
    "IgnoredEvent",
    "Instrument",
    "InstrumentKind",
    "InvalidTransition",
    "InvalidValue",
    "LiquiditySide",
    "MissingPrice",
    "Order",
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCancelRequested",
    "OrderCanceled",
    "OrderEvent",
    "OrderExpired",
    "OrderFailed",
    "OrderFilled",
    "OrderRejected",
    "OrderState",
    "OrderType",
    "Portfolio",
    "Position",
    "QuantbotError",
    "RunMode",
    "Side",
    "SimulatedClock",
    "StrategyId",
    "TimeInForce",
    "TradeId",
    "Transition",
    "VenueOrderId",
    "WallClock",
    "check_rejection_reason",
    "event_name",
    "is_risk_close",
    "make_client_order_id",
    "quantize_price",
    "quantize_qty",
    "rejected_by_check",
    "ms_to_datetime",
}


def test_all_lists_exactly_the_public_api() -> None:
    assert set(core.__all__) == EXPECTED_PUBLIC_NAMES
    assert len(core.__all__) == len(EXPECTED_PUBLIC_NAMES), "a name is listed twice"


def test_every_listed_name_is_importable() -> None:
    missing = [name for name in core.__all__ if not hasattr(core, name)]
    assert missing == []
