"""Risk: the pre-trade check chain every order passes, in every mode.

The venue's rules (tick, lot, minimum notional, balance, perpetual margin) come first;
the risk manager's portfolio rules (asset lists, risk per trade, order size, exposure
limits, leverage cap, reserve cash) follow, read from a
:class:`~quantbot.risk.exposure.PortfolioState`, with the circuit breakers, recovery
mode and drawdown brakes in their slot (rules 5 and 6). The breakers themselves are
state machines fed with equity and events; what they decide is a
:class:`~quantbot.risk.risk_events.RiskEvent` carrying the action to take.
"""

from quantbot.risk.breaker_checks import (
    CircuitBreakerCheck,
    DrawdownBrakeCheck,
    ExchangePauseCheck,
    RecoveryResizeCheck,
)
from quantbot.risk.chain import (
    ChainOutcome,
    CheckAction,
    CheckChain,
    CheckDecision,
    OrderIntent,
    PreTradeCheck,
    PreTradeState,
)
from quantbot.risk.circuit_breaker import (
    BreakerNotResumable,
    BreakerStatus,
    CircuitBreaker,
    LossLimits,
)
from quantbot.risk.correlation import correlated_groups, correlation_matrix, merge_groups
from quantbot.risk.drawdown_brakes import DEFAULT_BRAKE_LEVELS, BrakeLevel, DrawdownBrakes
from quantbot.risk.exposure import (
    ExposureChange,
    PortfolioState,
    as_portfolio_state,
    exposure_change,
    opening_qty,
    symbol_exposure_usd,
    worst_case_qty,
)
from quantbot.risk.limits import RiskLimits
from quantbot.risk.margin import MarginCheck
from quantbot.risk.operational_breakers import (
    ApiErrorBreaker,
    OperationalLimits,
    PriceShockBreaker,
)
from quantbot.risk.portfolio_rules import (
    AssetListCheck,
    CorrelatedExposureCheck,
    ExchangeCapitalCheck,
    LeverageCapCheck,
    MaxOrderSizeCheck,
    ReserveCashCheck,
    RiskPerTradeCheck,
    SinglePairExposureCheck,
    TotalExposureCheck,
    portfolio_rule_checks,
)
from quantbot.risk.risk_events import BreakerPolicy, RiskAction, RiskEvent, RiskEventKind
from quantbot.risk.venue_rules import (
    BalanceCheck,
    LotSizeCheck,
    MinNotionalCheck,
    TickSizeCheck,
    venue_rule_checks,
)

__all__ = [
    "DEFAULT_BRAKE_LEVELS",
    "ApiErrorBreaker",
    "AssetListCheck",
    "BalanceCheck",
    "BrakeLevel",
    "BreakerNotResumable",
    "BreakerPolicy",
    "BreakerStatus",
    "ChainOutcome",
    "CheckAction",
    "CheckChain",
    "CheckDecision",
    "CircuitBreaker",
    "CircuitBreakerCheck",
    "CorrelatedExposureCheck",
    "DrawdownBrakeCheck",
    "DrawdownBrakes",
    "ExchangeCapitalCheck",
    "ExchangePauseCheck",
    "ExposureChange",
    "LeverageCapCheck",
    "LossLimits",
    "LotSizeCheck",
    "MarginCheck",
    "MaxOrderSizeCheck",
    "MinNotionalCheck",
    "OperationalLimits",
    "OrderIntent",
    "PortfolioState",
    "PreTradeCheck",
    "PreTradeState",
    "PriceShockBreaker",
    "RecoveryResizeCheck",
    "ReserveCashCheck",
    "RiskAction",
    "RiskEvent",
    "RiskEventKind",
    "RiskLimits",
    "RiskPerTradeCheck",
    "SinglePairExposureCheck",
    "TickSizeCheck",
    "TotalExposureCheck",
    "as_portfolio_state",
    "correlated_groups",
    "correlation_matrix",
    "exposure_change",
    "merge_groups",
    "opening_qty",
    "portfolio_rule_checks",
    "symbol_exposure_usd",
    "venue_rule_checks",
    "worst_case_qty",
]
