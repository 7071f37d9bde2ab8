"""The domain core: the values and rules every other layer speaks in.

Candles, instruments, orders and their state machine, fills, positions, funding, the
portfolio ledger, typed ids, the clock and the error tree. Pure standard library and
no I/O, so the same types serve backtest, paper and live trading.
"""

from quantbot.core.candle import Candle
from quantbot.core.clock import Clock, SimulatedClock, WallClock, ms_to_datetime
from quantbot.core.enums import (
    InstrumentKind,
    LiquiditySide,
    OrderType,
    RunMode,
    Side,
    TimeInForce,
)
from quantbot.core.errors import (
    AccountingError,
    InvalidTransition,
    InvalidValue,
    MissingPrice,
    QuantbotError,
)
from quantbot.core.events import event_name
from quantbot.core.fills import Fill
from quantbot.core.funding import FundingPayment
from quantbot.core.ids import (
    MAX_CLIENT_ORDER_ID_LENGTH,
    RISK_CLOSE_PREFIX,
    ClientOrderId,
    StrategyId,
    TradeId,
    VenueOrderId,
    is_risk_close,
    make_client_order_id,
)
from quantbot.core.instruments import Instrument
from quantbot.core.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFailed,
    OrderFilled,
    OrderRejected,
)
from quantbot.core.orders import (
    DUPLICATE_FILL_REASON,
    IGNORED,
    QTY_REL_TOL,
    RACES,
    TERMINAL_STATES,
    TRANSITIONS,
    IgnoredEvent,
    Order,
    OrderState,
    Transition,
    check_rejection_reason,
    rejected_by_check,
)
from quantbot.core.portfolio import Portfolio
from quantbot.core.positions import Position
from quantbot.core.quantize import quantize_price, quantize_qty

__all__ = [
    "DUPLICATE_FILL_REASON",
    "IGNORED",
    "MAX_CLIENT_ORDER_ID_LENGTH",
    "QTY_REL_TOL",
    "RACES",
    "RISK_CLOSE_PREFIX",
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
    "ms_to_datetime",
    "quantize_price",
    "quantize_qty",
    "rejected_by_check",
]
