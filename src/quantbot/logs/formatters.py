"""Formatters that turn log records into redacted text: JSON lines and a console format.

Redaction happens here, at the last moment before text leaves the process, so no
caller can bypass it: whatever a record holds (message, ``%`` arguments, context
values, exception traceback, stack) is rendered to text and the *whole* result goes
through the :class:`~quantbot.logs.redaction.Redactor`.

A formatter never raises. ``logging.Handler.handleError`` would otherwise print the
record's raw message and arguments to stderr, secrets included.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import re
import traceback
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from quantbot.logs.events import LogEvent
from quantbot.logs.records import record_context, record_event
from quantbot.logs.redaction import Redactor, default_redactor

__all__ = ["ConsoleFormatter", "JsonFormatter", "RedactingFormatter", "format_exception_redacted"]

_MAX_DEPTH = 8
"""Nesting beyond this is rendered as text: it also stops self-referencing structures."""

_WITHHELD_MESSAGE = "log line withheld: redacting its JSON form made it unparseable"

_BARE_VALUE = re.compile(r"""[^\s"'=\[\]{},]+""")


def _safe_str(obj: object) -> str:
    """``str(obj)``, or a placeholder when the object's ``__str__`` itself fails."""
    try:
        return str(obj)
    except Exception:
        return f"<unprintable {type(obj).__name__}>"


def _jsonable(value: object, depth: int = 0) -> Any:
    """Convert ``value`` to what ``json.dumps`` accepts; anything else becomes text.

    Non-finite floats become text too: ``NaN`` is not JSON, and a log line that a
    strict parser rejects is a lost line.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else _safe_str(number)
    if depth >= _MAX_DEPTH:
        return _safe_str(value)
    if isinstance(value, Mapping):
        return {
            (key if isinstance(key, str) else _safe_str(key)): _jsonable(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item, depth + 1) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _safe_str(value)


def _message(record: logging.LogRecord) -> str:
    """The record's message with its ``%`` arguments, surviving a mismatch of the two."""
    try:
        return record.getMessage()
    except Exception:
        text = _safe_str(record.msg)
        if not record.args:
            return text
        return f"{text} [log arguments did not fit: {_safe_str(record.args)}]"


def _exception_text(record: logging.LogRecord) -> str:
    """The formatted traceback of the record's exception, or ``""``.

    Computed here rather than through ``Formatter.formatException`` so that the text
    never lands unredacted in the record's shared ``exc_text`` cache.
    """
    if record.exc_info:
        _, value, tb = record.exc_info
        if value is not None:
            return "".join(traceback.format_exception(type(value), value, tb)).rstrip("\n")
    return record.exc_text or ""


def _iso_utc(created: float) -> str:
    """``1714564800.1234`` -> ``"2024-05-01T12:00:00.123Z"`` (UTC, milliseconds)."""
    stamp = datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class RedactingFormatter(logging.Formatter):
    """Base of quantbot's formatters: renders a record, then redacts the whole text.

    Handlers that guarantee redaction accept only subclasses of this class.

    Args:
        redactor: the secrets to mask; the process-wide :func:`default_redactor`
            when omitted, so secrets registered later still apply.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor if redactor is not None else default_redactor()

    def format(self, record: logging.LogRecord) -> str:
        """Return the redacted text of ``record``; never raises."""
        try:
            return self._render(record)
        except Exception as exc:
            # Keep a line (a silent gap in an audit log is worse than a terse line)
            # that says why its body is missing; the failure text is redacted too.
            detail = format_exception_redacted(exc, redactor=self.redactor)
            return self._render_failure(record, f"log record could not be formatted: {detail}")

    def _render(self, record: logging.LogRecord) -> str:
        """Render and redact ``record``; subclasses define the layout."""
        raise NotImplementedError

    def _render_failure(self, record: logging.LogRecord, reason: str) -> str:
        """The line that stands in for a record ``_render`` failed on."""
        return self.redactor.redact(f"{_iso_utc(record.created)} {record.levelname:<8} {reason}")


class JsonFormatter(RedactingFormatter):
    """One JSON object per line, for files and log shippers.

    Fields: ``ts`` (UTC ISO-8601 with milliseconds and ``Z``), ``level``, ``event``,
    ``message``, ``logger``, every context field at top level, then ``exc`` (formatted
    traceback) and ``stack`` when the record has them.

    Redaction runs twice: on each field before serialisation (masking values of
    secret-named keys such as ``api_key``), then on the finished line, which catches
    a secret that only exists in serialised form (spelt across two list items, or
    escaped). If that second pass leaves the line unparseable, a short line that says
    so replaces it: every line stays valid JSON.
    """

    def _render(self, record: logging.LogRecord) -> str:
        head = {
            "ts": _iso_utc(record.created),
            "level": record.levelname,
            "event": record_event(record),
            "message": _message(record),
            "logger": record.name,
        }
        payload: dict[str, Any] = {**head, **_jsonable(record_context(record))}
        exc_text = _exception_text(record)
        if exc_text:
            payload["exc"] = exc_text
        if record.stack_info:
            payload["stack"] = record.stack_info
        line = _dumps(self.redactor.redact_obj(payload))
        checked = self.redactor.redact(line)
        if checked == line or _parses(checked):
            return checked
        line = _dumps({**self.redactor.redact_obj(head), "message": _WITHHELD_MESSAGE})
        if self.redactor.redact(line) == line:
            return line
        return self._render_failure(record, _WITHHELD_MESSAGE)

    def _render_failure(self, record: logging.LogRecord, reason: str) -> str:
        """A valid JSON line with the time, the level and ``reason``, each redacted."""
        fields = {"ts": _iso_utc(record.created), "level": record.levelname, "message": reason}
        return _dumps(self.redactor.redact_obj(fields))


def _dumps(payload: Any) -> str:
    """Compact, ASCII-only JSON: one physical line whatever the text holds."""
    return json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


class ConsoleFormatter(RedactingFormatter):
    """A line for humans: ``ts LEVEL [logger] EVENT message  key=value ...``.

    The event is left out for plain records (:attr:`LogEvent.LOG`). Nested context is
    flattened to dotted keys (``strategy_context.level=3``); text with spaces or
    quotes is double-quoted. A traceback or stack follows on the next lines.
    """

    def _render(self, record: logging.LogRecord) -> str:
        event = record_event(record)
        parts = [_iso_utc(record.created), f"{record.levelname:<8}", f"[{record.name}]"]
        if event != LogEvent.LOG:
            parts.append(event)
        parts.append(_message(record))
        text = " ".join(parts)
        context = self.redactor.redact_obj(_jsonable(record_context(record)))
        if context:
            text += "  " + " ".join(f"{k}={v}" for k, v in _flatten(context, ""))
        for block in (_exception_text(record), record.stack_info):
            if block:
                text += "\n" + block
        return self.redactor.redact(text)


def _flatten(context: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
    """``{"a": {"b": 1}, "c": "x y"}`` -> ``[("a.b", "1"), ("c", '"x y"')]``."""
    pairs: list[tuple[str, str]] = []
    for key, value in context.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            pairs.extend(_flatten(value, f"{name}."))
        else:
            pairs.append((name, _human(value)))
    return pairs


def _human(value: Any) -> str:
    """Render a JSON-like value for the console without JSON's noise."""
    if isinstance(value, str):
        return value if _BARE_VALUE.fullmatch(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_human(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_human(item) for item in value) + "]"
    if value is None:
        return "-"
    return _safe_str(value)


def format_exception_redacted(
    exc: BaseException, *, with_traceback: bool = False, redactor: Redactor | None = None
) -> str:
    """Text of ``exc`` that is safe to print: ``"AuthenticationError: binance {...}"``.

    For the CLI's one-line error messages and anything else that shows an exception
    outside the logging handlers. An exception's message is untrusted text: ccxt puts
    the exchange's response body there, which may echo the API key or a signed URL.

    Args:
        exc: the exception to describe.
        with_traceback: include the full traceback (with chained causes) instead of
            only ``Type: message``.
        redactor: defaults to the process-wide :func:`default_redactor`.
    """
    redactor = redactor if redactor is not None else default_redactor()
    if with_traceback:
        text = "".join(traceback.format_exception(exc)).rstrip("\n")
    else:
        message = _safe_str(exc)
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return redactor.redact(text)
