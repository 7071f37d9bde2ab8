"""Errors of strategies: a hook that raised, an unknown or unusable name, a broken user file.

A hook that raises stops the strategy that raised it, never the others; the naming
and loading errors stop a run before it starts; the scaffold errors stop
``quantbot strategy new`` before it writes anything.
"""

from __future__ import annotations

from pathlib import Path

from quantbot.core.errors import QuantbotError

__all__ = [
    "InvalidStrategyName",
    "ScaffoldConflict",
    "StrategyError",
    "UnknownStrategy",
    "UserStrategyError",
]


class StrategyError(QuantbotError):
    """A strategy hook raised; the engine stops that strategy alone and says why."""

    def __init__(self, strategy_id: str, hook: str, cause: BaseException) -> None:
        self.strategy_id = strategy_id
        self.hook = hook
        super().__init__(
            f"strategy {strategy_id} stopped: {hook} raised {type(cause).__name__}: {cause}"
        )


class UnknownStrategy(QuantbotError):
    """No strategy is registered under this name."""


class InvalidStrategyName(QuantbotError):
    """A name cannot name a new strategy: its form, a Python keyword or a built-in's name."""


class ScaffoldConflict(QuantbotError):
    """A new strategy's files exist already, or another user file has its name."""


class UserStrategyError(QuantbotError):
    """A strategy file of the user cannot be loaded; the message points at the line to fix.

    It reads ``user_strategies/my_strat.py:12: NameError: name 'foo' is not defined``, a
    form terminals and editors turn into a link to the line.

    Attributes:
        path: the file, as the caller gave its directory (relative stays relative).
        line: 1-based line of the problem, or None when no line is to blame.
        problem: what is wrong, without the location.
    """

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = str(path) if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {problem}")
