import re

import sqlalchemy as sa

from quantbot.storage.models import NAMING_CONVENTION, Base

TABLES = Base.metadata.sorted_tables
QUERIED_COLUMNS = {"ts_ms", "strategy", "symbol", "status", "state", "day"}


def test_schema_has_the_tables_the_specification_lists() -> None:
    assert set(Base.metadata.tables) == {
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
        "backtest_runs",
    }


def test_timestamps_are_epoch_milliseconds_named_ts_ms() -> None:
    for table in TABLES:
        for column in table.columns:
            words = column.name.split("_")
            assert words[-1] not in {"ts", "time", "timestamp", "datetime", "date", "at"}, (
                f"{table.name}.{column.name}: a timestamp is named *ts_ms"
            )
            if "ts" in words:
                assert column.name.endswith("ts_ms"), f"{table.name}.{column.name}"
                assert isinstance(column.type, sa.BigInteger), f"{table.name}.{column.name}"


def test_money_and_quantities_are_double_precision() -> None:
    for table in TABLES:
        for column in table.columns:
            if re.search(r"(_usd|_pct|qty|price)$", column.name):
                assert isinstance(column.type, sa.Double), f"{table.name}.{column.name}"


def test_queried_columns_lead_an_index_or_a_key() -> None:
    for table in TABLES:
        leading = {index.columns[0].name for index in table.indexes}
        leading |= {
            constraint.columns[0].name
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
            and constraint.columns
        }
        primary = {column.name for column in table.primary_key.columns}
        for column in table.columns:
            # A JSON document named "state" is not an order state.
            if column.name in QUERIED_COLUMNS and not isinstance(column.type, sa.JSON):
                assert column.name in leading | primary, (
                    f"{table.name}.{column.name} is not indexed"
                )


def test_every_constraint_and_index_gets_a_conventional_name() -> None:
    prefixes = {
        sa.PrimaryKeyConstraint: "pk_",
        sa.UniqueConstraint: "uq_",
        sa.ForeignKeyConstraint: "fk_",
        sa.CheckConstraint: "ck_",
    }
    engine = sa.create_engine("sqlite://")
    names: list[str] = []
    with engine.connect() as connection:
        Base.metadata.create_all(connection)
        inspector = sa.inspect(connection)
        for table in TABLES:
            names += [index["name"] for index in inspector.get_indexes(table.name)]
            names += [
                constraint["name"] for constraint in inspector.get_unique_constraints(table.name)
            ]
            names += [constraint["name"] for constraint in inspector.get_foreign_keys(table.name)]
            names += [
                constraint["name"] for constraint in inspector.get_check_constraints(table.name)
            ]
            names.append(inspector.get_pk_constraint(table.name)["name"])
    engine.dispose()

    assert all(names), "an unnamed constraint would be named differently by each backend"
    assert all(name.startswith(("ix_", *prefixes.values())) for name in names), names
    assert set(NAMING_CONVENTION) == {"ix", "uq", "ck", "fk", "pk"}
