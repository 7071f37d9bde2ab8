"""The database layer: SQLAlchemy models, Alembic migrations, engines and repositories.

SQLite is the default backend, PostgreSQL the other; everything here behaves the
same on both, and the tests run on both.
"""

from typing import TYPE_CHECKING

from quantbot.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from quantbot.storage.database import (
        SQLITE_BUSY_TIMEOUT_MS,
        create_engine_for,
        normalize_url,
        session_factory,
    )
    from quantbot.storage.errors import (
        DatabaseNotMigrated,
        DuplicateRecord,
        RecordNotFound,
        StorageError,
        UnknownRevision,
    )
    from quantbot.storage.migration import (
        current_revision,
        downgrade,
        ensure_migrated,
        head_revision,
        upgrade,
    )
    from quantbot.storage.urls import display_url

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "DatabaseNotMigrated",
    "DuplicateRecord",
    "RecordNotFound",
    "StorageError",
    "UnknownRevision",
    "create_engine_for",
    "current_revision",
    "display_url",
    "downgrade",
    "ensure_migrated",
    "head_revision",
    "normalize_url",
    "session_factory",
    "upgrade",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "SQLITE_BUSY_TIMEOUT_MS": "quantbot.storage.database",
        "DatabaseNotMigrated": "quantbot.storage.errors",
        "DuplicateRecord": "quantbot.storage.errors",
        "RecordNotFound": "quantbot.storage.errors",
        "StorageError": "quantbot.storage.errors",
        "UnknownRevision": "quantbot.storage.errors",
        "create_engine_for": "quantbot.storage.database",
        "current_revision": "quantbot.storage.migration",
        "display_url": "quantbot.storage.urls",
        "downgrade": "quantbot.storage.migration",
        "ensure_migrated": "quantbot.storage.migration",
        "head_revision": "quantbot.storage.migration",
        "normalize_url": "quantbot.storage.database",
        "session_factory": "quantbot.storage.database",
        "upgrade": "quantbot.storage.migration",
    },
)
