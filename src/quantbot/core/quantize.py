"""Rounding prices and quantities to a market's tick and lot: the one place it happens.

Every price and quantity passes here before it reaches a venue. Rounding goes in the
direction that never breaks a promise: quantities down (an order never exceeds what
was decided or what is affordable), buy prices down and sell prices up (a limit order
never pays more, or accepts less, than the strategy asked). A tiny relative tolerance
keeps values that are already on the grid, up to float noise, where they are.
"""

from __future__ import annotations

import math

__all__ = ["quantize_price", "quantize_qty"]

_ON_GRID_TOL = 1e-12
"""Relative distance to a grid point below which a value counts as on it (float noise)."""


def quantize_qty(qty: float, lot_size: float | None) -> float:
    """``qty`` rounded down to a multiple of ``lot_size`` (unchanged without a lot size)."""
    if lot_size is None or lot_size <= 0:
        return qty
    steps = qty / lot_size
    nearest = round(steps)
    if abs(steps - nearest) <= _ON_GRID_TOL * max(1.0, abs(steps)):
        return qty  # on the grid up to float noise: kept exactly as asked
    return math.floor(steps) * lot_size


def quantize_price(price: float, tick_size: float | None, *, round_up: bool) -> float:
    """``price`` on the tick grid, rounded up (sell limits) or down (buy limits)."""
    if tick_size is None or tick_size <= 0:
        return price
    steps = price / tick_size
    nearest = round(steps)
    if abs(steps - nearest) <= _ON_GRID_TOL * max(1.0, abs(steps)):
        return price
    return (math.ceil(steps) if round_up else math.floor(steps)) * tick_size
