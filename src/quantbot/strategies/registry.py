"""Strategies by name: what ``--strategy NAME`` and the configuration files refer to.

:data:`STRATEGIES` holds the package's own; :func:`strategy_classes` adds the user's,
loaded from their directory (:mod:`quantbot.strategies.user_strategies`), which is
what a run selects from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
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
from quantbot.strategies.user_strategies import load_user_strategies

__all__ = ["STRATEGIES", "create_strategy", "strategy_classes"]

STRATEGIES: Mapping[str, type[Strategy]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (Grid, Momentum, FundingArb, Dca, EmaCross, RsiReversion, DonchianBreakout)
    }
)
"""Every built-in strategy class by its name."""


def strategy_classes(user_dir: Path | None) -> Mapping[str, type[Strategy]]:
    """The strategies a run can select: the built-in ones, then the user's from ``user_dir``.

    Args:
        user_dir: the user's strategy directory (``QuantbotConfig.user_strategies_dir``);
            None, or a directory that does not exist, adds none.

    Raises:
        UserStrategyError: when a user file does not load or a user class takes the
            name of a built-in strategy or of another user class (see
            :func:`~quantbot.strategies.user_strategies.load_user_strategies`).
    """
    if user_dir is None:
        return STRATEGIES
    return MappingProxyType({**STRATEGIES, **load_user_strategies(user_dir, built_ins=STRATEGIES)})


def create_strategy(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    symbols: Sequence[str],
    timeframe: str = "1m",
    strategy_id: str | None = None,
    classes: Mapping[str, type[Strategy]] | None = None,
) -> Strategy:
    """Build a strategy from its name and raw parameters.

    Args:
        name: the strategy's name.
        params: raw parameter values (strings from the command line are converted);
            unset ones keep their defaults.
        symbols: markets it trades.
        timeframe: the timeframe of its decisions.
        strategy_id: its id in the run (default: ``name``).
        classes: the strategies to choose from: :data:`STRATEGIES` by default, or
            :func:`strategy_classes` to include the user's.

    Raises:
        UnknownStrategy: when no strategy has that name.
        pydantic.ValidationError: when the parameters do not fit its model.
    """
    known = STRATEGIES if classes is None else classes
    cls = known.get(name)
    if cls is None:
        raise UnknownStrategy(f"no strategy named {name!r}; known: {', '.join(sorted(known))}")
    return cls(
        cls.Params.model_validate(dict(params or {})),
        symbols=symbols,
        timeframe=timeframe,
        strategy_id=strategy_id,
    )
