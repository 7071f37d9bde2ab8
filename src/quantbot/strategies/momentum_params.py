"""Parameters of the momentum strategy: ``momentum_config.yaml``'s values plus the fixed periods.

:class:`MomentumParams` takes its decision settings from
:class:`~quantbot.config.momentum.MomentumSignals`, the very fields of
:class:`~quantbot.config.momentum.MomentumStrategyConfig` but ``enabled`` and ``pairs``
(those say whether and on what the strategy runs; the engine gives it its symbols), so
the configuration file and ``--param`` speak one language. It adds the periods and
levels the blueprint fixes without naming a setting for them: the 20-candle volume
average, MACD 12/26/9, the RSI divergence lookback, the stop's tightening steps, the 2R
target of the time stop and a cap on one position's size.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from quantbot.config.base import PositiveInt, check_rules
from quantbot.config.momentum import MomentumSignals, MomentumStrategyConfig
from quantbot.strategies.base import StrategyParams

__all__ = ["MomentumParams"]


class MomentumParams(StrategyParams, MomentumSignals):
    """Parameters of :class:`~quantbot.strategies.momentum.Momentum`."""

    volume_period: int = Field(
        20, ge=1, description="Candles in the volume average the surge is measured against."
    )
    macd_fast: int = Field(12, ge=2, description="MACD fast EMA period.")
    macd_slow: int = Field(26, ge=3, description="MACD slow EMA period.")
    macd_signal: PositiveInt = Field(9, description="MACD signal line period.")
    divergence_lookback: PositiveInt = Field(
        14,
        description="Earlier candles whose highest (lowest) close a new close must beat for an "
        "RSI divergence exit.",
    )
    stop_tightening: tuple[tuple[float, float], ...] = Field(
        ((1.0, 1.2), (2.0, 1.0), (3.0, 0.8)),
        description="Steps (profit in R, stop distance in ATRs): once the best close of a trade "
        "was more than that profit, the stop trails at that many ATRs.",
    )
    time_stop_target_r: float = Field(
        2.0, gt=0, description="Profit in R that exempts a trade from the time stop."
    )
    max_position_pct: float = Field(
        100.0,
        gt=0,
        description="Most one position may be worth, in % of the strategy's equity; "
        "the risk-based size is cut to it (a tight stop would otherwise size a huge position).",
    )

    @classmethod
    def from_config(cls, config: MomentumStrategyConfig) -> MomentumParams:
        """The parameters a ``momentum_strategy`` configuration section describes."""
        # enabled and pairs say whether and on what the strategy runs, not how it decides.
        return cls.model_validate(config.model_dump(exclude={"enabled", "pairs"}))

    @model_validator(mode="after")
    def _coherent(self) -> MomentumParams:
        problems = self.signal_problems()
        if self.macd_fast >= self.macd_slow:
            problems.append(
                ("macd_fast", f"{self.macd_fast} must be shorter than macd_slow {self.macd_slow}")
            )
        problems.extend(self._tightening_problems())
        check_rules(problems)
        return self

    def _tightening_problems(self) -> list[tuple[str, str]]:
        """Steps must climb in profit and narrow the stop, each below the initial distance."""
        problems = []
        distance = self.trailing_stop_atr_multiplier
        profit = 0.0
        for index, (step_r, step_atr) in enumerate(self.stop_tightening):
            if step_r <= profit:
                problems.append(
                    (
                        f"stop_tightening[{index}]",
                        f"profit {step_r}R must be above {profit}R (the previous step, or 0)",
                    )
                )
            if not 0 < step_atr < distance:
                problems.append(
                    (
                        f"stop_tightening[{index}]",
                        f"distance {step_atr} ATR must be above 0 and below {distance} "
                        "(the previous step, or trailing_stop_atr_multiplier): a stop only tightens",
                    )
                )
            profit, distance = step_r, step_atr
        return problems
