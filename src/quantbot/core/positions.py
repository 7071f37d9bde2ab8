"""The position in one instrument and its profit and loss.

A position is long (positive ``qty``) or short (negative), in the instrument's unit:
base units for spot, contracts for perpetuals (``contract_size`` base units each). It
keeps the average entry price of what is open, and books profit on every reduction
against that average:

- increasing moves the average entry to the quantity-weighted mean;
- reducing realizes ``closed qty * (price - avg entry) * contract_size`` (sign flipped
  for shorts) and keeps the average;
- a fill through zero closes the whole position and opens the remainder at the fill
  price.

PnL is price-based; fees and funding are kept apart so that
``net_pnl = realized + unrealized - fees + funding`` shows each term.

Fees are valued in the quote currency at the time of the fill: a fee in the quote (the
settle currency of a perpetual) as is, a fee in the base asset at the fill price, a fee
in any other asset (BNB) at the ``fee_price`` the caller supplies.

A spot position is what the account holds of the base asset, so a spot fee charged in
the base asset also shrinks the position, as if that many units were sold at the fill
price (realizing their PnL against the average entry). The size of a spot position is
therefore the signed sum of its fills minus the base-asset fees; a perpetual's size is
exactly the signed sum of its fills.
"""

from __future__ import annotations

import math
from typing import Final

from quantbot.core.enums import InstrumentKind
from quantbot.core.errors import AccountingError, InvalidValue, MissingPrice
from quantbot.core.fills import Fill
from quantbot.core.funding import FundingPayment
from quantbot.core.instruments import Instrument

__all__ = ["Position"]

_QTY_REL_TOL = 1e-9
"""A position this close to zero, relative to the quantities involved, is flat: float64
sums of fills that cancel out would otherwise leave an ulp-sized position whose sign
is noise."""


class Position:
    """The position of an account in one instrument; changes only through ``apply_*``.

    Attributes:
        instrument: The instrument held.
    """

    __slots__ = (
        "_avg_entry_price",
        "_fees_paid",
        "_funding_net",
        "_qty",
        "_realized_pnl",
        "instrument",
    )

    def __init__(self, instrument: Instrument) -> None:
        """Create a flat position in ``instrument``."""
        self.instrument: Final = instrument
        self._qty = 0.0
        self._avg_entry_price = 0.0
        self._realized_pnl = 0.0
        self._fees_paid = 0.0
        self._funding_net = 0.0

    def __repr__(self) -> str:
        return (
            f"Position({self.instrument.symbol} qty {self._qty} @ {self._avg_entry_price}, "
            f"realized {self._realized_pnl}, fees {self._fees_paid}, "
            f"funding {self._funding_net})"
        )

    @property
    def symbol(self) -> str:
        """The instrument's ccxt unified symbol."""
        return self.instrument.symbol

    @property
    def qty(self) -> float:
        """Signed size: positive long, negative short, ``0.0`` flat."""
        return self._qty

    @property
    def avg_entry_price(self) -> float:
        """Average entry price of the open quantity; ``0.0`` when flat."""
        return self._avg_entry_price

    @property
    def realized_pnl(self) -> float:
        """Price PnL booked by reductions, in quote units, before fees and funding."""
        return self._realized_pnl

    @property
    def fees_paid(self) -> float:
        """Fees paid, valued in quote units at each fill; negative for net rebates."""
        return self._fees_paid

    @property
    def funding_net(self) -> float:
        """Funding received minus funding paid, in the settle currency."""
        return self._funding_net

    @property
    def is_flat(self) -> bool:
        """Whether nothing is open."""
        return self._qty == 0.0

    def notional(self, mark_price: float) -> float:
        """Signed value of the open quantity at ``mark_price``, in quote units."""
        return self._qty * self.instrument.contract_size * _checked_mark(mark_price)

    def unrealized_pnl(self, mark_price: float) -> float:
        """Price PnL of the open quantity if it closed at ``mark_price``, in quote units.

        Raises:
            InvalidValue: if ``mark_price`` is not a positive number.
        """
        mark = _checked_mark(mark_price)
        return self._qty * (mark - self._avg_entry_price) * self.instrument.contract_size

    def net_pnl(self, mark_price: float) -> float:
        """``realized + unrealized - fees + funding`` at ``mark_price``, in quote units."""
        return (
            self._realized_pnl
            + self.unrealized_pnl(mark_price)
            - self._fees_paid
            + self._funding_net
        )

    def apply_fill(self, fill: Fill, *, fee_price: float | None = None) -> float:
        """Book a fill.

        Args:
            fill: The execution; its symbol must be this position's.
            fee_price: Price of ``fill.fee_currency`` in quote units, needed only when
                the fee is in neither the quote nor the base asset.

        Returns:
            The PnL this fill realized (including a spot base-asset fee's disposal), so
            that a ledger can credit it.

        Raises:
            AccountingError: if the fill is for another symbol.
            MissingPrice: if the fee is in a third asset and ``fee_price`` is missing.
        """
        if fill.symbol != self.instrument.symbol:
            raise AccountingError(
                f"fill {fill.trade_id} for {fill.symbol} booked on the {self.symbol} position"
            )
        fee_value = self._fee_value(fill, fee_price)
        realized = self._trade(fill.signed_qty, fill.price)
        if (
            self.instrument.kind is InstrumentKind.SPOT
            and fill.fee_currency == self.instrument.base
            and fill.fee != 0.0
        ):
            realized += self._trade(-fill.fee, fill.price)
        self._fees_paid += fee_value
        return realized

    def apply_funding(self, payment: FundingPayment) -> None:
        """Book a funding payment (received if positive, paid if negative).

        Raises:
            AccountingError: if the payment is for another symbol or this is spot.
        """
        if payment.symbol != self.instrument.symbol:
            raise AccountingError(
                f"funding for {payment.symbol} booked on the {self.symbol} position"
            )
        if not self.instrument.is_perpetual:
            raise AccountingError(f"funding booked on spot position {self.symbol}")
        self._funding_net += payment.amount

    def _fee_value(self, fill: Fill, fee_price: float | None) -> float:
        """The fill's fee in quote units (see the module docstring)."""
        if fill.fee_currency == self.instrument.quote:
            return fill.fee
        if fill.fee_currency == self.instrument.base:
            return fill.fee * fill.price
        if fee_price is None:
            raise MissingPrice(
                f"fill {fill.trade_id}: fee in {fill.fee_currency} needs its price in "
                f"{self.instrument.quote} (fee_price)"
            )
        return fill.fee * fee_price

    def _trade(self, delta: float, price: float) -> float:
        """Add ``delta`` (signed) at ``price``; return the PnL it realized."""
        qty = self._qty
        new_qty = qty + delta
        if abs(new_qty) <= _QTY_REL_TOL * max(abs(qty), abs(delta)):
            new_qty = 0.0
        if qty == 0.0 or (qty > 0) == (delta > 0):
            self._avg_entry_price = (abs(qty) * self._avg_entry_price + abs(delta) * price) / abs(
                new_qty
            )
            self._qty = new_qty
            return 0.0
        closed = min(abs(qty), abs(delta))
        direction = 1.0 if qty > 0 else -1.0
        realized = closed * (price - self._avg_entry_price) * direction
        realized *= self.instrument.contract_size
        if new_qty == 0.0:
            self._avg_entry_price = 0.0
        elif (new_qty > 0) != (qty > 0):
            self._avg_entry_price = price
        self._qty = new_qty
        self._realized_pnl += realized
        return realized


def _checked_mark(mark_price: float) -> float:
    if not (math.isfinite(mark_price) and mark_price > 0):
        raise InvalidValue(f"mark_price {mark_price}, must be > 0")
    return mark_price
