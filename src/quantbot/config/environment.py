"""Secrets and the environment: ``${VAR}`` substitution, ``.env``, literal-secret refusal.

Secrets reach quantbot only from the process environment or a ``.env`` file next to
the config directory; the files themselves hold variable *names*. Every value that
comes out of a secret-holding variable is handed to the redaction layer by the caller.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from quantbot.config.documents import Document, KeyPath, format_path
from quantbot.config.errors import ConfigIssue
from quantbot.logs.redaction import is_sensitive_key

__all__ = ["load_environment", "substitute_variables", "url_password"]

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def load_environment(
    env_file: Path | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Merge a ``.env`` file under the process environment (the environment wins).

    Args:
        env_file: path of the ``.env`` file; a missing file is not an error.
        environ: the process environment (default ``os.environ``), injectable for tests.
    """
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def url_password(url: str) -> str | None:
    """The password embedded in a URL's user-info, if any."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def substitute_variables(
    document: Document, environ: Mapping[str, str]
) -> tuple[Any, list[ConfigIssue], set[str]]:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of ``document``.

    Also refuses secrets written literally: a key whose name says it holds a secret
    (``api_key``, ``password``, ``token``...) and a URL with a literal password.

    Returns:
        The substituted data, the issues found, and the values that were substituted
        into a secret position (URL passwords), for the redaction layer.
    """
    issues: list[ConfigIssue] = []
    secrets: set[str] = set()

    def issue(path: KeyPath, message: str) -> None:
        issues.append(
            ConfigIssue(document.display_name, format_path(path), message, document.line_of(path))
        )

    def visit(value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                child = (*path, str(key))
                if isinstance(key, str) and is_sensitive_key(key) and item not in (None, ""):
                    issue(
                        child,
                        "secrets must not be written in configuration files; name an "
                        f"environment variable instead (e.g. {key}_env: MY_{key.upper()}) and "
                        "set it in the environment or in .env",
                    )
                    continue
                result[key] = visit(item, child)
            return result
        if isinstance(value, list):
            return [visit(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, str):
            return substitute(value, path)
        return value

    def substitute(text: str, path: KeyPath) -> str:
        literal_password = url_password(text)
        if literal_password and not _VARIABLE.fullmatch(literal_password):
            issue(
                path,
                "contains a password written literally; use ${VARIABLE} for it (e.g. "
                "postgresql://user:${DB_PASSWORD}@host/db) and set the variable",
            )
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            name, default = match["name"], match["default"]
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            missing.append(name)
            return match.group(0)

        result = _VARIABLE.sub(replace, text)
        for name in missing:
            issue(path, f"environment variable {name} is not set (needed by ${{{name}}})")
        if literal_password is not None and not missing:
            password = url_password(result)
            if password:
                secrets.add(password)
        return result

    return visit(document.data, ()), issues, secrets
