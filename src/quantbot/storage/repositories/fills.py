"""Executions, each booked exactly once however often the venue reports it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantbot.storage.errors import DuplicateRecord
from quantbot.storage.models import Fill
from quantbot.storage.repositories._dialect_insert import insert_on_conflict

__all__ = ["FillRecord", "FillRepository"]

_TABLE = Fill.__table__


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One stored execution (see :class:`quantbot.storage.models.Fill` for the columns)."""

    id: int
    ts_ms: int
    exchange: str
    trade_id: str
    client_order_id: str | None
    venue_order_id: str | None
    strategy: str
    symbol: str
    side: str
    order_type: str
    price: float
    qty: float
    cost_usd: float
    fee_qty: float
    fee_currency: str
    fee_usd: float
    liquidity: str | None
    slippage_pct: float | None
    linked_fill_id: int | None
    pnl_usd: float | None
    notes: str | None


class FillRepository:
    """Write and read the ``fills`` table; the caller commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def insert(
        self,
        *,
        ts_ms: int,
        exchange: str,
        trade_id: str,
        strategy: str,
        symbol: str,
        side: str,
        order_type: str,
        price: float,
        qty: float,
        cost_usd: float,
        fee_qty: float,
        fee_currency: str,
        fee_usd: float,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
        liquidity: str | None = None,
        slippage_pct: float | None = None,
        linked_fill_id: int | None = None,
        pnl_usd: float | None = None,
        notes: str | None = None,
    ) -> int:
        """Store one execution and return its row id.

        Args:
            ts_ms: execution time as the venue reports it.
            exchange: the venue, e.g. ``binance``.
            trade_id: the venue's execution id, unique per exchange.
            strategy: the strategy whose order filled.
            symbol: the instrument, e.g. ``BTC/USDT``.
            side: the domain's side value.
            order_type: the domain's order type value.
            price: execution price, > 0.
            qty: executed quantity in base units, > 0.
            cost_usd: ``price * qty`` in the quote currency (USD or a stablecoin).
            fee_qty: fee paid, in ``fee_currency``.
            fee_currency: the asset the fee was paid in (e.g. ``BNB``).
            fee_usd: the fee valued in USD.
            client_order_id: quantbot's id of the order, if it was ours.
            venue_order_id: the venue's id of the order.
            liquidity: ``maker`` or ``taker`` when the venue says.
            slippage_pct: price slippage against the decision price (0.1 = 0.1 %).
            linked_fill_id: the other leg of a grid round trip.
            pnl_usd: realised PnL booked by this fill, if it closed something.
            notes: free text.

        Raises:
            DuplicateRecord: this exchange already reported ``trade_id``; nothing was
                written and the transaction remains usable, so a repeated fill
                message can be ignored.
        """
        statement = (
            insert_on_conflict(self._session, Fill)
            .values(
                ts_ms=ts_ms,
                exchange=exchange,
                trade_id=trade_id,
                client_order_id=client_order_id,
                venue_order_id=venue_order_id,
                strategy=strategy,
                symbol=symbol,
                side=side,
                order_type=order_type,
                price=price,
                qty=qty,
                cost_usd=cost_usd,
                fee_qty=fee_qty,
                fee_currency=fee_currency,
                fee_usd=fee_usd,
                liquidity=liquidity,
                slippage_pct=slippage_pct,
                linked_fill_id=linked_fill_id,
                pnl_usd=pnl_usd,
                notes=notes,
            )
            .on_conflict_do_nothing(index_elements=[Fill.exchange, Fill.trade_id])
            .returning(Fill.id)
        )
        fill_id = self._session.execute(statement).scalar_one_or_none()
        if fill_id is None:
            raise DuplicateRecord("fills", f"exchange={exchange} trade_id={trade_id}")
        return fill_id

    def get(self, exchange: str, trade_id: str) -> FillRecord | None:
        """Return the fill with this venue trade id, ``None`` if not stored."""
        query = select(_TABLE).where(_TABLE.c.exchange == exchange, _TABLE.c.trade_id == trade_id)
        row = self._session.execute(query).mappings().one_or_none()
        return None if row is None else FillRecord(**row)

    def for_order(self, client_order_id: str) -> list[FillRecord]:
        """Return the fills of one order, oldest first."""
        query = (
            select(_TABLE)
            .where(_TABLE.c.client_order_id == client_order_id)
            .order_by(_TABLE.c.ts_ms, _TABLE.c.id)
        )
        return [FillRecord(**row) for row in self._session.execute(query).mappings()]
