"""Model of ``momentum_config.yaml``: the 1h/4h multi-indicator trend strategy."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from quantbot.config.base import (
    ConfigModel,
    Percent,
    PositiveInt,
    Symbol,
    Timeframe,
    check_rules,
    timeframe_seconds,
)

__all__ = ["MomentumScope", "MomentumSignals", "MomentumStrategyConfig", "MomentumStrategyFile"]


class MomentumSignals(BaseModel):
    """How the momentum strategy decides: settings of the file and strategy parameters.

    One definition for both, so that the file and ``--param`` speak one language. It
    carries no model configuration of its own: :class:`MomentumStrategyConfig` reads
    it strictly from the file, the strategy's parameters
    (:class:`~quantbot.strategies.momentum_params.MomentumParams`) accept command-line
    text. Periods that feed TA-Lib are bounded as the indicators need (at least 2).
    """

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

    def signal_problems(self) -> list[tuple[str, str]]:
        """The rules across these settings, broken ones as ``(key, explanation)``."""
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
        return problems


class MomentumScope(ConfigModel):
    """Whether and on what the momentum strategy runs (first in the file)."""

    enabled: bool = Field(True, description="Run the momentum strategy.")
    pairs: list[Symbol] = Field(
        default_factory=lambda: ["BTC/USDT", "ETH/USDT", "SOL/USDT", "AVAX/USDT", "LINK/USDT"],
        min_length=1,
        description="Pairs scanned for entries.",
    )


class MomentumStrategyConfig(MomentumSignals, MomentumScope):
    """Trend following: EMA cross confirmed by RSI, ADX, volume and the higher timeframe."""

    @model_validator(mode="after")
    def _coherent(self) -> MomentumStrategyConfig:
        problems = self.signal_problems()
        duplicates = sorted({p for p in self.pairs if self.pairs.count(p) > 1})
        if duplicates:
            problems.append(("pairs", f"lists {', '.join(duplicates)} more than once"))
        check_rules(problems)
        return self


class MomentumStrategyFile(ConfigModel):
    """Momentum (``momentum_config.yaml``): 1h trend entries confirmed on 4h, ATR trailing stops."""

    momentum_strategy: MomentumStrategyConfig = Field(
        default_factory=MomentumStrategyConfig, description="Momentum strategy."
    )
