"""Funding payments: what perpetual longs and shorts pay each other every few hours.

The venue sets a rate per funding interval from the gap between the perpetual and the
index price. When the rate is positive longs pay shorts, so a long position's amount
is negative; when it is negative shorts pay longs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from quantbot.core.errors import InvalidValue

__all__ = ["FundingPayment"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingPayment:
    """One funding settlement of one perpetual position.

    Attributes:
        ts_ms: Settlement time, epoch milliseconds.
        symbol: The perpetual's ccxt unified symbol.
        rate: Funding rate for the interval as a fraction (``0.0001`` is 0.01 %).
        mark_price: Mark price at settlement, quote units per base unit.
        position_qty: Signed position at settlement, in contracts.
        amount: What the account received, in the settle currency; negative when it paid.
            Live, this is the venue's figure (which may round); use :meth:`from_rate`
            to compute it.

    Raises:
        InvalidValue: on a non-positive mark price or a non-finite number.
    """

    ts_ms: int
    symbol: str
    rate: float
    mark_price: float
    position_qty: float
    amount: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mark_price) and self.mark_price > 0):
            raise InvalidValue(f"funding {self.symbol}: mark_price {self.mark_price}, must be > 0")
        for name, value in (
            ("rate", self.rate),
            ("position_qty", self.position_qty),
            ("amount", self.amount),
        ):
            if not math.isfinite(value):
                raise InvalidValue(f"funding {self.symbol}: {name} {value}, must be finite")

    @classmethod
    def from_rate(
        cls,
        *,
        ts_ms: int,
        symbol: str,
        rate: float,
        mark_price: float,
        position_qty: float,
        contract_size: float = 1.0,
    ) -> FundingPayment:
        """Compute the payment for a position: ``-position_qty * contract_size * mark * rate``.

        The position's notional at the mark price times the rate, paid by the side the
        sign of the rate designates (longs when it is positive).
        """
        amount = -position_qty * contract_size * mark_price * rate
        return cls(
            ts_ms=ts_ms,
            symbol=symbol,
            rate=rate,
            mark_price=mark_price,
            position_qty=position_qty,
            amount=amount,
        )
