"""The risk manager's settings as the risk layer takes them: ``risk_management`` mapped.

The risk layer knows nothing of the configuration files; this module is the one place
that turns ``settings.yaml``'s ``risk_management`` section (and the bot's time zone)
into the plain parameter objects of :mod:`quantbot.risk`, so that a backtest and the
live runtime build their risk manager from the same mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantbot.config.settings import DrawdownBrakes as DrawdownBrakeSettings
from quantbot.config.settings import RiskManagement, Settings
from quantbot.risk import BrakeLevel, LossLimits, OperationalLimits, RiskLimits

__all__ = ["RiskSetup", "brake_levels", "risk_setup"]


@dataclass(frozen=True)
class RiskSetup:
    """Everything the risk manager of a run needs.

    Attributes:
        limits: the portfolio rules of the pre-trade chain.
        loss_limits: the daily, weekly and monthly circuit breakers and the recovery.
        brake_levels: the drawdown brakes, or an empty tuple when they are off.
        operational: the API-error and price-shock breakers.
        timezone: IANA zone whose midnights start the breakers' days, weeks and months.
        check_interval_s: how often the breakers are evaluated besides every fill.
    """

    limits: RiskLimits
    loss_limits: LossLimits
    brake_levels: tuple[BrakeLevel, ...]
    operational: OperationalLimits
    timezone: str
    check_interval_s: int


def risk_setup(settings: Settings) -> RiskSetup:
    """The risk setup a configuration describes."""
    risk = settings.risk_management
    return RiskSetup(
        limits=_limits(risk),
        loss_limits=LossLimits(
            daily_loss_limit_pct=risk.daily_loss_limit_pct,
            weekly_loss_limit_pct=risk.weekly_loss_limit_pct,
            monthly_loss_limit_pct=risk.monthly_loss_limit_pct,
            reduce_position_sizes_by_pct=risk.after_circuit_breaker.reduce_position_sizes_by_pct,
            recovery_period_hours=risk.after_circuit_breaker.recovery_period_hours,
            resume_after_hours=risk.after_circuit_breaker.resume_after_hours,
        ),
        brake_levels=brake_levels(risk.drawdown_brakes),
        operational=OperationalLimits(
            max_api_errors=risk.operational.max_api_errors_per_minute,
            api_error_window_s=60.0,
            exchange_pause_s=risk.operational.exchange_pause_minutes * 60.0,
            price_shock_pct=risk.operational.price_shock_pct,
            price_shock_window_s=60.0,
        ),
        timezone=settings.bot.timezone,
        check_interval_s=settings.scheduling.risk_check_interval_seconds,
    )


def _limits(risk: RiskManagement) -> RiskLimits:
    return RiskLimits(
        max_risk_per_trade_pct=risk.max_risk_per_trade_pct,
        max_order_size_usd=risk.max_order_size_usd,
        max_total_exposure_pct=risk.max_total_exposure_pct,
        max_single_pair_exposure_pct=risk.max_single_pair_exposure_pct,
        max_correlated_exposure_pct=risk.max_correlated_exposure_pct,
        max_capital_per_exchange_pct=risk.max_capital_per_exchange_pct,
        reserve_cash_pct=risk.reserve_cash_pct,
        leverage_cap=risk.leverage_cap,
        asset_whitelist=frozenset(risk.asset_whitelist),
        asset_blacklist=frozenset(risk.asset_blacklist),
        correlation_groups=tuple(tuple(group) for group in risk.correlation.groups),
        correlation_threshold=risk.correlation.threshold,
        correlation_window_days=risk.correlation.window_days,
    )


def brake_levels(brakes: DrawdownBrakeSettings) -> tuple[BrakeLevel, ...]:
    """The brake levels: the take-profit factor from level 1, size and leverage from level 2.

    The last level also stops opening positions (the adaptive-grid spec's hard stop).
    Empty when the brakes are off.
    """
    if not brakes.enabled:
        return ()
    last = len(brakes.levels_pct) - 1
    return tuple(
        BrakeLevel(
            drawdown_pct=pct,
            take_profit_factor=brakes.tp_reduction_factor_level_1,
            order_size_factor=brakes.size_reduction_factor_level_2 if index >= 1 else 1.0,
            leverage_factor=brakes.leverage_reduction_factor_level_2 if index >= 1 else 1.0,
            stop_opening=index == last,
        )
        for index, pct in enumerate(brakes.levels_pct)
    )
