"""Log handlers that only ever write redacted text: a stream and a rotating JSON file.

Both accept only a :class:`~quantbot.logs.formatters.RedactingFormatter`, and both
replace ``logging.Handler.handleError``, whose default prints the failing record's
raw message and arguments to stderr: a path around redaction when, say, the disk is
full.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TextIO

from quantbot.logs.formatters import (
    ConsoleFormatter,
    JsonFormatter,
    RedactingFormatter,
    format_exception_redacted,
)
from quantbot.logs.redaction import Redactor, default_redactor

__all__ = ["RedactingStreamHandler", "RotatingJsonFileHandler"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 5


class _RedactingHandler(logging.Handler):
    """Shared behaviour: redacting formatters only, redacted error reports."""

    def setFormatter(self, fmt: logging.Formatter | None) -> None:  # noqa: N802 -- stdlib name
        """Install ``fmt``, which must redact.

        Raises:
            TypeError: if ``fmt`` is not a :class:`RedactingFormatter`; a plain
                formatter would write secrets verbatim.
        """
        if not isinstance(fmt, RedactingFormatter):
            raise TypeError(f"{type(self).__name__} needs a RedactingFormatter, got {fmt!r}")
        super().setFormatter(fmt)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 -- stdlib name
        """Report a failure to emit ``record`` on stderr, redacted, without its content."""
        if not logging.raiseExceptions or sys.stderr is None:
            return
        formatter = self.formatter
        redactor = (
            formatter.redactor if isinstance(formatter, RedactingFormatter) else default_redactor()
        )
        error = sys.exc_info()[1]
        detail = (
            format_exception_redacted(error, with_traceback=True, redactor=redactor)
            if error is not None
            else "unknown error"
        )
        report = f"--- logging error in {type(self).__name__}, record of {record.name!r} lost ---"
        try:
            sys.stderr.write(redactor.redact(f"{report}\n{detail}\n"))
        except OSError:
            # stderr is gone too; there is nowhere left to report to.
            return


class RedactingStreamHandler(_RedactingHandler, logging.StreamHandler[TextIO]):
    """Writes redacted records to a text stream (stderr by default).

    Args:
        stream: where to write; ``sys.stderr`` when omitted.
        formatter: the layout; :class:`ConsoleFormatter` with the default redactor
            when omitted.
    """

    def __init__(
        self, stream: TextIO | None = None, formatter: RedactingFormatter | None = None
    ) -> None:
        super().__init__(stream)
        self.setFormatter(formatter if formatter is not None else ConsoleFormatter())


class RotatingJsonFileHandler(_RedactingHandler, logging.handlers.RotatingFileHandler):
    """Appends JSON lines to a UTF-8 file, rotating it by size.

    When the file would grow past ``max_bytes`` it is renamed ``<name>.1`` (older
    ones shift to ``.2``... up to ``backup_count``; the oldest is deleted) and a new
    file is started. Missing parent directories are created.

    Args:
        path: the log file.
        max_bytes: size that triggers a rotation, in bytes.
        backup_count: rotated files kept.
        redactor: defaults to the process-wide :func:`default_redactor`.

    Raises:
        ValueError: if ``max_bytes`` or ``backup_count`` is below 1 (the standard
            handler would then never rotate and the file would grow without bound).
        OSError: if the directory cannot be created or the file opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backup_count: int = DEFAULT_BACKUP_COUNT,
        redactor: Redactor | None = None,
    ) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes {max_bytes} must be >= 1")
        if backup_count < 1:
            raise ValueError(f"backup_count {backup_count} must be >= 1")
        file_path = Path(path)
        file_path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(file_path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        self.setFormatter(JsonFormatter(redactor))
