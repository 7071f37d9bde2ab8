"""Alembic environment: runs quantbot's migrations on SQLite or PostgreSQL.

quantbot calls Alembic from code (``quantbot.storage.migration``) and hands over an
open connection in ``config.attributes["connection"]``; the migrations then run in
the caller's transaction. Developers running the ``alembic`` command instead pass
the database with ``-x url=...`` (see ``alembic.ini`` next to this file).

``render_as_batch`` makes autogenerate write SQLite-compatible ``ALTER TABLE``
operations (SQLite can add a column but not alter or drop a constraint in place).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from quantbot.storage.database import create_engine_for
from quantbot.storage.errors import StorageError
from quantbot.storage.models import Base


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise StorageError("quantbot migrations run online only (no --sql)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_migrations(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise StorageError("name the database: alembic -x url=sqlite:///dev.sqlite ...")
    engine = create_engine_for(url)
    try:
        with engine.connect() as new_connection:
            _run_migrations(new_connection)
    finally:
        engine.dispose()


_main()
