"""Trades: positions from flat to flat, rebuilt from a strategy's fills.

A trade opens when a strategy's position in a symbol leaves zero and closes when it
returns to zero; a fill that flips the position closes one trade and opens the next
(its quantity and fee split between them). Entry and exit prices are
quantity-weighted averages; the P&L is net of every fee of the trade's fills and of
the funding its perpetual position paid or received while it was open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from quantbot.engine.results import TRADE_COLUMNS

__all__ = ["FillRecord", "FundingRecord", "build_trades"]

_FLAT = 1e-12


class FillRecord(NamedTuple):
    """The part of a fill trades need; ``fee`` is in quote currency, ``qty`` in base units.

    A named tuple rather than a frozen dataclass: one is built for every fill of a run.
    """

    ts_ms: int
    strategy: str
    symbol: str
    buy: bool
    qty: float
    price: float
    fee: float


class FundingRecord(NamedTuple):
    """A funding payment a strategy's position received (``amount`` < 0: paid), quote units."""

    ts_ms: int
    strategy: str
    symbol: str
    amount: float


@dataclass(slots=True)
class _Open:
    long: bool
    entry_ts_ms: int
    entry_qty: float = 0.0
    entry_value: float = 0.0
    exit_qty: float = 0.0
    exit_value: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    size: float = 0.0
    position: float = 0.0

    def add(self, buy: bool, qty: float, price: float, fee: float) -> None:
        opening = buy == self.long
        if opening:
            self.entry_qty += qty
            self.entry_value += qty * price
        else:
            self.exit_qty += qty
            self.exit_value += qty * price
        self.fees += fee
        self.position += qty if buy else -qty
        self.size = max(self.size, abs(self.position))

    def row(
        self,
        strategy: str,
        symbol: str,
        *,
        exit_price: float | None,
        exit_ts_ms: int,
        is_open: bool,
    ) -> tuple[object, ...]:
        entry_price = self.entry_value / self.entry_qty
        if exit_price is None:
            exit_price = self.exit_value / self.exit_qty
        direction = 1.0 if self.long else -1.0
        gross = direction * (self.exit_value - self.exit_qty * entry_price)
        if is_open:
            gross += direction * abs(self.position) * (exit_price - entry_price)
        pnl = gross - self.fees + self.funding
        side = "long" if self.long else "short"
        return (
            strategy,
            symbol,
            side,
            self.size,
            self.entry_ts_ms,
            entry_price,
            exit_ts_ms,
            exit_price,
            self.fees,
            pnl,
            is_open,
            self.funding,
        )


def build_trades(
    records: Iterable[FillRecord | FundingRecord],
    *,
    last_ts_ms: int,
    last_prices: Mapping[str, float],
) -> pd.DataFrame:
    """Trades of ``records`` (fills and funding, in the order they were booked).

    Funding goes to the trade open in its strategy and symbol when it was booked. Trades
    still open are marked to ``last_prices`` at ``last_ts_ms`` and flagged.

    Returns:
        A frame with :data:`TRADE_COLUMNS`.
    """
    rows: list[tuple[object, ...]] = []
    open_trades: dict[tuple[str, str], _Open] = {}
    for f in records:
        key = (f.strategy, f.symbol)
        if isinstance(f, FundingRecord):
            holding = open_trades.get(key)
            if holding is not None:
                holding.funding += f.amount
            continue
        qty, fee = f.qty, f.fee
        while qty > _FLAT:
            trade = open_trades.get(key)
            if trade is None:
                trade = open_trades[key] = _Open(long=f.buy, entry_ts_ms=f.ts_ms)
            closing = f.buy != trade.long
            part = min(qty, abs(trade.position)) if closing else qty
            part_fee = fee * part / qty
            trade.add(f.buy, part, f.price, part_fee)
            qty -= part
            fee -= part_fee
            if closing and abs(trade.position) <= _FLAT * max(1.0, trade.size):
                rows.append(
                    trade.row(
                        f.strategy, f.symbol, exit_price=None, exit_ts_ms=f.ts_ms, is_open=False
                    )
                )
                del open_trades[key]
    for (strategy, symbol), trade in open_trades.items():
        rows.append(
            trade.row(
                strategy,
                symbol,
                exit_price=last_prices[symbol],
                exit_ts_ms=last_ts_ms,
                is_open=True,
            )
        )
    frame = pd.DataFrame(rows, columns=list(TRADE_COLUMNS))
    return frame.sort_values(["entry_ts_ms", "strategy", "symbol"], kind="stable").reset_index(
        drop=True
    )
