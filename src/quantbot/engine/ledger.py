"""The account of a backtest: balances, positions, margin, commitments and every record.

All strategies of a run share one account (:class:`~quantbot.core.Portfolio`), and each
keeps its own :class:`~quantbot.engine.attribution.StrategyBook`. The ledger books
every execution and funding payment in both, keeps the margin engine of perpetuals
(:class:`~quantbot.venues.simulated.MarginAccount`) informed, tracks what open orders
commit, and records the rows of the result (fills, funding, liquidations, the inputs
of trades and of the equity curves).

Commitments. A spot buy commits its quote (price with the taker fee), a spot sell its
base. A perpetual order commits the initial margin and taker fee of the part that
opens or increases a position; reduce-only orders and the part that reduces commit
nothing. Positions commit their margin. The free balance of the quote currency is the
balance minus all of these; the margin available for perpetual orders adds the
unrealised PnL at the mark when the account is margined cross.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import pandas as pd

from quantbot.core import Fill, FundingPayment, Instrument, Order, Portfolio, Side
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.attribution import StrategyBook
from quantbot.engine.backtest_setup import BacktestConfig
from quantbot.engine.equity import EquityRecorder
from quantbot.engine.funding import Settlement
from quantbot.engine.results import FILL_COLUMNS, FUNDING_COLUMNS, LIQUIDATION_COLUMNS
from quantbot.engine.trades import FillRecord, FundingRecord
from quantbot.risk import OrderIntent
from quantbot.venues.simulated import Liquidation, MarginAccount

__all__ = ["Ledger"]

_FILL_DTYPES = {
    "ts_ms": "int64",
    "strategy": "object",
    "symbol": "object",
    "side": "object",
    "price": "float64",
    "qty": "float64",
    "fee": "float64",
    "fee_currency": "object",
    "liquidity": "object",
    "slippage": "float64",
    "client_order_id": "object",
    "trade_id": "object",
    "liquidation": "bool",
}
_FUNDING_DTYPES = {
    "ts_ms": "int64",
    "strategy": "object",
    "symbol": "object",
    "rate": "float64",
    "mark_price": "float64",
    "position_qty": "float64",
    "amount": "float64",
}
_LIQUIDATION_DTYPES = {
    "ts_ms": "int64",
    "symbol": "object",
    "side": "object",
    "qty": "float64",
    "price": "float64",
    "fee": "float64",
    "bankrupt": "bool",
}


class Ledger:
    """The run's account and records.

    Args:
        config: capital, currency, account name, fill model (fees), margin model.
        instruments: per symbol, its trading rules.
        symbols: the run's symbols, in the order of the equity snapshots.
        marks: per perpetual, mark-price candles on the run's timeline (none: spot only).
    """

    def __init__(
        self,
        config: BacktestConfig,
        instruments: Mapping[str, Instrument],
        symbols: Sequence[str],
        marks: Mapping[str, OhlcvArrays],
    ) -> None:
        self.config = config
        self.exchange = config.exchange
        self.quote = config.quote_currency
        self.instruments = instruments
        self.symbols = list(symbols)
        self._valued = [(s, instruments[s]) for s in self.symbols]
        """The instruments of the equity snapshots' quantities, in their order."""
        self.portfolio = Portfolio()
        self.portfolio.deposit(self.exchange, self.quote, config.initial_capital)
        self.margin = (
            MarginAccount(
                config.margin,
                instruments,
                marks,
                portfolio=self.portfolio,
                exchange=self.exchange,
                settle=self.quote,
            )
            if marks
            else None
        )
        self.reserved: dict[str, float] = {}
        self.reservations: dict[str, tuple[str, float]] = {}
        self.fill_rows: list[tuple[Any, ...]] = []
        self.funding_rows: list[tuple[Any, ...]] = []
        self.liquidation_rows: list[tuple[Any, ...]] = []
        self.trade_records: list[FillRecord | FundingRecord] = []
        self.equity = EquityRecorder(self.symbols)
        self.version = 0
        """Counts the bookings (executions, funding) that changed the account."""
        self._parts: tuple[int, float, list[float]] = (-1, 0.0, [])
        """(version, constant, quantities) of :meth:`account_parts`."""

    # -- booking --------------------------------------------------------------------------

    def book(
        self, book: StrategyBook, fill: Fill, *, slippage: float, liquidation: bool = False
    ) -> None:
        """Book one execution in the account, the margin engine and the strategy's book."""
        self.version += 1
        symbol = fill.symbol
        instrument = self.instruments[symbol]
        if self.margin is not None and instrument.is_perpetual:
            before = self.account_size(symbol)
            self.portfolio.apply_fill(self.exchange, fill, instrument)
            self.margin.on_fill(symbol, before, self.account_size(symbol), fill.price)
        else:
            self.portfolio.apply_fill(self.exchange, fill, instrument)
            if self.margin is not None:
                self.margin.refresh()  # a spot fill moves the wallet
        book.apply_fill(fill, instrument)
        buy = fill.side is Side.BUY
        self.fill_rows.append(
            (
                fill.ts_ms,
                fill.strategy_id,
                symbol,
                "buy" if buy else "sell",
                fill.price,
                fill.qty,
                fill.fee,
                fill.fee_currency,
                fill.liquidity.value,
                slippage,
                fill.client_order_id,
                fill.trade_id,
                liquidation,
            )
        )
        size = fill.qty * instrument.contract_size
        self.trade_records.append(
            FillRecord(fill.ts_ms, fill.strategy_id, symbol, buy, size, fill.price, fill.fee)
        )

    def record_liquidation(self, ts_ms: int, liquidation: Liquidation) -> None:
        """Add a row to the result's liquidations (the fills are booked with :meth:`book`)."""
        instrument = self.instruments[liquidation.symbol]
        self.liquidation_rows.append(
            (
                ts_ms,
                liquidation.symbol,
                "long" if liquidation.size > 0 else "short",
                abs(liquidation.size) / instrument.contract_size,
                liquidation.price,
                liquidation.fee,
                liquidation.bankrupt,
            )
        )

    def settle(self, settlement: Settlement, mark: float, books: Sequence[StrategyBook]) -> bool:
        """Book one funding settlement at ``mark``; whether any position paid or received.

        The account pays on its net position, each strategy on its own.
        """
        symbol = settlement.symbol
        instrument = self.instruments[symbol]
        payment = partial(
            FundingPayment.from_rate,
            ts_ms=settlement.ts_ms,
            symbol=symbol,
            rate=settlement.rate,
            mark_price=mark,
            contract_size=instrument.contract_size,
        )
        paid = False
        self.version += 1
        account = self.portfolio.position(self.exchange, symbol)
        if account is not None and not account.is_flat:
            paid_now = payment(position_qty=account.qty)
            self.portfolio.apply_funding(self.exchange, paid_now, instrument)
            if self.margin is not None:
                self.margin.on_funding(symbol, paid_now.amount)
            paid = True
        for book in books:
            position = book.positions.get(symbol)
            if position is None or position.is_flat:
                continue
            share = payment(position_qty=position.qty)
            book.apply_funding(share, instrument)
            strategy = book.strategy_id
            self.funding_rows.append(
                (
                    settlement.ts_ms,
                    strategy,
                    symbol,
                    settlement.rate,
                    mark,
                    position.qty,
                    share.amount,
                )
            )
            self.trade_records.append(
                FundingRecord(settlement.ts_ms, strategy, symbol, share.amount)
            )
            paid = True
        return paid

    def account_size(self, symbol: str) -> float:
        """The account's position in ``symbol`` in base units, signed."""
        position = self.portfolio.position(self.exchange, symbol)
        if position is None:
            return 0.0
        return position.qty * position.instrument.contract_size

    # -- commitments ------------------------------------------------------------------------

    def reserve(self, order: Order, intent: OrderIntent, *, price: float, position: float) -> None:
        """Commit what ``order`` needs (module docstring).

        Args:
            order: the accepted order.
            intent: what the chain let through (its reference price).
            price: the last price, for orders without a price of their own.
            position: the account's position in the order's symbol (perpetuals).
        """
        instrument = self.instruments[order.symbol]
        if instrument.is_perpetual:
            if order.reduce_only:
                return
            reducible = max(-position, 0.0) if order.side is Side.BUY else max(position, 0.0)
            opening = max(order.qty - reducible, 0.0)
            if opening <= 0.0:
                return
            rate = 1.0 / self.config.margin.leverage_for(order.symbol) + self.taker_fee_rate
            reference = intent.reference_price(price) * instrument.contract_size
            per_unit = reference * rate * opening / order.qty
            asset = instrument.settle or instrument.quote
        elif order.side is Side.BUY:
            per_unit = intent.reference_price(price) * (1.0 + self.taker_fee_rate)
            asset = instrument.quote
        else:
            per_unit, asset = 1.0, instrument.base
        self.reservations[order.client_order_id] = (asset, per_unit)
        self.reserved[asset] = self.reserved.get(asset, 0.0) + per_unit * order.qty

    def release(self, order: Order, filled: float | None) -> None:
        """Release what a fill used (``filled``) or, for an ended order, all that is left."""
        reservation = self.reservations.get(order.client_order_id)
        if reservation is None:
            return
        asset, per_unit = reservation
        if filled is None:
            amount = per_unit * order.remaining_qty
            del self.reservations[order.client_order_id]
        else:
            amount = per_unit * filled
        self.reserved[asset] = max(self.reserved.get(asset, 0.0) - amount, 0.0)

    def budget(
        self, order: Order, *, price: float, fee_rate: float, position: float, bar: int
    ) -> float:
        """The most of ``order`` the account can pay for now (the venue asks at execution).

        What is free plus what the order itself reserved. Spot: the quote at ``price``
        with the fee for a buy, the base for a sell. Perpetuals: whatever reduces the
        venue's ``position`` (no margin needed), plus what the available margin at the
        close before ``bar`` covers at ``price`` with the fee. The pre-trade margin check
        judged the order against the position when it was placed; a fill of another
        order since can turn a closing order into an opening one, which the margin must
        then cover, as it must on an exchange.
        """
        instrument = self.instruments[order.symbol]
        reservation = self.reservations.get(order.client_order_id)
        reserved = 0.0 if reservation is None else reservation[1] * order.remaining_qty
        if instrument.is_perpetual:
            if order.reduce_only:
                return math.inf
            reducible = max(-position, 0.0) if order.side is Side.BUY else max(position, 0.0)
            settle = instrument.settle or instrument.quote
            available = self.available_margin(settle, bar - 1) + reserved
            leverage = self.config.margin.leverage_for(order.symbol)
            per_unit = price * instrument.contract_size * (1.0 / leverage + fee_rate)
            return reducible + max(available, 0.0) / per_unit
        if reservation is None:
            return math.inf
        available = self.free_balance(reservation[0]) + reserved
        return available / (price * (1.0 + fee_rate)) if order.side is Side.BUY else available

    def free_balance(self, asset: str) -> float:
        """Balance of ``asset`` not committed to open orders or to positions' margin."""
        free = self.portfolio.balance(self.exchange, asset) - self.reserved.get(asset, 0.0)
        if self.margin is not None and asset == self.quote:
            free -= self.margin.total_margin()
        return free

    def available_margin(self, asset: str, bar: int) -> float:
        """Margin free for new perpetual orders at ``bar``'s close (module docstring)."""
        free = self.free_balance(asset)
        if self.margin is not None and self.margin.is_cross and asset == self.quote:
            free += self.margin.unrealized_pnl(bar)
        return free

    @property
    def taker_fee_rate(self) -> float:
        """The taker fee as a fraction."""
        return self.config.fill_model.taker_fee_pct / 100.0

    # -- equity and frames -------------------------------------------------------------------

    def snapshot(self, bar: int, books: Mapping[str, StrategyBook]) -> None:
        """Store the linear parts of the account's and every book's equity (equity.py)."""
        constant, quantities = self.account_parts()
        parts = {strategy: book.linear_value() for strategy, book in books.items()}
        self.equity.record(bar, constant, quantities, parts)

    def account_parts(self) -> tuple[float, list[float]]:
        """The account's equity as ``constant + sum(quantities[j] * price[symbol j])``.

        Prices are the valuation prices (the mark for perpetuals, the close for spot), in
        the order of :attr:`symbols`. The parts change only with a booking
        (:attr:`version`), so they are computed once per booking (read them, never
        change them).
        """
        version, constant, quantities = self._parts
        if version == self.version:
            return constant, quantities
        portfolio, exchange = self.portfolio, self.exchange
        constant = portfolio.balance(exchange, self.quote)
        quantities = []
        for symbol, instrument in self._valued:
            if instrument.is_perpetual:
                position = portfolio.position(exchange, symbol)
                size = 0.0 if position is None else position.qty * instrument.contract_size
                constant -= size * (0.0 if position is None else position.avg_entry_price)
                quantities.append(size)
            else:
                quantities.append(portfolio.balance(exchange, instrument.base))
        self._parts = (self.version, constant, quantities)
        return constant, quantities

    def fills_frame(self) -> pd.DataFrame:
        """Every execution, :data:`~quantbot.engine.results.FILL_COLUMNS`."""
        return _frame(self.fill_rows, FILL_COLUMNS, _FILL_DTYPES)

    def funding_frame(self) -> pd.DataFrame:
        """Every funding payment, :data:`~quantbot.engine.results.FUNDING_COLUMNS`."""
        return _frame(self.funding_rows, FUNDING_COLUMNS, _FUNDING_DTYPES)

    def liquidations_frame(self) -> pd.DataFrame:
        """Every liquidation, :data:`~quantbot.engine.results.LIQUIDATION_COLUMNS`."""
        return _frame(self.liquidation_rows, LIQUIDATION_COLUMNS, _LIQUIDATION_DTYPES)


def _frame(
    rows: list[tuple[Any, ...]], columns: Sequence[str], dtypes: Mapping[str, str]
) -> pd.DataFrame:
    """The rows as a frame, each column built in its final dtype.

    Built column by column in the declared dtypes: from rows, pandas would first make
    the text columns Arrow strings and then convert them, which for a year of fills
    costs about 15 MB at the run's peak.
    """
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {
            name: pd.Series(column, dtype=dtypes[name])
            for name, column in zip(columns, values, strict=True)
        }
    )
