"""Errors of the storage layer, grouped by what the caller must do about them.

::

    StorageError                  a database operation failed; report it
    +-- DatabaseNotMigrated       refuse to run; tell the user the upgrade command
    +-- UnknownRevision           refuse to run; the database is newer than this code
    +-- DuplicateRecord           a unique key was written twice (e.g. a repeated trade id)
    `-- RecordNotFound            a row the caller relied on does not exist

Messages name the database with its password hidden: they end up in logs and on
screens.
"""

from __future__ import annotations

import shlex

from sqlalchemy.engine import URL

from quantbot.core.errors import QuantbotError
from quantbot.storage.urls import display_url, has_password

__all__ = [
    "DatabaseNotMigrated",
    "DuplicateRecord",
    "RecordNotFound",
    "StorageError",
    "UnknownRevision",
]

UPGRADE_COMMAND = "quantbot db upgrade"


class StorageError(QuantbotError):
    """A database operation failed in a way the caller must report or handle."""


class DatabaseNotMigrated(StorageError):
    """The database schema is older than this version of quantbot needs.

    quantbot refuses to run on such a database rather than fail half-way through a
    trading session on a missing column. The message gives the exact command that
    fixes it.

    Attributes:
        database: the database URL, password hidden.
        current_revision: the Alembic revision the database is at; ``None`` when it
            was never migrated (empty or not created by quantbot).
        required_revision: the revision this version of quantbot needs.
        command: the shell command that migrates the database.
    """

    def __init__(
        self,
        database: str | URL,
        current_revision: str | None,
        required_revision: str,
        *,
        database_option: bool = False,
    ) -> None:
        """Build the error.

        Args:
            database: the database URL (a password in it is never shown).
            current_revision: where the database is, ``None`` if never migrated.
            required_revision: where this version of quantbot needs it.
            database_option: the user chose this database with ``--database``, so the
                command must repeat it. A URL with a password is then shown as the
                placeholder ``URL``: printing the password is not an option, and a
                masked one would not work if pasted.
        """
        self.database = display_url(database)
        self.current_revision = current_revision
        self.required_revision = required_revision
        self.command = UPGRADE_COMMAND
        if database_option:
            self.command += " --database " + (
                "URL" if has_password(database) else shlex.quote(self.database)
            )
        state = (
            f"is at revision {current_revision}" if current_revision else "has never been migrated"
        )
        super().__init__(
            f"database {self.database} {state}; this version of quantbot needs revision "
            f"{required_revision}. Run: {self.command}"
        )


class UnknownRevision(StorageError):
    """The database is at a revision this version of quantbot does not know.

    A newer quantbot migrated it; running older code on it could corrupt data, and
    ``quantbot db upgrade`` from this version cannot help.

    Attributes:
        database: the database URL, password hidden.
        current_revision: the unknown revision found in the database.
        required_revision: the newest revision this version of quantbot knows.
    """

    def __init__(self, database: str | URL, current_revision: str, required_revision: str) -> None:
        self.database = display_url(database)
        self.current_revision = current_revision
        self.required_revision = required_revision
        super().__init__(
            f"database {self.database} is at revision {current_revision}, which this version "
            f"of quantbot does not know (it needs {required_revision}): a newer quantbot "
            "migrated it. Run that version, or use another database."
        )


class DuplicateRecord(StorageError):
    """A row with the same unique key already exists; nothing was written.

    Attributes:
        table: the table written to.
        key: the duplicated key, as ``column=value`` pairs.
    """

    def __init__(self, table: str, key: str) -> None:
        self.table = table
        self.key = key
        super().__init__(f"{table}: a row with {key} already exists")


class RecordNotFound(StorageError):
    """A row the caller named does not exist.

    Attributes:
        table: the table read.
        key: the key looked up, as ``column=value`` pairs.
    """

    def __init__(self, table: str, key: str) -> None:
        self.table = table
        self.key = key
        super().__init__(f"{table}: no row with {key}")
