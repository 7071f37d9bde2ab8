"""INSERT ... ON CONFLICT for the session's backend.

SQLite and PostgreSQL spell upserts the same way (``ON CONFLICT (...) DO ...``) but
SQLAlchemy exposes them per dialect; repositories call :func:`insert_on_conflict`
and stay backend-neutral.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["insert_on_conflict"]


def insert_on_conflict(session: Session, model: Any) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT into ``model``'s table that supports ``on_conflict_do_*``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
