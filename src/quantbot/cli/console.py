"""Terminal output of the CLI: one place that prints, and it prints redacted.

Everything a command shows passes the redaction layer, so a secret that slipped into
an error message (an exchange echoing a key, a URL with a password) is masked on the
terminal exactly as in the logs.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from quantbot.logs.redaction import default_redactor

__all__ = ["error_line", "out", "progress_bar", "say", "step_reporter"]

out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def say(text: str, style: str | None = None) -> None:
    """Print a line to standard output, redacted and with markup in ``text`` escaped."""
    out.print(escape(default_redactor().redact(text)), style=style, soft_wrap=True)


def error_line(text: str) -> None:
    """Print one redacted line to standard error."""
    _err.print(escape(default_redactor().redact(text)), style="red", soft_wrap=True)


def progress_bar(*, counts: bool = True, transient: bool = True) -> Progress:
    """The CLI's progress bar: description, bar, ``done/total`` (if ``counts``), elapsed time."""
    columns = [TextColumn("{task.description}"), BarColumn()]
    if counts:
        columns.append(MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=out, transient=transient)


def step_reporter(bar: Progress) -> Callable[[str, int, int], None]:
    """A ``(step, done, total)`` callback that gives every named step its own bar."""
    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(escape(step), total=total)
        bar.update(tasks[step], completed=done, total=total)

    return report
