"""Parameters of the grid strategy: ``grid_config.yaml``'s values, one grid per pair.

:class:`GridLevelParams` holds the settings of one pair's grid: the fields of
:class:`~quantbot.config.grid.GridPair` except ``symbol``, with the defaults of the
configuration's default pair (BTC/USDT: 20 grids a side, 0.5 %, 50 USD an order, ±10 %
bounds, recentre at 8 %, stop-loss 15 %, no take-profit) but ``grid_type``, which keeps
the field's own default, geometric. :class:`GridParams` adds the settings of the
strategy as a whole (``max_open_orders``, ``min_profit_after_fees``, ``fee_rate``, with
the configuration's defaults), the :data:`GridVariant`, ``resume_check_interval_s`` (how
often a grid the risk layer holds back tries again, an hour by default; not a
configuration field), and ``pairs``: per symbol,
settings that replace the top-level ones for that pair, which is how one instance runs
the configuration file's differing pairs under one ``max_open_orders``.

The rules are the configuration's own: every value is checked by building the
:class:`~quantbot.config.grid.GridStrategyConfig` it describes, so a bound narrower
than the spacing, a rebalance trigger beyond the upper bound, and the **fee guard**
(a spacing below ``2 x fee_rate + min_profit_after_fees``) are refused here, when the
parameters are built, with the configuration's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from quantbot.config.base import check_rules
from quantbot.config.grid import GridStrategyConfig
from quantbot.strategies.base import StrategyParams

__all__ = ["GridLevelParams", "GridParams", "GridType", "GridVariant"]

GridType = Literal["arithmetic", "geometric"]
"""arithmetic: levels a fixed price step apart; geometric: a fixed percentage apart."""

GridVariant = Literal["standard", "infinity", "reverse", "futures"]
"""How the grid trades (docs/strategies/grid.md):

- ``standard``: long; buys below the centre, each bought level sold one level up;
- ``infinity``: long without an upper bound; the buys follow a rise level by level;
- ``reverse``: short (perpetuals only); sells above the centre, bought back one level down;
- ``futures``: neutral (perpetuals only); buys below and sells above from the start.
"""

_STAND_IN = "GRID/DEFAULTS"
"""Symbol under which the top-level settings are checked as a configured pair."""

_PAIR_PATH = re.compile(r"^pairs\[(\d+)\]\.?")


class GridLevelParams(StrategyParams):
    """The grid of one pair: its levels, order size, bounds and exits."""

    grid_type: GridType = Field(
        "geometric",
        description="arithmetic: levels a fixed price step apart; geometric: a fixed "
        "percentage apart.",
    )
    num_grids: int = Field(20, description="Grid levels on each side of the centre price.")
    grid_spacing_pct: float = Field(
        0.5,
        description="Distance between adjacent levels in percent (arithmetic: of the "
        "centre price).",
    )
    order_size_usd: float = Field(
        50.0, description="Value of each grid order in quote currency (USD)."
    )
    upper_bound_pct: float = Field(
        10.0, description="Top of the grid, percent above the centre (ignored by infinity)."
    )
    lower_bound_pct: float = Field(
        10.0, description="Bottom of the grid, percent below the centre."
    )
    rebalance_trigger_pct: float = Field(
        8.0, description="Recentre the grid when price moves this far (percent) from the centre."
    )
    take_profit_pct: float | None = Field(
        None,
        description="Close the pair's grid when its profit reaches this percent of "
        "num_grids x order_size_usd; null disables.",
    )
    stop_loss_pct: float = Field(
        15.0,
        description="Close the pair's grid when its inventory is down this much (percent "
        "below its average price; above it for short inventory).",
    )


class GridParams(GridLevelParams):
    """Parameters of :class:`~quantbot.strategies.grid.Grid`."""

    variant: GridVariant = Field(
        "standard",
        description="standard (long), infinity (long, no upper bound), reverse (short, "
        "perpetuals) or futures (neutral, perpetuals).",
    )
    max_open_orders: int = Field(
        40, description="Most resting grid orders across all pairs (nearest levels first)."
    )
    replace_margin_levels: float = Field(
        1.0,
        ge=0,
        description="When max_open_orders rest, how much nearer (in levels of its pair's "
        "spacing) a held-back order must be than the farthest resting one to take its "
        "place; 0 always rests the nearest, at the cost of cancel and re-place churn.",
    )
    min_profit_after_fees: float = Field(
        0.15, description="Smallest profit per round trip after fees, in percent."
    )
    fee_rate: float = Field(0.075, description="Fee per fill assumed by the fee guard, in percent.")
    resume_check_interval_s: int = Field(
        3600,
        gt=0,
        description="While the risk layer holds new entries back (a circuit breaker, a "
        "drawdown brake that stops opening, an exchange pause), how often, in seconds, "
        "the grid tries one entry to learn whether they pass again; once one does, it "
        "re-lays its grid around the price.",
    )
    pairs: dict[str, GridLevelParams] = Field(
        default_factory=dict,
        description="Per symbol, grid settings replacing the top-level ones for that pair.",
    )

    def for_symbol(self, symbol: str) -> GridLevelParams:
        """The grid settings of ``symbol``: its entry in ``pairs``, else the top-level ones."""
        own = self.pairs.get(symbol)
        if own is not None:
            return own
        return GridLevelParams.model_validate(self.model_dump(include=_LEVEL_FIELDS))

    @classmethod
    def from_config(
        cls, config: GridStrategyConfig, *, variant: GridVariant = "standard"
    ) -> GridParams:
        """The parameters a ``grid_strategy`` configuration section describes.

        Each configured pair gets its own entry in ``pairs``; run the strategy on
        ``[pair.symbol for pair in config.pairs]``.
        """
        return cls(
            variant=variant,
            max_open_orders=config.max_open_orders,
            min_profit_after_fees=config.min_profit_after_fees,
            fee_rate=config.fee_rate,
            pairs={
                pair.symbol: GridLevelParams.model_validate(pair.model_dump(exclude={"symbol"}))
                for pair in config.pairs
            },
        )

    @classmethod
    def merged(cls, configured: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Configured values with overrides on top; a per-pair override reaches every pair.

        ``--param grid_spacing_pct=0.8`` on a configuration with ``pairs`` changes the
        spacing of each configured pair too, not only the top-level default.
        """
        values = {**configured, **overrides}
        per_pair = {k: v for k, v in overrides.items() if k in _LEVEL_FIELDS}
        if per_pair and "pairs" not in overrides and configured.get("pairs"):
            values["pairs"] = {
                symbol: {**_raw(settings), **per_pair}
                for symbol, settings in configured["pairs"].items()
            }
        return values

    @model_validator(mode="after")
    def _configuration_rules(self) -> GridParams:
        """Refuse what ``grid_config.yaml`` refuses, with its messages, by building it."""
        grids = {_STAND_IN: self.for_symbol(_STAND_IN), **self.pairs}
        names = list(grids)
        document: dict[str, Any] = {
            "pairs": [
                {"symbol": symbol, **levels.model_dump()} for symbol, levels in grids.items()
            ],
            "max_open_orders": self.max_open_orders,
            "min_profit_after_fees": self.min_profit_after_fees,
            "fee_rate": self.fee_rate,
        }
        try:
            GridStrategyConfig.model_validate(document)
        except ValidationError as exc:
            check_rules(_problems(exc, names))
        return self


_LEVEL_FIELDS = set(GridLevelParams.model_fields)


def _raw(settings: GridLevelParams | Mapping[str, Any]) -> dict[str, Any]:
    """A pair's settings as raw values, whether a model or a mapping."""
    return settings.model_dump() if isinstance(settings, GridLevelParams) else dict(settings)


def _problems(error: ValidationError, names: list[str]) -> list[tuple[str, str]]:
    """The configuration's complaints, with its paths rewritten as parameter names.

    ``pairs[0]`` is the top level (no prefix); ``pairs[i]`` another pair, written
    ``pairs['ETH/USDT']``.
    """

    def relocate(path: str) -> str:
        match = _PAIR_PATH.match(path)
        if match is None:
            return path
        index, rest = int(match[1]), path[match.end() :]
        prefix = "" if index == 0 else f"pairs[{names[index]!r}]"
        return ".".join(part for part in (prefix, rest) if part) or "pairs"

    problems: list[tuple[str, str]] = []
    for item in error.errors():
        loc = item["loc"]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        where = where.lstrip(".")
        context = item.get("ctx") or {}
        if "problems" in context:
            for path, message in context["problems"]:
                problems.append((relocate(".".join(p for p in (where, path) if p)), message))
        else:
            problems.append((relocate(where), item["msg"]))
    return problems
