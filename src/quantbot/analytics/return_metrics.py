"""Return statistics of an equity curve, from its daily returns (see :mod:`.daily_equity`).

The formulas are empyrical's (empyrical-reloaded), annualised with 365 days because
crypto trades every day, and a test checks that the figures agree with empyrical's
to 1e-9 relative on the same daily returns ``r`` (``n`` of them):

- CAGR = ``(final / initial) ** (365 / n) - 1``; empyrical's ``annual_return``.
- Annual volatility = ``std(r, ddof=1) * sqrt(365)``.
- Sharpe = ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(365)``, ``rf`` the daily
  risk-free rate (the annual rate / 365). NaN for fewer than two returns; when every
  return is the same the deviation is taken as exactly 0, giving +-inf (or NaN for a
  zero mean), as empyrical does.
- Sortino = ``mean(r - rf) * 365 / (sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(365))``:
  the downside deviation is the root mean square of the shortfalls below ``rf`` over
  ALL days (days above count as 0), empyrical's definition, not the standard
  deviation of the negative returns alone (REQUIREMENTS.md section 13 gives the
  latter; empyrical's is the one of Sortino's own papers). +inf without a shortfall.
- Maximum drawdown = ``min(value / running_peak - 1)`` over the anchored daily curve.
- Calmar = CAGR / ``|max drawdown|``; NaN when there is no drawdown.

Ratios are plain numbers; ``*_pct`` values are percentages (2.0 = 2 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantbot.analytics.daily_equity import DailyEquity
from quantbot.analytics.drawdown import drawdown_stats

__all__ = [
    "DAYS_PER_YEAR",
    "ReturnMetrics",
    "annual_return",
    "annual_volatility",
    "calmar_ratio",
    "return_metrics",
    "sharpe_ratio",
    "sortino_ratio",
]

DAYS_PER_YEAR = 365
"""Daily returns per year: crypto markets never close."""


@dataclass(frozen=True, slots=True)
class ReturnMetrics:
    """What an equity curve returned and risked, from its daily closes.

    Attributes:
        initial_equity: equity before the first bar, quote currency.
        final_equity: equity at the last bar's close, quote currency.
        total_return_quote: ``final_equity - initial_equity``.
        total_return_pct: the same as a percentage of ``initial_equity``.
        cagr_pct: compound annual growth rate (100.0 = doubled in a year).
        annual_volatility_pct: annualised standard deviation of daily returns.
        sharpe: annualised Sharpe ratio.
        sortino: annualised Sortino ratio.
        calmar: CAGR over the maximum drawdown.
        max_drawdown_pct: deepest fall from a daily-close peak, <= 0.
        max_drawdown_peak_ts_ms: the daily close at which that drawdown's peak was set.
        max_drawdown_trough_ts_ms: the daily close at which it bottomed.
        max_drawdown_recovery_ts_ms: the daily close at which it was recovered, if ever.
        max_drawdown_duration_days: the longest time under water (from a peak to its
            recovery, or to the end if not recovered), days.
        days: number of daily returns (UTC calendar days covered).
    """

    initial_equity: float
    final_equity: float
    total_return_quote: float
    total_return_pct: float
    cagr_pct: float
    annual_volatility_pct: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown_pct: float
    max_drawdown_peak_ts_ms: int | None
    max_drawdown_trough_ts_ms: int | None
    max_drawdown_recovery_ts_ms: int | None
    max_drawdown_duration_days: float
    days: int


def _divide(numerator: float, denominator: float) -> float:
    # IEEE division: x/0 is +-inf and 0/0 NaN, as numpy (and so empyrical) gives.
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(numerator) / np.float64(denominator))


def annual_return(returns: np.ndarray) -> float:
    """CAGR as a fraction from daily returns; NaN without returns or for a negative end.

    +inf when the annualised figure exceeds float range (a large gain over a few days).
    """
    r = np.asarray(returns, dtype=np.float64)
    if len(r) == 0:
        return math.nan
    growth = np.prod(1.0 + r)
    if growth < 0.0:
        return math.nan
    # numpy's power overflows to inf (a huge gain over a few days), Python's raises.
    with np.errstate(over="ignore"):
        return float(np.power(growth, DAYS_PER_YEAR / len(r)) - 1.0)


def annual_volatility(returns: np.ndarray) -> float:
    """Annualised standard deviation of daily returns (fraction); NaN below two returns."""
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 2:
        return math.nan
    return float(np.std(r, ddof=1) * math.sqrt(DAYS_PER_YEAR))


def sharpe_ratio(returns: np.ndarray, *, risk_free_daily: float = 0.0) -> float:
    """Annualised Sharpe ratio of daily returns; see the module docstring for edge cases.

    Args:
        returns: daily simple returns (fractions).
        risk_free_daily: risk-free return per day (fraction).
    """
    excess = np.asarray(returns, dtype=np.float64) - risk_free_daily
    if len(excess) < 2:
        return math.nan
    # Identical values can leave a deviation of ~1e-18 from rounding in the mean; it is 0.
    deviation = 0.0 if excess.max() == excess.min() else float(np.std(excess, ddof=1))
    return _divide(float(np.mean(excess)), deviation) * math.sqrt(DAYS_PER_YEAR)


def sortino_ratio(returns: np.ndarray, *, risk_free_daily: float = 0.0) -> float:
    """Annualised Sortino ratio of daily returns (downside deviation over all days).

    Args:
        returns: daily simple returns (fractions).
        risk_free_daily: the minimum acceptable daily return (fraction).
    """
    excess = np.asarray(returns, dtype=np.float64) - risk_free_daily
    if len(excess) < 2:
        return math.nan
    shortfall = np.minimum(excess, 0.0)
    downside = math.sqrt(float(np.mean(shortfall * shortfall))) * math.sqrt(DAYS_PER_YEAR)
    return _divide(float(np.mean(excess)) * DAYS_PER_YEAR, downside)


def calmar_ratio(cagr: float, max_drawdown: float) -> float:
    """CAGR over the size of the maximum drawdown (both fractions); NaN without drawdown."""
    if not max_drawdown < 0.0:
        return math.nan
    ratio = cagr / abs(max_drawdown)
    return math.nan if math.isinf(ratio) else ratio


def return_metrics(daily: DailyEquity, *, risk_free_rate_pct: float = 0.0) -> ReturnMetrics:
    """Compute every return statistic of one daily equity curve.

    Args:
        daily: the anchored daily curve (:func:`quantbot.analytics.daily_equity`).
        risk_free_rate_pct: annual risk-free rate in percent (4.0 = 4 % a year), spread
            evenly over 365 days for Sharpe and Sortino.

    Returns:
        The statistics; ratios that are undefined for this curve are NaN.
    """
    initial = float(daily.values[0])
    final = float(daily.values[-1])
    returns = daily.returns
    risk_free_daily = risk_free_rate_pct / 100.0 / DAYS_PER_YEAR
    drawdowns = drawdown_stats(daily.close_ms, daily.values)
    cagr = annual_return(returns)
    return ReturnMetrics(
        initial_equity=initial,
        final_equity=final,
        total_return_quote=final - initial,
        total_return_pct=_divide(final - initial, initial) * 100.0,
        cagr_pct=cagr * 100.0,
        annual_volatility_pct=annual_volatility(returns) * 100.0,
        sharpe=sharpe_ratio(returns, risk_free_daily=risk_free_daily),
        sortino=sortino_ratio(returns, risk_free_daily=risk_free_daily),
        calmar=calmar_ratio(cagr, drawdowns.max_drawdown_pct / 100.0),
        max_drawdown_pct=drawdowns.max_drawdown_pct,
        max_drawdown_peak_ts_ms=drawdowns.peak_ts_ms,
        max_drawdown_trough_ts_ms=drawdowns.trough_ts_ms,
        max_drawdown_recovery_ts_ms=drawdowns.recovery_ts_ms,
        max_drawdown_duration_days=drawdowns.longest_underwater_days,
        days=daily.days,
    )
