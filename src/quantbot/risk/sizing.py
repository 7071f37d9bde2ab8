"""Position sizing: how much to buy so that a trade risks what the plan allows.

Three methods, each returning a quantity in base units (contracts: divide by the
contract size) that is then capped by :func:`capped_qty` to the largest notional the
limits allow:

- :func:`fixed_fractional_qty` — lose ``risk_pct`` of equity if the stop is hit:
  ``equity * risk_pct / 100 / |entry - stop|``;
- :func:`volatility_qty` — the same with the stop ``atr_multiple`` ATRs away, so that
  volatile markets get smaller positions;
- :func:`half_kelly_fraction` — the share of equity the strategy's own closed trades
  justify: half of Kelly's ``f* = (p·b - q) / b`` with ``b`` the ratio of the average
  win to the average loss, floored at 0 (no edge, no bet). Half, because the full
  Kelly fraction assumes the win rate and payoff are known exactly; estimated from a
  short history they are not, and half Kelly gives up a quarter of the growth for
  half the variance.

The pre-trade chain still checks every order these sizes produce: sizing aims, the
chain enforces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "KELLY_MIN_TRADES",
    "capped_qty",
    "fixed_fractional_qty",
    "half_kelly_fraction",
    "volatility_qty",
]

KELLY_MIN_TRADES = 20
"""Fewer closed trades than this give no Kelly estimate (the fraction is 0)."""


def fixed_fractional_qty(equity: float, risk_pct: float, entry: float, stop: float) -> float:
    """Quantity that loses ``risk_pct`` % of ``equity`` between ``entry`` and ``stop``.

    Returns 0 when nothing can be risked (no equity, a stop at the entry, or a
    non-finite input), never a negative or infinite size.
    """
    distance = abs(entry - stop)
    budget = equity * risk_pct / 100.0
    if not (math.isfinite(distance) and math.isfinite(budget)) or distance <= 0 or budget <= 0:
        return 0.0
    return budget / distance


def volatility_qty(
    equity: float, risk_pct: float, atr: float, *, atr_multiple: float = 1.0
) -> float:
    """Quantity that loses ``risk_pct`` % of ``equity`` over ``atr_multiple`` ATRs.

    The ATR is in price units; a market twice as volatile gets half the quantity.
    """
    return fixed_fractional_qty(equity, risk_pct, atr * atr_multiple, 0.0)


def half_kelly_fraction(
    trade_pnls: Sequence[float], *, min_trades: int = KELLY_MIN_TRADES
) -> float:
    """Half the Kelly fraction of equity, from the P&L of the strategy's closed trades.

    ``p`` is the share of winning trades, ``b`` the average win over the average loss.
    A break-even trade counts as neither. Returns 0 with fewer than ``min_trades``
    trades, without a loss (``b`` undefined: no evidence of the downside) or without
    a win, and when Kelly says not to bet; at most 0.5 (half of everything).
    """
    wins = [pnl for pnl in trade_pnls if pnl > 0]
    losses = [-pnl for pnl in trade_pnls if pnl < 0]
    if len(trade_pnls) < min_trades or not wins or not losses:
        return 0.0
    p = len(wins) / (len(wins) + len(losses))
    b = (sum(wins) / len(wins)) / (sum(losses) / len(losses))
    kelly = (p * b - (1.0 - p)) / b
    return max(0.0, kelly) / 2.0


def capped_qty(qty: float, price: float, max_notional: float) -> float:
    """``qty`` cut so that ``qty * price`` stays within ``max_notional`` (quote currency)."""
    if qty <= 0 or price <= 0 or max_notional <= 0:
        return 0.0
    return min(qty, max_notional / price)
