"""Fixtures for the storage tests: a migrated database and sessions on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quantbot.storage import create_engine_for, session_factory, upgrade


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to head (SQLite, then PostgreSQL)."""
    upgrade(db_url)
    engine = create_engine_for(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory of :func:`engine`."""
    return session_factory(engine)
