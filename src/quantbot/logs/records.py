"""How an event name and its context ride on a standard ``logging.LogRecord``.

quantbot logs through the standard library so that third-party records (ccxt,
urllib3, asyncio) reach the same handlers, formats and redaction as our own. An
event is a record with two kinds of extra attributes: ``event`` (a :class:`LogEvent`)
and context fields (``strategy``, ``pair``, ``client_order_id``, a nested
``strategy_context``...). :func:`log_event` sets them; the formatters read them back
with :func:`record_event` and :func:`record_context`, which also pick up whatever a
plain ``logger.info(..., extra={...})`` attached.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TypeAlias

from quantbot.logs.events import LogEvent

__all__ = ["RESERVED_FIELDS", "log_event", "record_context", "record_event"]

_ExcInfo: TypeAlias = (
    bool
    | BaseException
    | tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
    | None
)
"""What ``logging.Logger.log`` accepts as ``exc_info``."""

_EVENT_ATTR = "event"

# Every attribute a bare LogRecord has (the set differs between Python versions, so it
# is measured, not listed), plus the two that Formatter.format adds later.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {
    "message",
    "asctime",
}

RESERVED_FIELDS = frozenset({"ts", "level", "event", "message", "logger", "exc", "stack"})
"""Top-level JSON fields every line has; context fields may not reuse these names."""


def log_event(
    logger: logging.Logger,
    event: LogEvent,
    message: str,
    /,
    *args: object,
    level: int = logging.INFO,
    exc_info: _ExcInfo = None,
    stack_info: bool = False,
    **context: object,
) -> None:
    """Log ``message`` as ``event`` with context fields, through ``logger``.

    ``message`` and ``args`` work as in ``logger.log`` (``%s`` placeholders are filled
    only if the level is enabled). Context values may be anything: the formatters turn
    what JSON cannot hold into text, and redact all of it.

    Example::

        log_event(log, LogEvent.ORDER_PLACED, "placed limit buy", strategy="grid",
                  pair="BTC/USDT", client_order_id=coid, strategy_context={"level": 3})

    Raises:
        ValueError: if a context name collides with a ``LogRecord`` attribute
            (``name``, ``module``, ``thread``...) or a reserved JSON field
            (:data:`RESERVED_FIELDS`); the record would otherwise lose the value.
    """
    clashes = context.keys() & (_RECORD_ATTRS | RESERVED_FIELDS)
    if clashes:
        raise ValueError(
            f"context field(s) {sorted(clashes)} collide with LogRecord attributes or "
            f"reserved JSON fields {sorted(RESERVED_FIELDS)}; rename them"
        )
    # stacklevel=2 makes the record's file, line and function those of our caller.
    logger.log(
        level,
        message,
        *args,
        exc_info=exc_info,
        stack_info=stack_info,
        stacklevel=2,
        extra={_EVENT_ATTR: event, **context},
    )


def record_event(record: logging.LogRecord) -> str:
    """Return the record's event name; :attr:`LogEvent.LOG` when it named none."""
    event = record.__dict__.get(_EVENT_ATTR)
    return LogEvent.LOG.value if event is None else str(event)


def record_context(record: logging.LogRecord) -> dict[str, object]:
    """Return the record's context fields: every attribute a bare ``LogRecord`` lacks.

    A field set through ``extra=`` by code that did not use :func:`log_event` may
    carry a reserved name (``level``, ``ts``...); it is kept as ``context_<name>`` so
    it can neither vanish nor overwrite the line's own field.
    """
    return {
        (f"context_{key}" if key in RESERVED_FIELDS else key): value
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRS and key != _EVENT_ATTR
    }
