"""Parameters of the funding-rate arbitrage: ``funding_config.yaml``'s values plus the signal's constants.

:class:`FundingArbParams` takes its decision settings and the rules across them from
:class:`~quantbot.config.funding.FundingSignals`, the very fields of
:class:`~quantbot.config.funding.FundingStrategyConfig` but ``enabled``, ``pairs`` and
``exchanges`` (whether, on what and where the strategy runs: the engine gives it its
symbols and one account), so the configuration file and ``--param`` speak one language.

It adds what the configuration does not name: the leverage the perpetual leg is sized
at, and the exchange's funding formula (interval, interest part, premium clamp) from
which the strategy estimates the coming rate (:mod:`quantbot.strategies.funding_arb_signal`).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from quantbot.config.base import PositiveInt, check_rules
from quantbot.config.funding import FundingSignals, FundingStrategyConfig
from quantbot.strategies.base import StrategyParams

__all__ = ["FundingArbParams"]

_NOT_PARAMETERS = frozenset({"enabled", "pairs", "exchanges"})
"""Settings of the section that say whether, on what and where it runs, not how it decides."""


class FundingArbParams(StrategyParams, FundingSignals):
    """Parameters of :class:`~quantbot.strategies.funding_arb.FundingArb`.

    Funding rates are in percent per 8 hours (0.03 = 0.03 % per 8 h), whatever the
    exchange's settlement interval.
    """

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
        check_rules(self.signal_problems())
        return self
