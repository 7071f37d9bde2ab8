"""Risk: the pre-trade check chain every order passes, in every mode.

The venue's rules (tick, lot, minimum notional, balance, perpetual margin) are in it
now; the risk manager's portfolio rules, circuit breakers and sizing join the same chain.
"""

from quantbot.risk.chain import (
    ChainOutcome,
    CheckAction,
    CheckChain,
    CheckDecision,
    OrderIntent,
    PreTradeCheck,
    PreTradeState,
)
from quantbot.risk.margin import MarginCheck
from quantbot.risk.venue_rules import (
    BalanceCheck,
    LotSizeCheck,
    MinNotionalCheck,
    TickSizeCheck,
    venue_rule_checks,
)

__all__ = [
    "BalanceCheck",
    "ChainOutcome",
    "CheckAction",
    "CheckChain",
    "CheckDecision",
    "LotSizeCheck",
    "MarginCheck",
    "MinNotionalCheck",
    "OrderIntent",
    "PreTradeCheck",
    "PreTradeState",
    "TickSizeCheck",
    "venue_rule_checks",
]
