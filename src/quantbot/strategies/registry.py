"""Strategies by name: what ``--strategy NAME`` and the configuration files refer to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from quantbot.strategies.base import Strategy
from quantbot.strategies.dca import Dca
from quantbot.strategies.donchian_breakout import DonchianBreakout
from quantbot.strategies.ema_cross import EmaCross
from quantbot.strategies.errors import UnknownStrategy
from quantbot.strategies.funding_arb import FundingArb
from quantbot.strategies.grid import Grid
from quantbot.strategies.momentum import Momentum
from quantbot.strategies.rsi_reversion import RsiReversion

__all__ = ["STRATEGIES", "create_strategy"]

STRATEGIES: Mapping[str, type[Strategy]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (Grid, Momentum, FundingArb, Dca, EmaCross, RsiReversion, DonchianBreakout)
    }
)
"""Every registered strategy class by its name."""


def create_strategy(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    symbols: Sequence[str],
    timeframe: str = "1m",
    strategy_id: str | None = None,
) -> Strategy:
    """Build a registered strategy from its name and raw parameters.

    Raises:
        UnknownStrategy: when no strategy has that name.
        pydantic.ValidationError: when the parameters do not fit its model.
    """
    cls = STRATEGIES.get(name)
    if cls is None:
        raise UnknownStrategy(f"no strategy named {name!r}; known: {', '.join(sorted(STRATEGIES))}")
    return cls(
        cls.Params.model_validate(dict(params or {})),
        symbols=symbols,
        timeframe=timeframe,
        strategy_id=strategy_id,
    )
