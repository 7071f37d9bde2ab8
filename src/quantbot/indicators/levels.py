"""Support and resistance from swing highs and lows, known only once they are confirmed.

A **swing high** is a bar whose high is strictly above the highs of the ``strength``
bars on each side of it; a **swing low** a bar whose low is strictly below the lows of
the ``strength`` bars on each side (Williams' fractals use ``strength=2``). A bar
level with a neighbour (a flat top) is not a swing.

Whether bar s is a swing depends on the ``strength`` bars after it, so it is only
**known at bar s + strength**. The levels reported at bar t are those of the most
recent swings confirmed by t:

    resistance[t] = high[s] of the latest swing high with s + strength <= t
    support[t]    = low[s]  of the latest swing low  with s + strength <= t

NaN until the first swing is confirmed. Reading ``high[s]`` at bar t is no lookahead:
bar s is in the past.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from quantbot.indicators.jit import jit
from quantbot.indicators.series import FloatArray, aligned, check_period

__all__ = ["SwingLevels", "swing_levels"]


class SwingLevels(NamedTuple):
    """The latest confirmed swing levels (unpack as ``resistance, support``), in price units."""

    resistance: FloatArray
    """The high of the most recent confirmed swing high."""
    support: FloatArray
    """The low of the most recent confirmed swing low."""


def swing_levels(high: npt.ArrayLike, low: npt.ArrayLike, strength: int = 2) -> SwingLevels:
    """Resistance and support at each bar: the latest swing high and swing low confirmed by then.

    Args:
        high: bar highs.
        low: bar lows.
        strength: bars on each side a swing must exceed, >= 1; also the confirmation
            delay in bars.

    Returns:
        :class:`SwingLevels`, NaN until the first swing of each kind is confirmed
        (at the earliest on bar ``2 * strength``).

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            strength below 1.
    """
    highs, lows = aligned("swing_levels", high=high, low=low)
    bars = check_period("swing_levels", "strength", strength, maximum=None)
    resistance = np.empty(len(highs), dtype=np.float64)
    support = np.empty(len(lows), dtype=np.float64)
    _swing_levels_into(highs, -lows, bars, resistance, support)
    return SwingLevels(resistance=resistance, support=-support)


@jit
def _swing_levels_into(
    highs: FloatArray,
    negated_lows: FloatArray,
    strength: int,
    resistance: FloatArray,
    support: FloatArray,
) -> None:
    """Fill the levels; a swing low of ``low`` is a swing high of ``-low``, hence one test."""
    last_high = math.nan
    last_low = math.nan
    for t in range(len(highs)):
        candidate = t - strength
        if candidate >= strength:
            if _is_peak(highs, candidate, strength):
                last_high = highs[candidate]
            if _is_peak(negated_lows, candidate, strength):
                last_low = negated_lows[candidate]
        resistance[t] = last_high
        support[t] = last_low


@jit
def _is_peak(values: FloatArray, s: int, strength: int) -> bool:
    """``values[s]`` is strictly above the ``strength`` values on each side (false with NaN)."""
    for offset in range(1, strength + 1):
        if not (values[s] > values[s - offset] and values[s] > values[s + offset]):
            return False
    return True
