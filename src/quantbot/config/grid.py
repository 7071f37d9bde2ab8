"""Model of ``grid_config.yaml``: the grid strategy and its per-pair grids."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from quantbot.config.base import ConfigModel, Percent, PositiveInt, Symbol, check_rules

__all__ = ["GridPair", "GridStrategyConfig", "GridStrategyFile"]


class GridPair(ConfigModel):
    """One grid on one pair."""

    symbol: Symbol = Field(description="Market in ccxt notation, e.g. BTC/USDT.")
    grid_type: Literal["arithmetic", "geometric"] = Field(
        "geometric",
        description="arithmetic: levels a fixed amount apart; geometric: a fixed percentage apart.",
    )
    num_grids: int = Field(
        ge=2, le=500, description="Grid levels on each side of the centre price."
    )
    grid_spacing_pct: float = Field(
        gt=0, le=50, description="Distance between adjacent levels in percent."
    )
    order_size_usd: float = Field(gt=0, description="Notional of each grid order in USD.")
    upper_bound_pct: float = Field(
        gt=0, le=1000, description="Top of the grid, percent above the centre."
    )
    lower_bound_pct: float = Field(
        gt=0, lt=100, description="Bottom of the grid, percent below the centre."
    )
    rebalance_trigger_pct: float = Field(
        gt=0, description="Recentre the grid when price moves this far (percent) from the centre."
    )
    take_profit_pct: float | None = Field(
        None,
        gt=0,
        description="Close the whole grid at this total profit in percent; null disables.",
    )
    stop_loss_pct: Percent = Field(
        15.0,
        gt=0,
        description="Close the whole grid when its position is down this much in percent.",
    )

    @model_validator(mode="after")
    def _inside_bounds(self) -> GridPair:
        problems: list[tuple[str, str]] = []
        for bound in ("upper_bound_pct", "lower_bound_pct"):
            if getattr(self, bound) < self.grid_spacing_pct:
                problems.append(
                    (
                        bound,
                        f"{getattr(self, bound)} is narrower than grid_spacing_pct "
                        f"{self.grid_spacing_pct}; the grid would hold no level on that side",
                    )
                )
        if self.rebalance_trigger_pct > self.upper_bound_pct:
            problems.append(
                (
                    "rebalance_trigger_pct",
                    f"{self.rebalance_trigger_pct} is beyond upper_bound_pct {self.upper_bound_pct}; "
                    "the grid must recentre before price leaves it",
                )
            )
        check_rules(problems)
        return self


def _default_pairs() -> list[GridPair]:
    return [
        GridPair(
            symbol="BTC/USDT",
            grid_type="arithmetic",
            num_grids=20,
            grid_spacing_pct=0.5,
            order_size_usd=50.0,
            upper_bound_pct=10.0,
            lower_bound_pct=10.0,
            rebalance_trigger_pct=8.0,
            take_profit_pct=None,
            stop_loss_pct=15.0,
        ),
        GridPair(
            symbol="ETH/USDT",
            grid_type="geometric",
            num_grids=15,
            grid_spacing_pct=0.8,
            order_size_usd=30.0,
            upper_bound_pct=12.0,
            lower_bound_pct=12.0,
            rebalance_trigger_pct=10.0,
            take_profit_pct=None,
            stop_loss_pct=15.0,
        ),
    ]


class GridStrategyConfig(ConfigModel):
    """The grid strategy: buy below and sell above a centre price at fixed spacing."""

    enabled: bool = Field(True, description="Run the grid strategy.")
    pairs: list[GridPair] = Field(
        default_factory=_default_pairs,
        description="One grid per pair. Default: the BTC/USDT (arithmetic, 20 grids, 0.5 %, "
        "$50, ±10 %) and ETH/USDT (geometric, 15 grids, 0.8 %, $30, ±12 %) grids.",
    )
    max_open_orders: PositiveInt = Field(
        40, description="Most resting grid orders across all pairs."
    )
    min_profit_after_fees: float = Field(
        0.15, ge=0, description="Smallest profit per round trip after fees, in percent."
    )
    fee_rate: float = Field(
        0.075, ge=0, le=5, description="Fee per fill assumed when sizing the spacing, in percent."
    )

    @model_validator(mode="after")
    def _spacing_pays_fees(self) -> GridStrategyConfig:
        problems: list[tuple[str, str]] = []
        floor = 2 * self.fee_rate + self.min_profit_after_fees
        seen: set[str] = set()
        for index, pair in enumerate(self.pairs):
            if pair.symbol in seen:
                problems.append((f"pairs[{index}].symbol", f"{pair.symbol!r} has a grid already"))
            seen.add(pair.symbol)
            if pair.grid_spacing_pct < floor:
                problems.append(
                    (
                        f"pairs[{index}].grid_spacing_pct",
                        f"{pair.grid_spacing_pct} is below 2 x fee_rate + min_profit_after_fees = "
                        f"{floor:g}; a round trip would not pay its two fees and the minimum profit",
                    )
                )
        check_rules(problems)
        return self


class GridStrategyFile(ConfigModel):
    """Grid trading (``grid_config.yaml``): resting buys below and sells above a centre price."""

    grid_strategy: GridStrategyConfig = Field(
        default_factory=GridStrategyConfig, description="Grid strategy."
    )
