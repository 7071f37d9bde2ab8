"""Redaction of secrets from every text quantbot writes: logs, tracebacks, the database.

Two nets catch a secret. Known values (the API keys, tokens and passwords the
configuration pulled from the environment) are registered at start-up and replaced
wherever they appear, also URL-encoded or JSON-escaped. Shapes that are secret
whatever their value (a Telegram bot token, the password of a database URL, an
``apiKey=...`` pair, a dict key named ``secret``) are caught by pattern, which covers
secrets quantbot never saw registered, such as one echoed back in an exchange error.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "Redactor",
    "default_redactor",
    "is_sensitive_key",
]

MASK = "***"

MIN_SECRET_LENGTH = 6
"""Shorter values are not registered: masking every ``"12"`` in a log would destroy it
while protecting nothing a brute force would not find anyway."""

_SENSITIVE_KEY = re.compile(
    r"(?ix)^(?:x[-_]mbx[-_]apikey|.*(?:api[-_]?key|api[-_]?secret|secret|passphrase|password"
    r"|passwd|private[-_]?key|signature|access[-_]?token|auth[-_]?token|bot[-_]?token|token))$"
)
_NOT_SENSITIVE_SUFFIX = re.compile(r"(?i)[-_](?:env|envvar|var|name|id)$")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot token, alone or inside an API URL (``/bot<token>/sendMessage``).
    # Not ``\b``: in ``/bot123:...`` the digits follow letters, with no word boundary.
    (re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}"), MASK),
    # Password in a URL's user-info: scheme://user:password@host
    (re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(?=@)", re.I), r"\g<head>" + MASK),
    # key=value / key: value / "key": "value" pairs whose key names a secret.
    (
        re.compile(
            r"""(?ix)
            (?P<head>
              ["']?(?:x-mbx-apikey|api[-_]?key|apikey|api[-_]?secret|secret[-_]?key|secret
                     |passphrase|password|passwd|private[-_]?key|signature|access[-_]?token
                     |auth[-_]?token|bot[-_]?token|token)["']?
              \s*[=:]\s*["']?
            )
            (?!\*\*\*(?:[\s"'&,;}\]\\]|$))  # already masked: keeps redact() idempotent
            (?P<value>[^\s"'&,;}\]]{4,})
            """
        ),
        r"\g<head>" + MASK,
    ),
    # HTTP Authorization headers, also as a quoted dict entry: {'Authorization': 'Bearer x'}.
    (
        re.compile(
            r"(?i)(?P<head>\bauthorization[\"']?\s*[=:]\s*[\"']?(?:bearer|basic|token)\s+)"
            r"[^\s\"']+"
        ),
        r"\g<head>" + MASK,
    ),
)


def is_sensitive_key(key: str) -> bool:
    """Tell whether a mapping key names a secret (``apiKey``, ``bot_token``...).

    Keys that name *where* a secret lives (``api_key_env``, ``token_id``) are not
    secrets themselves and stay readable.
    """
    return bool(_SENSITIVE_KEY.match(key)) and not _NOT_SENSITIVE_SUFFIX.search(key)


class Redactor:
    """Masks registered secret values and secret-shaped substrings.

    Thread-safe: secrets are registered from the main thread while log handlers may
    run on others.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str | None) -> None:
        """Register a secret value so that it is masked wherever it appears.

        The spellings a secret takes on its way through the system are registered too:
        URL-encoded (a request URL), JSON-escaped as Python writes it and as other
        servers do (non-ASCII kept, ``/`` escaped), and Python-repr-escaped (a ``%r``
        log argument or a dict in an exception message).
        """
        if value is None or len(value) < MIN_SECRET_LENGTH:
            return
        json_escaped = json.dumps(value)[1:-1]
        variants = {
            value,
            quote(value, safe=""),
            quote_plus(value),
            json_escaped,
            json_escaped.replace("/", "\\/"),
            json.dumps(value, ensure_ascii=False)[1:-1],
            repr(value)[1:-1],
        }
        with self._lock:
            if variants <= self._values:
                return
            self._values |= variants
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    @property
    def secret_count(self) -> int:
        """Number of registered spellings (for diagnostics; never the values)."""
        return len(self._values)

    def clear(self) -> None:
        """Forget every registered secret (used between tests and on config reload)."""
        with self._lock:
            self._values.clear()
            self._pattern = None

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered secret and secret-shaped substring masked."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for regex, replacement in _PATTERNS:
            text = regex.sub(replacement, text)
        return text

    def redact_obj(self, obj: Any) -> Any:
        """Redact a JSON-like structure: strings are redacted, values of secret keys masked.

        String keys are redacted too: a secret used as a dict key (a per-key cache, a
        mapping of API keys to accounts) is as visible in a log line as a value.

        Returns a new structure; the input is not modified.
        """
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {
                (self.redact(key) if isinstance(key, str) else key): MASK
                if isinstance(key, str) and is_sensitive_key(key) and value not in (None, "")
                else self.redact_obj(value)
                for key, value in obj.items()
            }
        if isinstance(obj, list | tuple):
            return type(obj)(self.redact_obj(item) for item in obj)
        return obj


_DEFAULT = Redactor()


def default_redactor() -> Redactor:
    """The process-wide redactor that log handlers and the database layer share."""
    return _DEFAULT
