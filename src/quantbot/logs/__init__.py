"""Structured logging, and the redaction layer that keeps secrets out of it.

JSON lines for machines (files, collectors), a readable console format for humans.
Set up once at start-up with :func:`configure_logging`; log domain events with
:func:`log_event`. Plain ``logging`` calls, ours and third-party libraries', get the
same formats and the same redaction.
"""

from quantbot.logs.events import LogEvent
from quantbot.logs.formatters import (
    ConsoleFormatter,
    JsonFormatter,
    RedactingFormatter,
    format_exception_redacted,
)
from quantbot.logs.handlers import RedactingStreamHandler, RotatingJsonFileHandler
from quantbot.logs.records import RESERVED_FIELDS, log_event, record_context, record_event
from quantbot.logs.redaction import MASK, Redactor, default_redactor, is_sensitive_key
from quantbot.logs.setup import configure_logging, reset_logging

__all__ = [
    "MASK",
    "RESERVED_FIELDS",
    "ConsoleFormatter",
    "JsonFormatter",
    "LogEvent",
    "RedactingFormatter",
    "RedactingStreamHandler",
    "Redactor",
    "RotatingJsonFileHandler",
    "configure_logging",
    "default_redactor",
    "format_exception_redacted",
    "is_sensitive_key",
    "log_event",
    "record_context",
    "record_event",
    "reset_logging",
]
