"""Fixtures for the logging tests: an isolated logger and a clean logging state."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest

from quantbot.logs import RedactingFormatter, RedactingStreamHandler, reset_logging


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """Undo configure_logging after every test, whatever the test did."""
    yield
    reset_logging()


class Captured:
    """A logger of its own whose output lands in a string."""

    def __init__(self, name: str, formatter: RedactingFormatter) -> None:
        self.stream = io.StringIO()
        self.handler = RedactingStreamHandler(self.stream, formatter)
        self.logger = logging.getLogger(name)
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.handler.close()


@pytest.fixture
def capture(request: pytest.FixtureRequest) -> Iterator[Callable[[RedactingFormatter], Captured]]:
    """``capture(formatter)`` -> a :class:`Captured` logger unique to this test."""
    made: list[Captured] = []

    def make(formatter: RedactingFormatter) -> Captured:
        captured = Captured(f"test.{request.node.nodeid}.{len(made)}", formatter)
        made.append(captured)
        return captured

    yield make
    for captured in made:
        captured.close()
