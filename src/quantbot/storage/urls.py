"""How a database URL is shown to people: never with its password.

A PostgreSQL URL may carry a password, and URLs end up in error messages, logs and
on screens. Everything in quantbot that prints a database URL goes through
:func:`display_url`.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from quantbot.logs.redaction import default_redactor

__all__ = ["display_url", "has_password"]


def _parse(url: str | URL) -> URL | None:
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except ArgumentError:
        return None


def display_url(url: str | URL) -> str:
    """Return ``url`` safe to print: its password replaced by ``***``.

    A string that does not parse as a URL still goes through the redactor, whose
    patterns mask the password of anything shaped like ``scheme://user:password@``.
    """
    parsed = _parse(url)
    if parsed is None:
        return default_redactor().redact(str(url))
    return parsed.render_as_string(hide_password=True)


def has_password(url: str | URL) -> bool:
    """Tell whether ``url`` carries a password (so that it cannot be shown whole)."""
    parsed = _parse(url)
    return parsed is not None and parsed.password is not None
