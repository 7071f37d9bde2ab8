"""What distinguishes the grid variants: which side starts, whether the top is open.

Every variant runs the same slots (a slot buys at one level and sells at the next);
they differ in the slots that start with an order and in what a rise does:

========== ============================ ============================== ==============
variant    slots below the centre       slots above the centre         perpetuals only
========== ============================ ============================== ==============
standard   buy, then sell one level up  empty until inventory arrives  no
infinity   as standard; no upper bound, the buys follow a rise         no
reverse    empty until inventory        sell short, buy back one down  yes
futures    buy, then sell one level up  sell short, buy back one down  yes
========== ============================ ============================== ==============
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from quantbot.strategies.grid_params import GridVariant

__all__ = ["VARIANTS", "VariantRules"]


@dataclass(frozen=True, slots=True)
class VariantRules:
    """How one variant lays and moves its grid.

    Attributes:
        buys_below: slots below the centre start with a buy (long slots).
        sells_above: slots above the centre start with a short sell (short slots).
        open_top: no upper bound; instead of recentring on a rise, the centre follows
            the price up level by level and the lowest buys make way for new ones.
        perpetual_only: it sells short, which only a perpetual allows.
    """

    buys_below: bool
    sells_above: bool
    open_top: bool = False
    perpetual_only: bool = False


VARIANTS: Mapping[GridVariant, VariantRules] = MappingProxyType(
    {
        "standard": VariantRules(buys_below=True, sells_above=False),
        "infinity": VariantRules(buys_below=True, sells_above=False, open_top=True),
        "reverse": VariantRules(buys_below=False, sells_above=True, perpetual_only=True),
        "futures": VariantRules(buys_below=True, sells_above=True, perpetual_only=True),
    }
)
"""The rules of every variant by name."""
