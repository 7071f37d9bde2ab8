"""Model of ``funding_config.yaml``: delta-neutral funding-rate arbitrage."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from quantbot.config.base import ConfigModel, Percent, PositiveInt, Symbol, check_rules

__all__ = [
    "FundingExchanges",
    "FundingScope",
    "FundingSignals",
    "FundingStrategyConfig",
    "FundingStrategyFile",
]


class FundingExchanges(ConfigModel):
    """Which exchanges hold the two legs."""

    spot: str = Field("binance", description="Exchange id of the long spot leg.")
    futures: str = Field("binance", description="Exchange id of the short perpetual leg.")


class FundingSignals(BaseModel):
    """When the arbitrage enters, sizes, rebalances and exits: file settings and parameters.

    One definition for both, so that the file and ``--param`` speak one language. It
    carries no model configuration of its own: :class:`FundingStrategyConfig` reads it
    strictly from the file, the strategy's parameters
    (:class:`~quantbot.strategies.funding_arb_params.FundingArbParams`) accept
    command-line text. Funding rates are in percent per 8 hours (0.03 = 0.03 % per
    8 h), whatever the exchange's settlement interval.
    """

    min_funding_rate: float = Field(
        0.03,
        description="Enter when the estimated funding per 8h exceeds this, in percent "
        "(0.03 = 0.03 %, about 33 % APR).",
    )
    exit_funding_rate: float = Field(
        0.01,
        description="Unwind both legs when the estimated funding per 8h falls below this, "
        "in percent.",
    )
    position_size_pct: Percent = Field(
        15.0,
        gt=0,
        description="Equity committed to each position: spot notional plus perpetual margin.",
    )
    max_positions: PositiveInt = Field(2, description="Most simultaneous arbitrage positions.")
    max_basis_divergence_pct: float = Field(
        1.5,
        gt=0,
        description="Close (and do not open) when the perpetual's price is further than "
        "this from spot, in percent.",
    )
    rebalance_threshold_pct: float = Field(
        2.0,
        gt=0,
        description="Trim the larger leg when the legs' base amounts differ by more than "
        "this, in percent of the larger.",
    )

    def signal_problems(self) -> list[tuple[str, str]]:
        """The rules across these settings, broken ones as ``(key, explanation)``."""
        problems: list[tuple[str, str]] = []
        if self.exit_funding_rate >= self.min_funding_rate:
            problems.append(
                (
                    "exit_funding_rate",
                    f"{self.exit_funding_rate} must be below min_funding_rate "
                    f"{self.min_funding_rate}; otherwise a position would be closed as soon "
                    "as it opens",
                )
            )
        committed = self.position_size_pct * self.max_positions
        if committed > 100:
            problems.append(
                (
                    "position_size_pct",
                    f"{self.position_size_pct} x max_positions {self.max_positions} = "
                    f"{committed:g} % of equity, more than there is",
                )
            )
        return problems


class FundingScope(ConfigModel):
    """Whether, on what and where the arbitrage runs (first in the file)."""

    enabled: bool = Field(
        False, description="Run funding-rate arbitrage (worth it from about $10K)."
    )
    exchanges: FundingExchanges = Field(
        default_factory=FundingExchanges, description="Exchanges of the two legs."
    )
    pairs: list[Symbol] = Field(
        default_factory=lambda: ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
        min_length=1,
        description="Spot pairs whose USDT perpetuals are traded against them.",
    )


class FundingStrategyConfig(FundingSignals, FundingScope):
    """Long spot + short perpetual of equal size while funding pays the short side."""

    @model_validator(mode="after")
    def _coherent(self) -> FundingStrategyConfig:
        check_rules(self.signal_problems())
        return self


class FundingStrategyFile(ConfigModel):
    """Funding-rate arbitrage (``funding_config.yaml``): long spot, short perpetual, collect funding."""

    funding_strategy: FundingStrategyConfig = Field(
        default_factory=FundingStrategyConfig, description="Funding-rate arbitrage."
    )
