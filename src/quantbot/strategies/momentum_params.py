"""Parameters of the momentum strategy: ``momentum_config.yaml``'s values plus the fixed periods.

:class:`MomentumParams` has every field of
:class:`~quantbot.config.momentum.MomentumStrategyConfig` except ``enabled`` and
``pairs`` (those say whether and on what the strategy runs; the engine gives it its
symbols), with the same names and defaults, so that the configuration file and
``--param`` speak one language (a test pins that they agree); periods that feed
TA-Lib are bounded as the indicators need. It adds the
periods and levels the blueprint fixes without naming a setting for them: the
20-candle volume average, MACD 12/26/9, the RSI divergence lookback, the stop's
tightening steps, the 2R target of the time stop and a cap on one position's size.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from quantbot.config.base import Percent, PositiveInt, Timeframe, check_rules, timeframe_seconds
from quantbot.config.momentum import MomentumStrategyConfig
from quantbot.strategies.base import StrategyParams

__all__ = ["MomentumParams"]


class MomentumParams(StrategyParams):
    """Parameters of :class:`~quantbot.strategies.momentum.Momentum`."""

    timeframe: Timeframe = Field("1h", description="Signal timeframe.")
    confirmation_timeframe: Timeframe = Field(
        "4h", description="Higher timeframe whose EMA trend must agree."
    )
    ema_fast: PositiveInt = Field(9, description="Fast EMA period.")
    ema_slow: PositiveInt = Field(21, description="Slow EMA period.")
    rsi_period: int = Field(14, ge=2, description="RSI period.")
    rsi_long_threshold: float = Field(
        55.0, ge=0, le=100, description="RSI must be above this to go long."
    )
    rsi_short_threshold: float = Field(
        45.0, ge=0, le=100, description="RSI must be below this to go short."
    )
    adx_period: int = Field(14, ge=2, description="ADX period.")
    adx_min_strength: float = Field(
        25.0, ge=0, le=100, description="ADX must be above this (trend strength)."
    )
    volume_surge_multiplier: float = Field(
        1.5, gt=0, description="Volume must exceed this multiple of its 20-bar average."
    )
    atr_period: PositiveInt = Field(14, description="ATR period for stops.")
    risk_per_trade_pct: Percent = Field(
        1.0, gt=0, description="Equity risked per trade at the initial stop."
    )
    max_concurrent_positions: PositiveInt = Field(
        3, description="Most open momentum positions across all pairs."
    )
    trailing_stop_atr_multiplier: float = Field(
        1.5, gt=0, description="Initial trailing stop distance in ATRs."
    )
    time_stop_hours: float = Field(
        72.0, gt=0, description="Close a trade that has not reached 2R after this many hours."
    )
    min_daily_volume_usd: float = Field(
        50_000_000.0, ge=0, description="Skip pairs trading less than this per day."
    )
    avoid_within_minutes_of_funding: int = Field(
        30, ge=0, description="No entries this close to a funding settlement."
    )
    cooldown_after_loss_minutes: int = Field(
        60, ge=0, description="No new entry on a pair this long after a loss there."
    )
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
        problems: list[tuple[str, str]] = []
        if self.ema_fast >= self.ema_slow:
            problems.append(
                ("ema_fast", f"{self.ema_fast} must be shorter than ema_slow {self.ema_slow}")
            )
        if self.rsi_short_threshold > self.rsi_long_threshold:
            problems.append(
                (
                    "rsi_short_threshold",
                    f"{self.rsi_short_threshold} is above rsi_long_threshold "
                    f"{self.rsi_long_threshold}; one RSI value would signal both long and short",
                )
            )
        if timeframe_seconds(self.confirmation_timeframe) <= timeframe_seconds(self.timeframe):
            problems.append(
                (
                    "confirmation_timeframe",
                    f"{self.confirmation_timeframe!r} must be longer than timeframe "
                    f"{self.timeframe!r}",
                )
            )
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
