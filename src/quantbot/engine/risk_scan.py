"""The risk manager's compiled forward scan: the next bar where an observation matters.

Between two events positions do not change, so the account's equity is
``constant + sum(quantities * prices[:, bar])`` and the first bar where it crosses a
loss limit or a drawdown brake's threshold is found by scanning forward, as the
venue's scan finds the next order trigger. numba compiles these loops (cached on disk
after the first run); they live apart from the risk manager, which mypyc compiles
(:mod:`quantbot.compiled`), because a numba function cannot be compiled by both.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["equity_at", "first_risk_bar"]


@njit(cache=True, nogil=True)
def equity_at(prices: np.ndarray, constant: float, quantities: np.ndarray, bar: int) -> float:
    """``constant + sum(quantities * prices[:, bar])``: the account's equity at ``bar``'s close."""
    total = 0.0
    for row in range(quantities.shape[0]):
        total += quantities[row] * prices[row, bar]
    return constant + total


@njit(cache=True, nogil=True)
def first_risk_bar(  # noqa: PLR0917 -- numba compiles positional parameters only
    prices: np.ndarray,
    constant: float,
    quantities: np.ndarray,
    check: np.ndarray,
    start: int,
    stop: int,
    trip: float,
    peak: float,
    engage_pct: float,
    release_pct: float,
) -> tuple[int, float, int]:
    """First check bar in ``[start, stop)`` where an observation may change a breaker or brake.

    Returns (that bar or ``stop``, the highest equity of the check bars before it, the
    bar of that equity or -1). Bars whose equity is not a positive finite amount are
    never observed, so never returned.
    """
    best = -np.inf
    best_bar = -1
    for bar in range(start, stop):
        if not check[bar]:
            continue
        equity = equity_at(prices, constant, quantities, bar)
        if not (equity > 0.0 and equity < np.inf):
            continue
        if equity <= trip:
            return bar, best, best_bar
        top = max(peak, best, equity)
        drawdown = (1.0 - equity / top) * 100.0
        if drawdown >= engage_pct or drawdown <= release_pct:
            return bar, best, best_bar
        if equity > best:
            best = equity
            best_bar = bar
    return stop, best, best_bar
