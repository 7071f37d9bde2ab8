"""The account ledger: balances, positions and equity across exchanges.

Balances are kept per exchange and asset, positions per exchange and symbol.

Value enters and leaves only through :meth:`Portfolio.deposit` and
:meth:`Portfolio.withdraw`; fills and funding only move it between assets or book the
PnL, fees and funding that :class:`~quantbot.core.positions.Position` accounts for:

- a spot fill swaps assets: a buy of ``qty`` at ``price`` adds ``qty`` base and takes
  ``qty * price`` quote (a sell the reverse);
- a perpetual fill moves no notional: only the PnL it realizes is credited (or debited)
  in the settle currency;
- every fee is debited in the asset it was charged in;
- funding is credited or debited in the settle currency.

Balances may go negative (a margin loan, or a ledger that drifted from the venue until
reconciliation corrects it); equity counts them as debts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from quantbot.core.errors import AccountingError, InvalidValue, MissingPrice
from quantbot.core.fills import Fill
from quantbot.core.funding import FundingPayment
from quantbot.core.instruments import Instrument
from quantbot.core.positions import Position

__all__ = ["Portfolio"]

_BALANCE_REL_TOL = 1e-9
"""A balance this close to zero, relative to the amounts that produced it, is zero:
otherwise buying 0.1 + 0.2 and selling 0.3 would leave 5e-17 BTC that needs a price."""

_EMPTY: Mapping[str, float] = MappingProxyType({})


class Portfolio:
    """Balances and positions of every account quantbot trades, keyed by exchange name.

    Balance keys are ``(exchange, asset)``, e.g. ``("binance", "USDT")``; position keys
    are ``(exchange, symbol)``, e.g. ``("bybit", "BTC/USDT:USDT")``. Positions returned
    by :meth:`position` are live objects: read them, but book through the portfolio so
    balances and positions stay in step.
    """

    __slots__ = ("_balances", "_positions")

    def __init__(self) -> None:
        """Create an empty portfolio; fund it with :meth:`deposit`."""
        self._balances: dict[tuple[str, str], float] = {}
        self._positions: dict[tuple[str, str], Position] = {}

    @property
    def balances(self) -> Mapping[tuple[str, str], float]:
        """Every balance by ``(exchange, asset)``, read-only."""
        return MappingProxyType(self._balances)

    @property
    def positions(self) -> Mapping[tuple[str, str], Position]:
        """Every position by ``(exchange, symbol)``, read-only (flat ones included)."""
        return MappingProxyType(self._positions)

    def balance(self, exchange: str, asset: str) -> float:
        """The balance of ``asset`` on ``exchange``; ``0.0`` if it was never touched."""
        return self._balances.get((exchange, asset), 0.0)

    def position(self, exchange: str, symbol: str) -> Position | None:
        """The position in ``symbol`` on ``exchange``, or ``None`` if never traded."""
        return self._positions.get((exchange, symbol))

    def deposit(self, exchange: str, asset: str, amount: float) -> None:
        """Credit value that enters from outside (a transfer in, the initial capital).

        Raises:
            InvalidValue: if ``amount`` is not a positive number.
        """
        self._credit(exchange, asset, _checked_amount(amount, "deposit"))

    def withdraw(self, exchange: str, asset: str, amount: float) -> None:
        """Debit value that leaves to the outside (a transfer out).

        Raises:
            InvalidValue: if ``amount`` is not a positive number.
            AccountingError: if ``amount`` exceeds the balance.
        """
        amount = _checked_amount(amount, "withdrawal")
        held = self.balance(exchange, asset)
        if amount > held:
            raise AccountingError(
                f"withdrawal of {amount} {asset} from {exchange} exceeds the balance {held}"
            )
        self._credit(exchange, asset, -amount)

    def apply_fill(
        self,
        exchange: str,
        fill: Fill,
        instrument: Instrument,
        *,
        fee_price: float | None = None,
    ) -> None:
        """Book a fill on ``exchange``: position, asset flows and fee.

        Args:
            exchange: The venue that executed it.
            fill: The execution.
            instrument: The instrument ``fill.symbol`` names on that venue.
            fee_price: Price of the fee currency in the instrument's quote currency,
                needed only for a fee in a third asset (see ``Position.apply_fill``).

        Raises:
            AccountingError: if the fill's symbol is not the instrument's, or the
                instrument contradicts the one the position was opened with.
            MissingPrice: if a third-asset fee comes without ``fee_price``.
        """
        if fill.symbol != instrument.symbol:
            raise AccountingError(
                f"fill {fill.trade_id} for {fill.symbol} booked with instrument {instrument.symbol}"
            )
        position = self._position_for(exchange, instrument)
        realized = position.apply_fill(fill, fee_price=fee_price)
        self._positions[(exchange, instrument.symbol)] = position
        if instrument.is_perpetual:
            self._credit(exchange, _settle(instrument), realized)
        else:
            self._credit(exchange, instrument.base, fill.signed_qty)
            self._credit(exchange, instrument.quote, -fill.signed_qty * fill.price)
        self._credit(exchange, fill.fee_currency, -fill.fee)

    def apply_funding(self, exchange: str, payment: FundingPayment, instrument: Instrument) -> None:
        """Book a funding payment on ``exchange`` in the instrument's settle currency.

        Raises:
            AccountingError: if the payment's symbol is not the instrument's, the
                instrument is spot, or it contradicts the position's instrument.
        """
        if payment.symbol != instrument.symbol:
            raise AccountingError(
                f"funding for {payment.symbol} booked with instrument {instrument.symbol}"
            )
        position = self._position_for(exchange, instrument)
        position.apply_funding(payment)
        self._positions[(exchange, instrument.symbol)] = position
        self._credit(exchange, _settle(instrument), payment.amount)

    def equity(
        self,
        currency: str,
        *,
        prices: Mapping[str, float] = _EMPTY,
        marks: Mapping[str, float] = _EMPTY,
        exchange: str | None = None,
    ) -> float:
        """Total value in ``currency``: every balance plus open perpetuals' unrealized PnL.

        Spot positions need no mark: their value is the base-asset balance. Perpetual
        positions hold no notional, so their unrealized PnL at the mark is added. One
        price per asset and one mark per symbol value every exchange alike.

        Args:
            currency: The valuation currency, e.g. ``"USDT"``; it is worth 1 by definition.
            prices: Price of one unit of each other held asset in ``currency``, e.g.
                ``{"BTC": 65000.0, "BNB": 580.0}``; also needed for the settle currency
                of open perpetuals when it is not ``currency``.
            marks: Mark price of each perpetual symbol with an open position, e.g.
                ``{"BTC/USDT:USDT": 65010.0}``, in that symbol's quote currency.
            exchange: Value only this exchange's balances and positions; all if ``None``.

        Raises:
            MissingPrice: if a non-zero balance or an open perpetual lacks its price or
                mark: valuing it at zero would silently understate equity.
            InvalidValue: if a needed price or mark is not a positive number.
        """
        total = 0.0
        for (venue, asset), amount in self._balances.items():
            if amount != 0.0 and exchange in (None, venue):
                total += amount * _price(asset, currency, prices, f"{amount} held on {venue}")
        for (venue, symbol), position in self._positions.items():
            if position.is_flat or not position.instrument.is_perpetual:
                continue
            if exchange not in (None, venue):
                continue
            if symbol not in marks:
                raise MissingPrice(f"no mark for {symbol}: position {position.qty} on {venue}")
            pnl = position.unrealized_pnl(marks[symbol])
            settle = _settle(position.instrument)
            total += pnl * _price(settle, currency, prices, f"settles {symbol} on {venue}")
        return total

    def _position_for(self, exchange: str, instrument: Instrument) -> Position:
        """The existing position, or a new flat one the caller stores once booking worked."""
        position = self._positions.get((exchange, instrument.symbol))
        if position is None:
            return Position(instrument)
        if position.instrument != instrument:
            raise AccountingError(
                f"{instrument.symbol} on {exchange}: instrument {instrument} contradicts "
                f"the position's {position.instrument}"
            )
        return position

    def _credit(self, exchange: str, asset: str, delta: float) -> None:
        key = (exchange, asset)
        held = self._balances.get(key, 0.0)
        new = held + delta
        if abs(new) <= _BALANCE_REL_TOL * max(abs(held), abs(delta)):
            new = 0.0
        self._balances[key] = new


def _settle(instrument: Instrument) -> str:
    """The settle currency of a perpetual (always set for one, see ``Instrument``)."""
    return instrument.settle or instrument.quote


def _price(asset: str, currency: str, prices: Mapping[str, float], why: str) -> float:
    if asset == currency:
        return 1.0
    if asset not in prices:
        raise MissingPrice(f"no price for {asset} in {currency}: {why}")
    price = prices[asset]
    if not (math.isfinite(price) and price > 0):
        raise InvalidValue(f"price of {asset} in {currency} is {price}, must be > 0")
    return price


def _checked_amount(amount: float, what: str) -> float:
    if not (math.isfinite(amount) and amount > 0):
        raise InvalidValue(f"{what} amount {amount}, must be > 0")
    return amount
