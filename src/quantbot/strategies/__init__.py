"""Strategies: pure decision code, one module per strategy, found by name in the registry."""

from quantbot.strategies.base import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)
from quantbot.strategies.dca import Dca, DcaParams
from quantbot.strategies.donchian_breakout import DonchianBreakout, DonchianBreakoutParams
from quantbot.strategies.ema_cross import EmaCross, EmaCrossParams
from quantbot.strategies.errors import StrategyError, UnknownStrategy, UserStrategyError
from quantbot.strategies.funding_arb import FundingArb
from quantbot.strategies.funding_arb_params import FundingArbParams
from quantbot.strategies.grid import Grid
from quantbot.strategies.grid_params import GridParams
from quantbot.strategies.momentum import Momentum
from quantbot.strategies.momentum_params import MomentumParams
from quantbot.strategies.registry import STRATEGIES, create_strategy, strategy_classes
from quantbot.strategies.rsi_reversion import RsiReversion, RsiReversionParams

__all__ = [
    "STRATEGIES",
    "Bar",
    "Dca",
    "DcaParams",
    "DonchianBreakout",
    "DonchianBreakoutParams",
    "EmaCross",
    "EmaCrossParams",
    "FundingArb",
    "FundingArbParams",
    "Grid",
    "GridParams",
    "MarketHistory",
    "Momentum",
    "MomentumParams",
    "RsiReversion",
    "RsiReversionParams",
    "Strategy",
    "StrategyContext",
    "StrategyError",
    "StrategyParams",
    "UnknownStrategy",
    "UserStrategyError",
    "WakeMasks",
    "create_strategy",
    "strategy_classes",
]
