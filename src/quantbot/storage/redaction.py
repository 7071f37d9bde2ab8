"""Keeps secrets out of the database: every statement parameter is redacted before it is sent.

A decision reason quoting an exchange error, a configuration snapshot, a note typed
by a user: any of them may carry an API key. Instead of trusting every writer to
redact, :func:`install_redaction` hooks the engine itself, below the ORM, so that no
code path (repositories, raw SQL, migrations) can write a registered secret or a
secret-shaped value. Only parameters are redacted, never the SQL text, whose column
names (``token = %(token)s``) would look like secrets to the patterns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from psycopg.types.json import Json, Jsonb
from sqlalchemy import event
from sqlalchemy.engine import Engine

from quantbot.logs.redaction import Redactor, default_redactor
from quantbot.storage import json_documents

__all__ = ["install_redaction", "redacting_json_serializer"]


class _RedactedJson(str):
    """JSON text produced by :func:`redacting_json_serializer`, already redacted.

    The cursor hook passes it through as a plain string instead of redacting the
    text again: the structural redaction done before serialising already covered it,
    and text patterns, written for prose and log lines, are not guaranteed to keep
    a JSON document valid.
    """

    __slots__ = ()


def redacting_json_serializer(redactor: Redactor | None = None) -> Callable[[Any], str]:
    """Return a ``json_serializer`` for ``create_engine`` that redacts before dumping.

    Redacting the structure (not the text) masks the values of secret-named keys
    whatever their type, including numbers, and keeps the document valid JSON.
    Serialisation itself is :func:`quantbot.storage.json_documents.dumps`.
    """
    chosen = redactor or default_redactor()

    def dumps(obj: Any) -> str:
        return _RedactedJson(json_documents.dumps(chosen.redact_obj(obj)))

    return dumps


def install_redaction(engine: Engine, redactor: Redactor | None = None) -> None:
    """Redact every string parameter, and every JSON payload, ``engine`` sends.

    Args:
        engine: the engine to hook; the hook lives as long as the engine.
        redactor: the redactor to apply; the process-wide default when omitted, so
            that secrets registered after this call are masked too.
    """
    chosen = redactor or default_redactor()
    serializer = redacting_json_serializer(chosen)

    def redact(value: Any) -> Any:
        if isinstance(value, _RedactedJson):
            return str(value)
        if isinstance(value, str):
            return chosen.redact(value)
        if isinstance(value, Json | Jsonb):
            # psycopg serialises JSON itself, after this hook: force a serializer
            # that redacts, whichever one the wrapper was built with.
            return type(value)(value.obj, serializer)
        if isinstance(value, Mapping):
            return {key: redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [redact(item) for item in value]
        if isinstance(value, tuple):
            return tuple(redact(item) for item in value)
        return value

    @event.listens_for(engine, "before_cursor_execute", retval=True, named=True)
    def _redact_parameters(**event_arguments: Any) -> tuple[str, Any]:
        return event_arguments["statement"], redact(event_arguments["parameters"])
