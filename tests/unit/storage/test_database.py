from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from quantbot.storage import (
    SQLITE_BUSY_TIMEOUT_MS,
    StorageError,
    create_engine_for,
    normalize_url,
    session_factory,
)
from quantbot.storage.models import AppState


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.sqlite'}")
    try:
        yield engine
    finally:
        engine.dispose()


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:pw@db:5432/quantbot",
        "postgres://bot:pw@db:5432/quantbot",
        "postgresql+psycopg://bot:pw@db:5432/quantbot",
    ],
)
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    normalized = normalize_url(url)

    assert normalized.drivername == "postgresql+psycopg"
    assert (normalized.username, normalized.password, normalized.host, normalized.port) == (
        "bot",
        "pw",
        "db",
        5432,
    )
    assert normalized.database == "quantbot"


def test_sqlite_urls_are_kept() -> None:
    assert normalize_url("sqlite:///data/q.sqlite").render_as_string() == "sqlite:///data/q.sqlite"


def test_unsupported_backend_is_refused_without_showing_the_password() -> None:
    with pytest.raises(StorageError, match="sqlite:///") as refused:
        normalize_url("mysql://bot:hunter2hunter2@db/quantbot")

    assert "hunter2hunter2" not in str(refused.value)
    assert "mysql://bot:***@db/quantbot" in str(refused.value)


def test_invalid_url_is_refused() -> None:
    with pytest.raises(StorageError, match="invalid database URL"):
        normalize_url("not a url")


def test_postgresql_engine_is_pooled_and_uses_psycopg_without_connecting() -> None:
    engine = create_engine_for("postgresql://bot@127.0.0.1:1/none", pool_size=3, max_overflow=4)
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.pool.size() == 3
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(sqlite_engine: Engine) -> None:
    assert pragma(sqlite_engine, "journal_mode") == "wal"
    assert pragma(sqlite_engine, "foreign_keys") == 1
    assert pragma(sqlite_engine, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS


def test_sqlite_enforces_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))")

    with pytest.raises(sa.exc.IntegrityError), sqlite_engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO child VALUES (42)")


def test_sqlite_file_in_a_missing_directory_is_created(tmp_path: Path) -> None:
    database = tmp_path / "data" / "nested" / "q.sqlite"
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()

    assert database.is_file()


def test_sqlite_rolls_back_ddl_with_the_transaction(sqlite_engine: Engine) -> None:
    # Migrations rely on it: a failed migration must leave the schema untouched.
    with sqlite_engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE half_done (id INTEGER)")
        connection.rollback()

    assert "half_done" not in sa.inspect(sqlite_engine).get_table_names()


def test_sqlite_savepoint_rolls_back_alone(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (v INTEGER)")
    sessions = session_factory(sqlite_engine)

    with sessions.begin() as session:
        session.execute(sa.text("INSERT INTO t VALUES (1)"))
        savepoint = session.begin_nested()
        session.execute(sa.text("INSERT INTO t VALUES (2)"))
        savepoint.rollback()
        session.execute(sa.text("INSERT INTO t VALUES (3)"))

    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT v FROM t ORDER BY v").scalars().all() == [1, 3]


def test_objects_stay_readable_after_commit_and_close(sqlite_engine: Engine) -> None:
    AppState.__table__.create(sqlite_engine)
    row = AppState(key="k", value={"a": 1}, updated_ts_ms=5)

    with session_factory(sqlite_engine).begin() as session:
        session.add(row)

    assert (row.value, row.updated_ts_ms) == ({"a": 1}, 5)
