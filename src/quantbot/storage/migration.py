"""Schema migrations: move a database to the revision the code needs, and check it.

The Alembic scripts live inside the package (``storage/migrations``), so an
installed quantbot migrates its database without an ``alembic.ini`` in the working
directory. Every function accepts either a URL string (what ``quantbot db upgrade
--database URL`` passes) or an engine (what the running application holds).

The application calls :func:`ensure_migrated` at start-up and refuses to run on a
database that is not at :func:`head_revision`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from quantbot.storage.database import create_engine_for
from quantbot.storage.errors import DatabaseNotMigrated, StorageError, UnknownRevision

__all__ = [
    "MIGRATIONS_DIR",
    "current_revision",
    "downgrade",
    "ensure_migrated",
    "head_revision",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
"""The Alembic script directory shipped inside the package."""

Target = str | URL | Engine
"""A database given by URL, or an engine already connected to it."""


def head_revision(*, scripts: Path = MIGRATIONS_DIR) -> str:
    """Return the revision this version of quantbot needs (its newest migration).

    Args:
        scripts: the Alembic script directory; the one shipped with quantbot by
            default. Every function here takes it, so that a migration chain can be
            exercised before it ships (the tests add a revision to a copy).
    """
    head = _script_directory(scripts).get_current_head()
    if head is None:
        raise StorageError(f"no migrations found in {scripts}")
    return head


def current_revision(database: Target) -> str | None:
    """Return the revision ``database`` is at, ``None`` if it was never migrated."""
    with _connection(database) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Target, revision: str = "head", *, scripts: Path = MIGRATIONS_DIR) -> None:
    """Migrate ``database`` forward to ``revision`` (by default the newest).

    All pending migrations run in one transaction: on PostgreSQL, and on SQLite
    thanks to the engine's explicit ``BEGIN``, a failure leaves the schema as it was.

    Raises:
        StorageError: if ``revision`` is unknown or a migration fails.
    """
    _run(command.upgrade, database, revision, scripts)


def downgrade(database: Target, revision: str, *, scripts: Path = MIGRATIONS_DIR) -> None:
    """Migrate ``database`` back to ``revision`` (``"base"`` removes every table).

    There is no default revision on purpose: a downgrade drops data.

    Raises:
        StorageError: if ``revision`` is unknown or a migration fails.
    """
    _run(command.downgrade, database, revision, scripts)


def ensure_migrated(
    database: Target, *, database_option: bool = False, scripts: Path = MIGRATIONS_DIR
) -> None:
    """Refuse to go on unless ``database`` is at :func:`head_revision`.

    Args:
        database: the database the application is about to use.
        database_option: the user chose it with ``--database``; the command in the
            error then repeats the option.
        scripts: the Alembic script directory (see :func:`head_revision`).

    Raises:
        DatabaseNotMigrated: never migrated, or at an older revision; the message
            says to run ``quantbot db upgrade``.
        UnknownRevision: at a revision this version does not know (a newer
            quantbot migrated it).
    """
    head = head_revision(scripts=scripts)
    url = database.url if isinstance(database, Engine) else database
    current = current_revision(database)
    if current == head:
        return
    if current is not None and not _is_known(current, scripts):
        raise UnknownRevision(url, current, head)
    raise DatabaseNotMigrated(url, current, head, database_option=database_option)


def _script_directory(scripts: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(scripts))


def _config(scripts: Path, connection: Connection | None = None) -> Config:
    config = Config()
    # Config values are %-interpolated; a path is not a template.
    config.set_main_option("script_location", str(scripts).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _is_known(revision: str, scripts: Path) -> bool:
    try:
        return _script_directory(scripts).get_revision(revision) is not None
    except CommandError:
        return False


@contextmanager
def _engine(database: Target) -> Iterator[Engine]:
    if isinstance(database, Engine):
        yield database
        return
    engine = create_engine_for(database)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _connection(database: Target) -> Iterator[Connection]:
    with _engine(database) as engine, engine.connect() as connection:
        yield connection


def _run(
    step: Callable[[Config, str], None], database: Target, revision: str, scripts: Path
) -> None:
    try:
        with _engine(database) as engine, engine.begin() as connection:
            step(_config(scripts, connection), revision)
    except (CommandError, SQLAlchemyError) as exc:
        raise StorageError(f"migration to {revision!r} failed: {exc}") from exc
