"""One call that sets up logging for the whole process, and its undo.

:func:`configure_logging` puts redacting handlers on the root logger, so records of
every library that uses the standard ``logging`` module (ccxt, urllib3, asyncio)
get the same formats and the same redaction as quantbot's own. It also replaces
``sys.excepthook`` and ``threading.excepthook``: Python's defaults print an uncaught
exception's traceback raw to stderr, and an exchange error's message may hold the
API key it echoed.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TextIO

from quantbot.logs.events import LogEvent
from quantbot.logs.formatters import ConsoleFormatter, JsonFormatter
from quantbot.logs.handlers import (
    DEFAULT_BACKUP_COUNT,
    DEFAULT_MAX_BYTES,
    RedactingStreamHandler,
    RotatingJsonFileHandler,
)
from quantbot.logs.records import log_event
from quantbot.logs.redaction import Redactor, default_redactor

__all__ = ["configure_logging", "reset_logging"]

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_CRASH_LOGGER = "quantbot.crash"

_ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]
_ThreadingExceptHook = Callable[[threading.ExceptHookArgs], Any]


@dataclass
class _Installed:
    """What :func:`configure_logging` changed, so that it can be undone exactly."""

    handlers: list[logging.Handler]
    previous_level: int
    previous_excepthook: _ExceptHook | None = None
    previous_threading_excepthook: _ThreadingExceptHook | None = None


_lock = threading.Lock()
_installed: _Installed | None = None


def configure_logging(
    *,
    level: str = "INFO",
    console_format: Literal["text", "json"] = "text",
    stream: TextIO | None = None,
    file_path: str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
    redactor: Redactor | None = None,
    install_excepthooks: bool = True,
) -> None:
    """Route all logging through redacting handlers on the root logger.

    Calling it again replaces what the previous call installed (no duplicated
    lines); handlers that others added to the root logger are left alone.

    Args:
        level: minimum level name (``"DEBUG"`` ... ``"CRITICAL"``, any case), applied
            to the root logger and so to third-party loggers without their own level.
        console_format: ``"text"`` for humans, ``"json"`` for a log collector.
        stream: console destination; ``sys.stderr`` when omitted.
        file_path: when given, JSON lines also go to this file, rotated by size.
        max_bytes: file size that triggers a rotation, in bytes.
        backup_count: rotated files kept.
        redactor: secrets to mask; the process-wide :func:`default_redactor` when
            omitted, so secrets the configuration registers later still apply.
        install_excepthooks: log uncaught exceptions (main and other threads),
            redacted, instead of letting Python print them raw.

    Raises:
        ValueError: for an unknown level or console format, or a ``max_bytes`` or
            ``backup_count`` below 1.
        OSError: if the log file's directory cannot be created or the file opened.
    """
    global _installed  # noqa: PLW0603 -- the root logger is process-wide state too
    level_name = level.upper()
    if level_name not in _LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(_LEVELS)}")
    if console_format not in ("text", "json"):
        raise ValueError(f"console_format {console_format!r} must be 'text' or 'json'")
    redactor = redactor if redactor is not None else default_redactor()
    console = ConsoleFormatter(redactor) if console_format == "text" else JsonFormatter(redactor)
    handlers: list[logging.Handler] = [
        RedactingStreamHandler(stream if stream is not None else sys.stderr, console)
    ]
    if file_path is not None:
        handlers.append(
            RotatingJsonFileHandler(
                file_path, max_bytes=max_bytes, backup_count=backup_count, redactor=redactor
            )
        )
    with _lock:
        _undo()
        root = logging.getLogger()
        installed = _Installed(handlers=handlers, previous_level=root.level)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level_name)
        if install_excepthooks:
            installed.previous_excepthook = sys.excepthook
            installed.previous_threading_excepthook = threading.excepthook
            sys.excepthook = _log_uncaught
            threading.excepthook = _log_uncaught_in_thread
        _installed = installed


def reset_logging() -> None:
    """Undo :func:`configure_logging`: remove and close its handlers, restore the hooks.

    For tests and for embedding quantbot in a process that manages its own logging.
    Does nothing if logging was not configured.
    """
    with _lock:
        _undo()


def _undo() -> None:
    """Remove what the last configuration installed; the caller holds ``_lock``."""
    global _installed  # noqa: PLW0603
    installed = _installed
    if installed is None:
        return
    root = logging.getLogger()
    for handler in installed.handlers:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(installed.previous_level)
    # Restore a hook only if it is still ours: whoever replaced it since owns it now.
    if installed.previous_excepthook is not None and sys.excepthook is _log_uncaught:
        sys.excepthook = installed.previous_excepthook
    if (
        installed.previous_threading_excepthook is not None
        and threading.excepthook is _log_uncaught_in_thread
    ):
        threading.excepthook = installed.previous_threading_excepthook
    _installed = None


def _log_uncaught(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """``sys.excepthook``: log the exception that is about to end the program.

    Ctrl-C is not a crash: it goes to Python's default hook, which prints the usual
    ``KeyboardInterrupt`` trace (code locations only, no values).
    """
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log_event(
        logging.getLogger(_CRASH_LOGGER),
        LogEvent.UNCAUGHT_EXCEPTION,
        "uncaught exception, exiting",
        level=logging.CRITICAL,
        exc_info=(exc_type, exc, tb),
    )


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    """``threading.excepthook``: log an exception that ended a thread.

    ``SystemExit`` is how a thread quits on purpose; like Python's own hook, ignore it.
    """
    if issubclass(args.exc_type, SystemExit):
        return
    log_event(
        logging.getLogger(_CRASH_LOGGER),
        LogEvent.UNCAUGHT_EXCEPTION,
        "uncaught exception in thread %s",
        args.thread.name if args.thread is not None else "?",
        level=logging.CRITICAL,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
        if args.exc_value is not None
        else None,
    )
