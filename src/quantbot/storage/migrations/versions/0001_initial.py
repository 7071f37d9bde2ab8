"""Initial schema: orders and their transitions, fills, positions, state, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written out in full rather than imported from ``quantbot.storage.models``: a
migration is history and must keep creating this exact schema after the models
move on. Constraint names follow the models' naming convention. Dropping a table
drops its indexes, so the downgrade drops tables only.

The ``decisions`` audit trail is append-only in the database itself: triggers refuse
UPDATE and DELETE (and TRUNCATE on PostgreSQL) with an integrity error.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TABLES = (
    "account_snapshots",
    "orders",
    "order_transitions",
    "fills",
    "positions",
    "partial_exits",
    "funding_payments",
    "strategy_state",
    "daily_metrics",
    "circuit_breaker_events",
    "configuration_history",
    "decisions",
    "market_snapshots",
    "app_state",
)
"""Creation order (referenced tables first); the downgrade drops them in reverse."""

_APPEND_ONLY_MESSAGE = "decisions is append-only"
_SQLITE_TRIGGERS = {
    "decisions_refuse_update": "UPDATE",
    "decisions_refuse_delete": "DELETE",
}
_POSTGRES_TRIGGERS = {
    "decisions_refuse_update": "BEFORE UPDATE ON decisions FOR EACH ROW",
    "decisions_refuse_delete": "BEFORE DELETE ON decisions FOR EACH ROW",
    "decisions_refuse_truncate": "BEFORE TRUNCATE ON decisions FOR EACH STATEMENT",
}
_POSTGRES_FUNCTION = "decisions_refuse_change"


def _row_id(name: str = "id", *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=nullable)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _float(name: str, *, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _str(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    json_type = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    return sa.Column(name, json_type, nullable=nullable)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    _create_tables()
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    for table in reversed(_TABLES):
        op.drop_table(table)


def _create_tables() -> None:
    op.create_table(
        "account_snapshots",
        _row_id(),
        _ts("ts_ms"),
        _str("exchange"),
        _float("total_balance_usd"),
        _float("free_balance_usd"),
        _float("in_positions_usd"),
        _float("unrealized_pnl_usd"),
        _float("daily_pnl_usd"),
        _float("daily_pnl_pct"),
        _pk("account_snapshots"),
        _unique("account_snapshots", "exchange", "ts_ms"),
    )
    _indexes("account_snapshots", "ts_ms")

    op.create_table(
        "orders",
        _row_id(),
        _str("client_order_id"),
        _str("venue_order_id", nullable=True),
        _str("exchange"),
        _str("strategy"),
        _str("symbol"),
        _str("side"),
        _str("order_type"),
        _str("time_in_force"),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        _float("qty"),
        _float("price", nullable=True),
        _float("stop_price", nullable=True),
        _str("state"),
        _float("filled_qty"),
        _float("avg_fill_price", nullable=True),
        _ts("created_ts_ms"),
        _ts("updated_ts_ms"),
        _pk("orders"),
        _unique("orders", "client_order_id"),
        _unique("orders", "exchange", "venue_order_id"),
        _check("orders", "qty_positive", "qty > 0"),
        _check("orders", "filled_qty_non_negative", "filled_qty >= 0"),
    )
    _indexes("orders", "strategy", "symbol", "state", "created_ts_ms")

    op.create_table(
        "order_transitions",
        _row_id(),
        _row_id("order_id"),
        _ts("ts_ms"),
        _str("from_state", nullable=True),
        _str("to_state"),
        _str("event"),
        _text("reason", nullable=True),
        _pk("order_transitions"),
        _fk("order_transitions", "order_id", "orders"),
    )
    _indexes("order_transitions", "order_id", "ts_ms")

    op.create_table(
        "fills",
        _row_id(),
        _ts("ts_ms"),
        _str("exchange"),
        _str("trade_id"),
        _str("client_order_id", nullable=True),
        _str("venue_order_id", nullable=True),
        _str("strategy"),
        _str("symbol"),
        _str("side"),
        _str("order_type"),
        _float("price"),
        _float("qty"),
        _float("cost_usd"),
        _float("fee_qty"),
        _str("fee_currency"),
        _float("fee_usd"),
        _str("liquidity", nullable=True),
        _float("slippage_pct", nullable=True),
        _row_id("linked_fill_id", nullable=True),
        _float("pnl_usd", nullable=True),
        _text("notes", nullable=True),
        _pk("fills"),
        _unique("fills", "exchange", "trade_id"),
        _check("fills", "qty_positive", "qty > 0"),
        _check("fills", "price_positive", "price > 0"),
        _fk("fills", "linked_fill_id", "fills"),
    )
    _indexes("fills", "ts_ms", "client_order_id", "strategy", "symbol")

    op.create_table(
        "positions",
        _row_id(),
        _str("exchange"),
        _str("strategy"),
        _str("symbol"),
        _str("kind"),
        _float("qty"),
        _float("avg_entry_price"),
        _float("realized_pnl_usd"),
        _float("fees_usd"),
        _float("funding_usd"),
        _str("status"),
        _str("exit_reason", nullable=True),
        _ts("opened_ts_ms"),
        _ts("closed_ts_ms", nullable=True),
        _ts("updated_ts_ms"),
        _pk("positions"),
        _check("positions", "kind", "kind IN ('spot', 'perpetual')"),
        _check("positions", "status", "status IN ('open', 'closed')"),
    )
    _indexes("positions", "strategy", "symbol", "status", "opened_ts_ms")

    op.create_table(
        "partial_exits",
        _row_id(),
        _row_id("position_id"),
        _ts("ts_ms"),
        _float("price"),
        _float("qty"),
        _float("exit_pct"),
        _float("pnl_usd"),
        sa.Column("trailing_stop_activated", sa.Boolean(), nullable=False),
        _pk("partial_exits"),
        _fk("partial_exits", "position_id", "positions"),
    )
    _indexes("partial_exits", "position_id", "ts_ms")

    op.create_table(
        "funding_payments",
        _row_id(),
        _ts("ts_ms"),
        _str("exchange"),
        _str("strategy"),
        _str("symbol"),
        _row_id("position_id", nullable=True),
        _float("funding_rate"),
        _float("position_qty"),
        _float("payment_usd"),
        _pk("funding_payments"),
        _unique("funding_payments", "exchange", "strategy", "symbol", "ts_ms"),
        _fk("funding_payments", "position_id", "positions"),
    )
    _indexes("funding_payments", "ts_ms", "strategy", "symbol")

    op.create_table(
        "strategy_state",
        _str("strategy"),
        _str("symbol"),
        _json("state"),
        _ts("updated_ts_ms"),
        _pk("strategy_state", "strategy", "symbol"),
    )

    op.create_table(
        "daily_metrics",
        _row_id(),
        sa.Column("day", sa.Date(), nullable=False),
        _str("strategy"),
        sa.Column("num_trades", sa.BigInteger(), nullable=False),
        sa.Column("wins", sa.BigInteger(), nullable=False),
        sa.Column("losses", sa.BigInteger(), nullable=False),
        _float("gross_profit_usd"),
        _float("gross_loss_usd"),
        _float("net_pnl_usd"),
        _float("fees_usd"),
        _float("max_drawdown_pct"),
        _float("sharpe", nullable=True),
        _pk("daily_metrics"),
        _unique("daily_metrics", "day", "strategy"),
    )
    _indexes("daily_metrics", "day", "strategy")

    op.create_table(
        "circuit_breaker_events",
        _row_id(),
        _ts("ts_ms"),
        _str("trigger_type"),
        _float("trigger_value"),
        _json("positions_closed"),
        _ts("resumed_ts_ms", nullable=True),
        _pk("circuit_breaker_events"),
    )
    _indexes("circuit_breaker_events", "ts_ms", "trigger_type")

    op.create_table(
        "configuration_history",
        _row_id(),
        _ts("ts_ms"),
        _str("run_id"),
        _json("configuration"),
        _text("notes", nullable=True),
        _pk("configuration_history"),
    )
    _indexes("configuration_history", "ts_ms", "run_id")

    op.create_table(
        "decisions",
        _row_id(),
        _ts("ts_ms"),
        _str("strategy"),
        _str("symbol"),
        _str("signal"),
        _text("reason"),
        _json("indicators"),
        _json("risk_checks"),
        _str("action_taken"),
        _str("client_order_id", nullable=True),
        _pk("decisions"),
        _check("decisions", "action_taken", "action_taken IN ('EXECUTED', 'REJECTED', 'HELD')"),
    )
    _indexes("decisions", "ts_ms", "strategy", "symbol", "client_order_id")

    op.create_table(
        "market_snapshots",
        _row_id(),
        _ts("ts_ms"),
        _str("exchange"),
        _str("symbol"),
        _json("ohlcv"),
        _json("indicators"),
        _json("order_book", nullable=True),
        _float("volume_24h_usd", nullable=True),
        _float("market_sentiment", nullable=True),
        _float("correlation_btc", nullable=True),
        _pk("market_snapshots"),
        _unique("market_snapshots", "exchange", "symbol", "ts_ms"),
    )
    _indexes("market_snapshots", "ts_ms", "symbol")

    op.create_table(
        "app_state",
        _str("key"),
        _json("value"),
        _ts("updated_ts_ms"),
        _pk("app_state", "key"),
    )


def _create_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        # SQLSTATE 23000 makes drivers raise an integrity error, as SQLite's RAISE(ABORT) does.
        op.execute(
            f"""
            CREATE FUNCTION {_POSTGRES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION USING
                    MESSAGE = '{_APPEND_ONLY_MESSAGE}: ' || TG_OP || ' refused',
                    ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        for name, when in _POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {_POSTGRES_FUNCTION}()")
        return
    for name, operation in _SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON decisions BEGIN "
            f"SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}: {operation} refused'); END"
        )


def _drop_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        for name in _POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON decisions")
        op.execute(f"DROP FUNCTION {_POSTGRES_FUNCTION}()")
        return
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
