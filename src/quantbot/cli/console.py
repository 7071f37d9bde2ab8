"""Terminal output of the CLI: one place that prints, and it prints redacted.

Everything a command shows passes the redaction layer, so a secret that slipped into
an error message (an exchange echoing a key, a URL with a password) is masked on the
terminal exactly as in the logs.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from quantbot.logs.redaction import default_redactor

__all__ = ["error_line", "out", "say"]

out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def say(text: str, style: str | None = None) -> None:
    """Print a line to standard output, redacted and with markup in ``text`` escaped."""
    out.print(escape(default_redactor().redact(text)), style=style, soft_wrap=True)


def error_line(text: str) -> None:
    """Print one redacted line to standard error."""
    _err.print(escape(default_redactor().redact(text)), style="red", soft_wrap=True)
