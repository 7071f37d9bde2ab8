"""Strategies: pure decision code, one module per strategy, found by name in the registry."""

from quantbot.strategies.base import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)
from quantbot.strategies.ema_cross import EmaCross, EmaCrossParams
from quantbot.strategies.errors import StrategyError, UnknownStrategy
from quantbot.strategies.registry import STRATEGIES, create_strategy

__all__ = [
    "STRATEGIES",
    "Bar",
    "EmaCross",
    "EmaCrossParams",
    "MarketHistory",
    "Strategy",
    "StrategyContext",
    "StrategyError",
    "StrategyParams",
    "UnknownStrategy",
    "WakeMasks",
    "create_strategy",
]
