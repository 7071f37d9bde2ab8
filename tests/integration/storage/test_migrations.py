"""Migrations on SQLite and PostgreSQL: up, down, up again; models agree; refusal to run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL

from quantbot.storage import (
    DatabaseNotMigrated,
    StorageError,
    UnknownRevision,
    create_engine_for,
    current_revision,
    downgrade,
    ensure_migrated,
    head_revision,
    upgrade,
)
from quantbot.storage.migration import MIGRATIONS_DIR
from quantbot.storage.models import Base

MODEL_TABLES = set(Base.metadata.tables)
APPEND_ONLY_TRIGGERS = {"decisions_refuse_update", "decisions_refuse_delete"}

EXTRA_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "9002"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("extra_notes", sa.Column("id", sa.Integer(), primary_key=True))
    {upgrade_body}


def downgrade():
    op.drop_table("extra_notes")
"""


def tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def triggers(url: str) -> set[str]:
    engine = create_engine_for(url)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    try:
        with engine.connect() as connection:
            return set(connection.exec_driver_sql(query).scalars())
    finally:
        engine.dispose()


def scripts_with(tmp_path: Path, upgrade_body: str) -> Path:
    """A copy of the shipped migrations with one more revision on top."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    revision = EXTRA_REVISION.format(down=head_revision(), upgrade_body=upgrade_body)
    (scripts / "versions" / "9002_extra.py").write_text(revision, encoding="utf-8")
    return scripts


@pytest.fixture
def scripts_with_newer_revision(tmp_path: Path) -> Path:
    return scripts_with(tmp_path, "")


@pytest.fixture
def scripts_with_failing_revision(tmp_path: Path) -> Path:
    return scripts_with(tmp_path, 'op.execute("SELECT no_such_column FROM no_such_table")')


def test_upgrade_down_up_creates_and_removes_every_table_and_trigger(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert tables(db_url) == set()

    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert tables(db_url) == MODEL_TABLES
    assert triggers(db_url) >= APPEND_ONLY_TRIGGERS

    downgrade(db_url, "base")
    assert current_revision(db_url) is None
    assert tables(db_url) == set()
    assert triggers(db_url) == set()

    upgrade(db_url)
    assert tables(db_url) == MODEL_TABLES
    assert triggers(db_url) >= APPEND_ONLY_TRIGGERS


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_rows_from_before_0003_become_backtest_rows_and_stay_append_only(db_url: str) -> None:
    """Backtests were the only writers before 0003: the default fills ``mode`` without UPDATE."""
    upgrade(db_url, "0002")
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO decisions (ts_ms, strategy, symbol, signal, reason, indicators,"
                    " risk_checks, action_taken) VALUES (1, 'grid', 'BTC/USDT', 'BUY', 'cap',"
                    " '{}', '{}', 'REJECTED')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO circuit_breaker_events (ts_ms, trigger_type, trigger_value,"
                    " positions_closed) VALUES (1, 'daily', -3.2, '[]')"
                )
            )
        upgrade(db_url)
        with engine.connect() as connection:
            for table in ("decisions", "circuit_breaker_events"):
                rows = connection.execute(sa.text(f"SELECT run_id, mode FROM {table}")).all()
                assert [tuple(row) for row in rows] == [(None, "backtest")]
        with pytest.raises(sa.exc.DatabaseError), engine.begin() as connection:
            connection.execute(sa.text("UPDATE decisions SET mode = 'live'"))
        downgrade(db_url, "0002")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("decisions")}
        assert {"run_id", "mode"}.isdisjoint(columns)
    finally:
        engine.dispose()


def test_ensure_migrated_refuses_an_empty_database_and_names_the_command(db_url: str) -> None:
    with pytest.raises(DatabaseNotMigrated) as refused:
        ensure_migrated(db_url)
    assert refused.value.current_revision is None
    assert refused.value.required_revision == head_revision()
    assert "quantbot db upgrade" in str(refused.value)


def test_ensure_migrated_accepts_a_migrated_database_given_by_url_or_engine(db_url: str) -> None:
    upgrade(db_url)
    ensure_migrated(db_url)
    engine = create_engine_for(db_url)
    try:
        ensure_migrated(engine)
    finally:
        engine.dispose()


def test_ensure_migrated_refuses_an_out_of_date_database(
    db_url: str, scripts_with_newer_revision: Path
) -> None:
    upgrade(db_url)

    with pytest.raises(DatabaseNotMigrated) as refused:
        ensure_migrated(db_url, scripts=scripts_with_newer_revision)

    message = str(refused.value)
    assert f"revision {head_revision()}" in message
    assert "needs revision 9002" in message
    assert "Run: quantbot db upgrade" in message
    upgrade(db_url, scripts=scripts_with_newer_revision)
    ensure_migrated(db_url, scripts=scripts_with_newer_revision)
    assert "extra_notes" in tables(db_url)


def test_ensure_migrated_refuses_a_database_migrated_by_a_newer_quantbot(
    db_url: str, scripts_with_newer_revision: Path
) -> None:
    upgrade(db_url, scripts=scripts_with_newer_revision)

    with pytest.raises(UnknownRevision, match="9002"):
        ensure_migrated(db_url)


@pytest.mark.postgres
def test_refusal_message_hides_the_password_of_a_postgresql_url(postgres_url: URL) -> None:
    # The test server trusts every connection, so any password connects.
    password = "Sup3r-Secret-Passw0rd"
    url = postgres_url.set(password=password).render_as_string(hide_password=False)

    with pytest.raises(DatabaseNotMigrated) as refused:
        ensure_migrated(url, database_option=True)

    assert password not in str(refused.value)
    assert password not in refused.value.command
    assert refused.value.command == "quantbot db upgrade --database URL"


def test_failed_migration_leaves_the_schema_as_it_was(
    db_url: str, scripts_with_failing_revision: Path
) -> None:
    upgrade(db_url)

    with pytest.raises(StorageError, match="migration to 'head' failed"):
        upgrade(db_url, scripts=scripts_with_failing_revision)

    assert current_revision(db_url) == head_revision()
    assert "extra_notes" not in tables(db_url)


@pytest.mark.parametrize("step", [upgrade, downgrade])
def test_unknown_target_revision_is_refused(db_url: str, step: Callable[[str, str], None]) -> None:
    with pytest.raises(StorageError, match="nonexistent"):
        step(db_url, "nonexistent")
