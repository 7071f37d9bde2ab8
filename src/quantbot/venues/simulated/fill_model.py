"""Fees, slippage, volume limits and latency of the simulated venue: the fill model.

Every assumption the simulated venue makes about executions is a field here, with its
default, so a backtest states exactly what it assumed (the run stores the model with
its results). See docs/backtesting.md for how the fields are used bar by bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from quantbot.core import Side

__all__ = ["FillModel"]


@dataclass(frozen=True, slots=True)
class FillModel:
    """How the simulated venue fills orders.

    Attributes:
        maker_fee_pct: fee of fills that rested on the book, percent of notional
            (0.075 = Binance with the BNB discount).
        taker_fee_pct: fee of fills that took liquidity (market, stop, marketable
            limit), percent of notional.
        slippage_pct: adverse price move of every taker fill, percent of its reference
            price (the open for market orders, the stop price for stops).
        impact_pct: extra adverse move, percent, for a fill that takes a whole bar's
            volume; it scales linearly with the share of the volume taken.
        max_volume_share: most of a bar's volume all fills on that bar may take
            (0.1 = 10 %); the rest of an order stays working. None: no limit.
        latency_bars: extra bars before an order reaches the book; 0 means an order
            decided at the close of bar t may fill from bar t+1 on.
        fill_limits_on_touch: a resting limit fills when the price touches it (low <=
            buy limit); False requires the price to trade through it (low < limit).
    """

    maker_fee_pct: float = 0.075
    taker_fee_pct: float = 0.10
    slippage_pct: float = 0.03
    impact_pct: float = 0.0
    max_volume_share: float | None = 0.1
    latency_bars: int = 0
    fill_limits_on_touch: bool = True

    def __post_init__(self) -> None:
        for name in ("maker_fee_pct", "taker_fee_pct"):
            if not -1.0 <= getattr(self, name) <= 5.0:
                raise ValueError(f"{name} {getattr(self, name)} must be between -1 and 5 percent")
        for name in ("slippage_pct", "impact_pct"):
            if not 0.0 <= getattr(self, name) <= 10.0:
                raise ValueError(f"{name} {getattr(self, name)} must be between 0 and 10 percent")
        if self.max_volume_share is not None and not 0.0 < self.max_volume_share <= 1.0:
            raise ValueError(f"max_volume_share {self.max_volume_share} must be in (0, 1]")
        if self.latency_bars < 0:
            raise ValueError(f"latency_bars {self.latency_bars} must be >= 0")

    def capacity(self, bar_volume: float) -> float:
        """Quantity all fills on a bar may take together."""
        if self.max_volume_share is None:
            return math.inf
        return max(bar_volume, 0.0) * self.max_volume_share

    def taker_price(self, reference: float, side: Side, qty: float, bar_volume: float) -> float:
        """Execution price of a taker fill: the reference moved against the taker."""
        share = qty / bar_volume if bar_volume > 0 else 1.0
        move = (self.slippage_pct + self.impact_pct * min(share, 1.0)) / 100.0
        return reference * (1.0 + move) if side is Side.BUY else reference * (1.0 - move)

    def fee(self, notional: float, *, maker: bool) -> float:
        """Fee of a fill of ``notional`` quote value."""
        return notional * (self.maker_fee_pct if maker else self.taker_fee_pct) / 100.0
