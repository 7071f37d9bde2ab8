"""Engines and sessions: how quantbot connects to SQLite or PostgreSQL.

Every engine quantbot uses comes from :func:`create_engine_for`, which applies the
settings each backend needs to be safe for a bot that runs for months:

- SQLite (the default): write-ahead logging, so that readers (the API, a report)
  never block the trading loop; foreign keys enforced, which SQLite does not do by
  default; a busy timeout instead of an immediate "database is locked"; and real
  transactions (the Python driver otherwise commits DDL implicitly and breaks
  savepoints).
- PostgreSQL through psycopg 3, with a bounded connection pool.
- Both: the secret-redaction hook of :mod:`quantbot.storage.redaction`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from quantbot.storage.errors import StorageError
from quantbot.storage.redaction import install_redaction, redacting_json_serializer
from quantbot.storage.urls import display_url

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_engine_for",
    "normalize_url",
    "session_factory",
]

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another one to finish before failing."""

_POSTGRES_DRIVER = "postgresql+psycopg"
_POSTGRES_NAMES = frozenset({"postgres", "postgresql", _POSTGRES_DRIVER})
_SQLITE_NAMES = frozenset({"sqlite", "sqlite+pysqlite"})


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and select the driver quantbot uses for its backend.

    ``postgresql://`` and ``postgres://`` (what PostgreSQL's tools and most hosting
    providers print) become ``postgresql+psycopg://``: psycopg 3 is the driver
    installed with quantbot, while SQLAlchemy's default for them is psycopg2.

    Raises:
        StorageError: if the URL does not parse, or names a backend other than
            SQLite or PostgreSQL with psycopg 3: the migrations and their triggers
            exist for those two only.
    """
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        raise StorageError(f"invalid database URL {display_url(url)!r}") from None
    if parsed.drivername in _POSTGRES_NAMES:
        return parsed.set(drivername=_POSTGRES_DRIVER)
    if parsed.drivername in _SQLITE_NAMES:
        return parsed
    raise StorageError(
        f"unsupported database URL {display_url(parsed)!r}: quantbot runs on "
        "sqlite:///path/to/file.sqlite or postgresql://user@host/database"
    )


def create_engine_for(
    url: str | URL,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
) -> Engine:
    """Create the engine for ``url`` with quantbot's per-backend settings.

    For a SQLite file the parent directory is created, so that a fresh install's
    default ``data/quantbot-paper.sqlite`` works without a manual ``mkdir``.

    Args:
        url: ``sqlite:///relative/or/absolute/file.sqlite`` or
            ``postgresql://user:password@host:port/database``.
        pool_size: connections kept open (PostgreSQL).
        max_overflow: extra connections allowed under load (PostgreSQL).

    Returns:
        An engine; the caller disposes of it.

    Raises:
        StorageError: for an invalid or unsupported URL.
    """
    parsed = normalize_url(url)
    serializer = redacting_json_serializer()
    if parsed.get_backend_name() == "sqlite":
        _create_parent_directory(parsed)
        engine = create_engine(parsed, json_serializer=serializer)
        _configure_sqlite(engine)
    else:
        engine = create_engine(
            parsed,
            json_serializer=serializer,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
        )
    install_redaction(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``.

    Objects stay readable after commit (``expire_on_commit=False``): the trading
    engine keeps using what it just saved, and reloading each object would cost a
    query.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


def _create_parent_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        # Hand transaction control to SQLAlchemy (see _on_begin); the sqlite3 module
        # would otherwise begin transactions only before DML, on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")
