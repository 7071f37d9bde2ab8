"""Configuration errors: every problem found in a config directory, located precisely."""

from __future__ import annotations

from dataclasses import dataclass

from quantbot.core.errors import QuantbotError

__all__ = ["ConfigError", "ConfigIssue"]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in one configuration file.

    Attributes:
        file: the file as the user should read it (e.g. ``config/grid_config.yaml``),
            or a description such as ``<defaults>`` when no file was involved.
        path: the key path inside the file, e.g. ``grid_strategy.pairs[1].num_grids``;
            empty for problems with the whole file (syntax errors).
        message: what is wrong and what is allowed, already including the bad value
            when it is safe to show (secrets are never echoed).
        line: 1-based line number when the parser knows it.
    """

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where} {self.message}"


class ConfigError(QuantbotError):
    """The configuration cannot be used; ``issues`` lists every problem found.

    Callers print every issue (one per line) and exit with status 1, so that a user
    fixes all mistakes in one round instead of one per run.
    """

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))
