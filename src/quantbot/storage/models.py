"""The database schema as SQLAlchemy 2 declarative models.

One class per table. The migrations in ``storage/migrations/versions`` create the
same schema explicitly; a test compares the two on SQLite and PostgreSQL.

Conventions, chosen so that the schema reads the same on both backends:

- Timestamps are integer epoch milliseconds (UTC) in columns named ``*ts_ms``: no
  time zone ambiguity, and the engine clock produces exactly that.
- Prices, quantities and money are ``DOUBLE PRECISION`` floats, like the ledger and
  the backtest (STYLE.md section 2); amounts in USD end in ``_usd``, percentages in
  ``_pct`` (2.0 = 2 %).
- Strings are unbounded: SQLite does not enforce lengths, so a length limit would
  make PostgreSQL refuse what SQLite accepts.
- Side, state and order type columns hold the string values of the domain enums of
  ``quantbot.core`` without a CHECK, so that the domain owns those vocabularies;
  values this schema defines itself (decision actions, position kinds) are checked.
- Every constraint and index is named by :data:`NAMING_CONVENTION`, so migrations
  create and drop them by the same names on both backends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

__all__ = [
    "NAMING_CONVENTION",
    "AccountSnapshot",
    "AppState",
    "BacktestRun",
    "Base",
    "CircuitBreakerEvent",
    "ConfigurationHistory",
    "DailyMetrics",
    "Decision",
    "Fill",
    "FundingPayment",
    "MarketSnapshot",
    "Order",
    "OrderTransition",
    "PartialExit",
    "Position",
    "StrategyState",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Names of constraints and indexes, e.g. ``ix_fills_symbol``, ``fk_fills_order_id_orders``."""

JsonDocument: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)
"""JSON on SQLite, JSONB on PostgreSQL (indexable, comparable); Python ``None`` is SQL NULL."""

RowId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
"""Surrogate keys: 64-bit on PostgreSQL; on SQLite only ``INTEGER PRIMARY KEY`` is the
auto-incrementing rowid, which is 64-bit there anyway."""


class Base(DeclarativeBase):
    """Declarative base: the shared metadata and the Python-to-SQL type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        int: BigInteger(),
        float: Double(),
        str: String(),
        dict[str, Any]: JsonDocument,
        list[Any]: JsonDocument,
    }


class AccountSnapshot(Base):
    """Balances of one exchange account at one moment (written hourly)."""

    __tablename__ = "account_snapshots"
    __table_args__ = (UniqueConstraint("exchange", "ts_ms"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    exchange: Mapped[str]
    total_balance_usd: Mapped[float]
    free_balance_usd: Mapped[float]
    in_positions_usd: Mapped[float]
    unrealized_pnl_usd: Mapped[float]
    daily_pnl_usd: Mapped[float]
    daily_pnl_pct: Mapped[float]


class Order(Base):
    """An order as quantbot last knew it; its history is in :class:`OrderTransition`.

    ``client_order_id`` is quantbot's own id, derived from the strategy and its
    decision sequence, and exists before the venue has acknowledged anything
    (state is written before an order is sent). ``venue_order_id`` arrives with the
    acknowledgement.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("exchange", "venue_order_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("filled_qty >= 0", name="filled_qty_non_negative"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    client_order_id: Mapped[str] = mapped_column(unique=True)
    venue_order_id: Mapped[str | None]
    exchange: Mapped[str]
    strategy: Mapped[str] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(index=True)
    side: Mapped[str]
    order_type: Mapped[str]
    time_in_force: Mapped[str]
    reduce_only: Mapped[bool]
    qty: Mapped[float]
    price: Mapped[float | None]
    stop_price: Mapped[float | None]
    state: Mapped[str] = mapped_column(index=True)
    filled_qty: Mapped[float]
    avg_fill_price: Mapped[float | None]
    created_ts_ms: Mapped[int] = mapped_column(index=True)
    updated_ts_ms: Mapped[int]

    transitions: Mapped[list[OrderTransition]] = relationship(
        back_populates="order", order_by="OrderTransition.id"
    )


class OrderTransition(Base):
    """One state change of an order, kept forever (the order's audit trail).

    ``from_state`` is NULL on the row that records the order's creation.
    """

    __tablename__ = "order_transitions"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    from_state: Mapped[str | None]
    to_state: Mapped[str]
    event: Mapped[str]
    reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="transitions")


class Fill(Base):
    """One execution (the blueprint's trades table).

    ``trade_id`` is the venue's execution id, unique per exchange: venues repeat
    fill messages, and a repeated one must never be booked twice. ``linked_fill_id``
    pairs the two legs of a grid round trip (the blueprint's ``linked_trade_id``).
    """

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("exchange", "trade_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    exchange: Mapped[str]
    trade_id: Mapped[str]
    client_order_id: Mapped[str | None] = mapped_column(index=True)
    venue_order_id: Mapped[str | None]
    strategy: Mapped[str] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(index=True)
    side: Mapped[str]
    order_type: Mapped[str]
    price: Mapped[float]
    qty: Mapped[float]
    cost_usd: Mapped[float]
    fee_qty: Mapped[float]
    """Fee paid, in ``fee_currency`` (e.g. BNB)."""
    fee_currency: Mapped[str]
    fee_usd: Mapped[float]
    liquidity: Mapped[str | None]
    """``maker`` or ``taker`` when the venue says."""
    slippage_pct: Mapped[float | None]
    linked_fill_id: Mapped[int | None] = mapped_column(ForeignKey("fills.id"))
    pnl_usd: Mapped[float | None]
    notes: Mapped[str | None] = mapped_column(Text)


class Position(Base):
    """A spot or perpetual position of one strategy, open or closed.

    ``qty`` is signed: positive long, negative short.
    """

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint("kind IN ('spot', 'perpetual')", name="kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    exchange: Mapped[str]
    strategy: Mapped[str] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(index=True)
    kind: Mapped[str]
    qty: Mapped[float]
    avg_entry_price: Mapped[float]
    realized_pnl_usd: Mapped[float]
    fees_usd: Mapped[float]
    funding_usd: Mapped[float]
    """Funding received (positive) or paid (negative) over the position's life."""
    status: Mapped[str] = mapped_column(index=True)
    exit_reason: Mapped[str | None]
    opened_ts_ms: Mapped[int] = mapped_column(index=True)
    closed_ts_ms: Mapped[int | None]
    updated_ts_ms: Mapped[int]


class PartialExit(Base):
    """Part of a position closed before the rest (scale-out, trailing stop)."""

    __tablename__ = "partial_exits"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    price: Mapped[float]
    qty: Mapped[float]
    exit_pct: Mapped[float]
    """Share of the position closed by this exit (50.0 = half)."""
    pnl_usd: Mapped[float]
    trailing_stop_activated: Mapped[bool]


class FundingPayment(Base):
    """One perpetual-futures funding settlement booked to a position.

    Unique per exchange, strategy, symbol and settlement time, so that a settlement
    seen twice (after a reconnect) is not booked twice.
    """

    __tablename__ = "funding_payments"
    __table_args__ = (UniqueConstraint("exchange", "strategy", "symbol", "ts_ms"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    exchange: Mapped[str]
    strategy: Mapped[str] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    funding_rate: Mapped[float]
    """Rate of the period as a fraction (0.0001 = 0.01 %), as venues publish it."""
    position_qty: Mapped[float]
    payment_usd: Mapped[float]
    """Received (positive) or paid (negative)."""


class StrategyState(Base):
    """The state a strategy needs to resume after a restart (grid levels, inventory).

    Keyed by strategy and symbol; ``symbol`` is the empty string for state that
    belongs to the strategy as a whole.
    """

    __tablename__ = "strategy_state"

    strategy: Mapped[str] = mapped_column(primary_key=True)
    symbol: Mapped[str] = mapped_column(primary_key=True)
    state: Mapped[dict[str, Any]]
    updated_ts_ms: Mapped[int]


class DailyMetrics(Base):
    """Performance of one strategy over one UTC calendar day."""

    __tablename__ = "daily_metrics"
    __table_args__ = (UniqueConstraint("day", "strategy"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    day: Mapped[dt.date] = mapped_column(index=True)
    strategy: Mapped[str] = mapped_column(index=True)
    num_trades: Mapped[int]
    wins: Mapped[int]
    losses: Mapped[int]
    gross_profit_usd: Mapped[float]
    gross_loss_usd: Mapped[float]
    net_pnl_usd: Mapped[float]
    fees_usd: Mapped[float]
    max_drawdown_pct: Mapped[float]
    sharpe: Mapped[float | None]
    """Undefined (NULL) on a day without variance."""


class CircuitBreakerEvent(Base):
    """A circuit breaker trip and, once trading resumed, when."""

    __tablename__ = "circuit_breaker_events"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    trigger_type: Mapped[str] = mapped_column(index=True)
    """Which limit tripped, e.g. ``daily``, ``weekly``, ``monthly``."""
    trigger_value: Mapped[float]
    """The measured value that crossed the limit, in the limit's unit."""
    positions_closed: Mapped[list[Any]]
    resumed_ts_ms: Mapped[int | None]
    run_id: Mapped[str | None] = mapped_column(index=True)
    """The backtest or trading session that tripped (NULL for rows older than the column)."""
    mode: Mapped[str] = mapped_column(index=True, server_default="backtest")
    """``backtest``, ``paper`` or ``live`` (:class:`~quantbot.core.RunMode`)."""


class ConfigurationHistory(Base):
    """The configuration one run started with (or reloaded), secrets redacted."""

    __tablename__ = "configuration_history"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    run_id: Mapped[str] = mapped_column(index=True)
    configuration: Mapped[dict[str, Any]]
    notes: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    """One strategy decision and what became of it: the append-only audit trail.

    Database triggers (created by the migrations) refuse UPDATE and DELETE, so the
    trail cannot be rewritten after the fact, by quantbot or by hand.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("action_taken IN ('EXECUTED', 'REJECTED', 'HELD')", name="action_taken"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    strategy: Mapped[str] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(index=True)
    signal: Mapped[str]
    reason: Mapped[str] = mapped_column(Text)
    indicators: Mapped[dict[str, Any]]
    risk_checks: Mapped[dict[str, Any]]
    action_taken: Mapped[str]
    client_order_id: Mapped[str | None] = mapped_column(index=True)
    run_id: Mapped[str | None] = mapped_column(index=True)
    """The backtest or trading session that decided (NULL for rows older than the column)."""
    mode: Mapped[str] = mapped_column(index=True, server_default="backtest")
    """``backtest``, ``paper`` or ``live`` (:class:`~quantbot.core.RunMode`)."""


class MarketSnapshot(Base):
    """Market context at one moment, kept to explain decisions later."""

    __tablename__ = "market_snapshots"
    __table_args__ = (UniqueConstraint("exchange", "symbol", "ts_ms"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(index=True)
    exchange: Mapped[str]
    symbol: Mapped[str] = mapped_column(index=True)
    ohlcv: Mapped[dict[str, Any]]
    indicators: Mapped[dict[str, Any]]
    order_book: Mapped[dict[str, Any] | None]
    volume_24h_usd: Mapped[float | None]
    market_sentiment: Mapped[float | None]
    correlation_btc: Mapped[float | None]


class AppState(Base):
    """Small process-wide values that must survive a restart (key to JSON value)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[Any] = mapped_column(JsonDocument, nullable=False)
    updated_ts_ms: Mapped[int]


class BacktestRun(Base):
    """A backtest: what it ran on and with, and, once it finished, what it produced.

    The row is written when the run starts (its configuration is known then) and
    completed when it finishes; ``finished_ts_ms`` stays NULL for a run that never
    finished. ``summary`` is the run's ``summary.json`` document (metrics overall, per
    strategy and of the benchmarks).
    """

    __tablename__ = "backtest_runs"

    run_id: Mapped[str] = mapped_column(primary_key=True)
    started_ts_ms: Mapped[int] = mapped_column(index=True)
    """Wall time the run started (not the simulated time)."""
    finished_ts_ms: Mapped[int | None]
    strategies: Mapped[list[Any]]
    """Strategy ids, in the order the run loaded them."""
    symbols: Mapped[list[Any]]
    """Markets in ccxt notation."""
    timeframe: Mapped[str]
    """The base timeframe of the simulation, e.g. ``1m``."""
    period_start_ts_ms: Mapped[int]
    """Open time of the first bar simulated."""
    period_end_ts_ms: Mapped[int]
    """Close time of the last bar simulated."""
    config: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any] | None]
    report_path: Mapped[str | None] = mapped_column(Text)
