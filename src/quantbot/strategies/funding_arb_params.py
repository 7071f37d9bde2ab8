"""Parameters of the funding-rate arbitrage: ``funding_config.yaml``'s values plus the signal's constants.

:class:`FundingArbParams` has every field of
:class:`~quantbot.config.funding.FundingStrategyConfig` except ``enabled``, ``pairs``
and ``exchanges`` (whether, on what and where the strategy runs: the engine gives it
its symbols and one account), with the same names and defaults, so that the
configuration file and ``--param`` speak one language (a test pins that they agree).
The section's cross-field rules (exit rate below the entry rate, positions that fit in
the equity) are the configuration model's: the parameters are checked through it
rather than with a copy of its rules.

It adds what the configuration does not name: the leverage the perpetual leg is sized
at, and the exchange's funding formula (interval, interest part, premium clamp) from
which the strategy estimates the coming rate (:mod:`quantbot.strategies.funding_arb_signal`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, model_validator

from quantbot.config.base import Percent, PositiveInt, check_rules
from quantbot.config.funding import FundingStrategyConfig
from quantbot.strategies.base import StrategyParams

__all__ = ["FundingArbParams"]

_NOT_PARAMETERS = frozenset({"enabled", "pairs", "exchanges"})
"""Settings of the section that say whether, on what and where it runs, not how it decides."""


class FundingArbParams(StrategyParams):
    """Parameters of :class:`~quantbot.strategies.funding_arb.FundingArb`.

    Funding rates are in percent per 8 hours (0.03 = 0.03 % per 8 h), whatever the
    exchange's settlement interval.
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
    leverage: float = Field(
        1.0,
        gt=0,
        description="Leverage the perpetual leg's margin is sized at: set it to the "
        "account's (--leverage). Higher than the account's, the margin check cuts the "
        "short and the spot leg is cut to match.",
    )
    funding_interval_hours: PositiveInt = Field(
        8,
        description="Hours between funding settlements (Binance USD-M: 8); the premium is "
        "averaged over one interval.",
    )
    interest_rate_pct: float = Field(
        0.01,
        description="Interest part of the funding formula per interval, in percent "
        "(Binance: 0.01).",
    )
    premium_clamp_pct: float = Field(
        0.05,
        ge=0,
        description="Clamp of the interest-minus-premium term of the funding formula, "
        "in percent (Binance: 0.05).",
    )

    @classmethod
    def from_config(cls, config: FundingStrategyConfig) -> FundingArbParams:
        """The parameters a ``funding_strategy`` configuration section describes."""
        return cls.model_validate(config.model_dump(exclude=set(_NOT_PARAMETERS)))

    @model_validator(mode="after")
    def _coherent(self) -> FundingArbParams:
        shared = set(FundingStrategyConfig.model_fields) - _NOT_PARAMETERS
        try:
            FundingStrategyConfig.model_validate(self.model_dump(include=shared))
        except ValidationError as exc:
            check_rules([problem for error in exc.errors() for problem in _problems(error)])
        return self


def _problems(error: Any) -> list[tuple[str, str]]:
    """The ``(key, explanation)`` pairs of one error of the configuration model."""
    problems = error.get("ctx", {}).get("problems")
    if problems:
        return [(str(key), str(message)) for key, message in problems]
    return [(".".join(map(str, error["loc"])), str(error["msg"]))]
