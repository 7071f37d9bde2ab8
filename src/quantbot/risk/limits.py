"""The numbers the portfolio rules enforce, in one frozen value.

:class:`RiskLimits` holds the limits of REQUIREMENTS.md §7 with its defaults. It is
plain typed data: the risk layer does not read configuration; whoever assembles the
chain maps the settings onto it. Percentages follow the project's convention (2.0 =
2 %), amounts are in the quote currency, a USD stablecoin (``*_usd``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from quantbot.core import InvalidValue

__all__ = ["RiskLimits"]


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The portfolio limits every opening order is checked against.

    Attributes:
        max_risk_per_trade_pct: What one trade may lose at its declared stop, in % of
            equity.
        max_order_size_usd: Largest notional one order may open.
        max_total_exposure_pct: Gross exposure of all positions, in % of equity.
        max_single_pair_exposure_pct: Exposure of one symbol, in % of equity.
        max_correlated_exposure_pct: Exposure of one group of correlated base assets
            (BTC and ETH, say), in % of equity.
        max_capital_per_exchange_pct: Exposure on one exchange, in % of equity.
        reserve_cash_pct: Stablecoin cash that must stay uncommitted, in % of equity.
        leverage_cap: Highest portfolio leverage (gross exposure / equity) an order may
            reach, e.g. 3.0.
        asset_whitelist: Base assets that may be traded; empty = every asset.
        asset_blacklist: Base assets that may not be traded.
        correlation_groups: Base assets always counted together, e.g.
            ``(("BTC", "ETH"),)``; the rolling correlation adds more.
        correlation_threshold: Return correlation from which two assets join a group.
        correlation_window_days: Days of daily returns the rolling correlation spans.

    Raises:
        InvalidValue: if a number is negative or not finite, the leverage cap is not
            positive, the threshold is outside (0, 1], the window is below 2 days, or
            an asset is both white- and blacklisted.
    """

    max_risk_per_trade_pct: float = 2.0
    max_order_size_usd: float = 500.0
    max_total_exposure_pct: float = 60.0
    max_single_pair_exposure_pct: float = 20.0
    max_correlated_exposure_pct: float = 35.0
    max_capital_per_exchange_pct: float = 60.0
    reserve_cash_pct: float = 20.0
    leverage_cap: float = 6.0
    asset_whitelist: frozenset[str] = frozenset()
    asset_blacklist: frozenset[str] = frozenset()
    correlation_groups: tuple[tuple[str, ...], ...] = ()
    correlation_threshold: float = 0.8
    correlation_window_days: int = 30

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, int | float) and not (math.isfinite(value) and value >= 0.0):
                raise InvalidValue(f"risk limit {field.name} {value}, must be finite and >= 0")
        if self.leverage_cap <= 0.0:
            raise InvalidValue(f"risk limit leverage_cap {self.leverage_cap}, must be > 0")
        if not 0.0 < self.correlation_threshold <= 1.0:
            raise InvalidValue(
                f"risk limit correlation_threshold {self.correlation_threshold}, must be in (0, 1]"
            )
        if self.correlation_window_days < 2:
            raise InvalidValue(
                f"risk limit correlation_window_days {self.correlation_window_days}, "
                "must be >= 2 (a correlation needs two returns)"
            )
        both = self.asset_whitelist & self.asset_blacklist
        if both:
            raise InvalidValue(f"assets {sorted(both)} are both whitelisted and blacklisted")
