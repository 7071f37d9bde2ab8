"""The strategies a configuration describes: what ``--config DIR`` runs without ``--strategy``.

Grid, momentum and funding arbitrage have their own files (``grid_config.yaml``,
``momentum_config.yaml``, ``funding_config.yaml``), each with an ``enabled`` switch and
the pairs it trades; any other strategy (a template, DCA, a user strategy) is an entry
of ``strategies`` in ``settings.yaml``. :func:`configured_strategies` lists them in
that order as :class:`StrategySpec` values, which the engine turns into strategy
objects once it knows the run's markets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quantbot.config import QuantbotConfig
from quantbot.strategies.funding_arb import pairs_of
from quantbot.strategies.funding_arb_params import FundingArbParams
from quantbot.strategies.grid_params import GridParams
from quantbot.strategies.momentum_params import MomentumParams

__all__ = ["StrategySpec", "configured_params", "configured_strategies"]


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of a configured run.

    Attributes:
        name: registered (or user) strategy name.
        params: raw parameters for its model; unset ones keep their defaults.
        symbols: markets it trades; empty means every market of the run.
        timeframe: its decision timeframe; None means the data's.
        source: where it is configured, for messages (``grid_config.yaml``,
            ``settings.yaml strategies[2]``).
        enabled: whether a configured run starts it.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    symbols: tuple[str, ...] = ()
    timeframe: str | None = None
    source: str = "defaults"
    enabled: bool = True


def _grid(config: QuantbotConfig) -> StrategySpec:
    section = config.grid
    return StrategySpec(
        "grid",
        GridParams.from_config(section).model_dump(exclude_unset=True),
        tuple(pair.symbol for pair in section.pairs),
        source="grid_config.yaml",
        enabled=section.enabled,
    )


def _momentum(config: QuantbotConfig) -> StrategySpec:
    section = config.momentum
    return StrategySpec(
        "momentum",
        MomentumParams.from_config(section).model_dump(),
        tuple(section.pairs),
        source="momentum_config.yaml",
        enabled=section.enabled,
    )


def _funding(config: QuantbotConfig) -> StrategySpec:
    section = config.funding
    return StrategySpec(
        "funding_arb",
        FundingArbParams.from_config(section).model_dump(),
        tuple(leg for pair in pairs_of(section.pairs) for leg in pair),
        source="funding_config.yaml",
        enabled=section.enabled,
    )


_FILES: tuple[Callable[[QuantbotConfig], StrategySpec], ...] = (_grid, _momentum, _funding)
"""The strategies with a file of their own, in the order a configured run lists them."""


def configured_strategies(config: QuantbotConfig) -> list[StrategySpec]:
    """Every strategy of the configuration, enabled or not, in run order."""
    specs = [build(config) for build in _FILES]
    specs += [
        StrategySpec(
            entry.name,
            dict(entry.params),
            tuple(entry.symbols),
            entry.timeframe,
            source=f"settings.yaml strategies[{index}]",
            enabled=entry.enabled,
        )
        for index, entry in enumerate(config.settings.strategies)
    ]
    return specs


def configured_params(config: QuantbotConfig, name: str) -> Mapping[str, Any]:
    """The configured parameters of strategy ``name`` (its first entry), empty when unconfigured."""
    for spec in configured_strategies(config):
        if spec.name == name:
            return spec.params
    return {}
