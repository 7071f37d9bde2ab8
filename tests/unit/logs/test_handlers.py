import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantbot.logs import (
    ConsoleFormatter,
    JsonFormatter,
    RedactingStreamHandler,
    Redactor,
    RotatingJsonFileHandler,
)

SECRET = "disk-s3cret-value"


@pytest.fixture
def file_logger(request: pytest.FixtureRequest) -> Iterator[logging.Logger]:
    logger = logging.getLogger(f"test.handlers.{request.node.name}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_file_handler_creates_missing_parent_directories(
    tmp_path: Path, file_logger: logging.Logger
) -> None:
    path = tmp_path / "deep" / "er" / "bot.log"
    file_logger.addHandler(RotatingJsonFileHandler(path, redactor=Redactor()))
    file_logger.info("first line")
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["message"] == "first line"


def test_file_handler_rotates_by_size_and_keeps_backup_count_files(
    tmp_path: Path, file_logger: logging.Logger
) -> None:
    path = tmp_path / "bot.log"
    max_bytes = 600
    file_logger.addHandler(
        RotatingJsonFileHandler(path, max_bytes=max_bytes, backup_count=2, redactor=Redactor())
    )
    for n in range(60):
        file_logger.info("line %03d %s", n, "x" * 40)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["bot.log", "bot.log.1", "bot.log.2"]
    for f in files:
        assert f.stat().st_size <= max_bytes
    newest_first = [path, path.with_name("bot.log.1"), path.with_name("bot.log.2")]
    kept = [
        json.loads(line)["message"][:8]
        for f in reversed(newest_first)
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    # The newest lines survive, in order, without gaps; the oldest were dropped.
    assert kept[-1] == "line 059"
    assert kept == [f"line {n:03d}" for n in range(60 - len(kept), 60)]
    assert len(kept) < 60


@pytest.mark.parametrize(("max_bytes", "backup_count"), [(0, 3), (1000, 0)])
def test_file_handler_rejects_sizes_that_would_never_rotate(
    tmp_path: Path, max_bytes: int, backup_count: int
) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        RotatingJsonFileHandler(tmp_path / "x.log", max_bytes=max_bytes, backup_count=backup_count)
    assert not (tmp_path / "x.log").exists()


@pytest.mark.parametrize("handler_kind", ["stream", "file"])
def test_handlers_refuse_a_formatter_that_does_not_redact(
    tmp_path: Path, handler_kind: str
) -> None:
    handler = (
        RedactingStreamHandler(io.StringIO())
        if handler_kind == "stream"
        else RotatingJsonFileHandler(tmp_path / "x.log")
    )
    try:
        with pytest.raises(TypeError, match="RedactingFormatter"):
            handler.setFormatter(logging.Formatter())
        handler.setFormatter(JsonFormatter())
    finally:
        handler.close()


def test_stream_handler_defaults_to_the_console_format() -> None:
    handler = RedactingStreamHandler(io.StringIO())
    assert isinstance(handler.formatter, ConsoleFormatter)


class _BrokenStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(f"device full while writing {text!r}")


def test_write_failure_is_reported_redacted_and_without_the_record(
    file_logger: logging.Logger, capsys: Any
) -> None:
    file_logger.addHandler(
        RedactingStreamHandler(_BrokenStream(), JsonFormatter(Redactor([SECRET])))
    )
    file_logger.error("order for account %s", SECRET)
    err = capsys.readouterr().err
    assert "logging error in RedactingStreamHandler" in err
    assert "OSError: device full while writing" in err
    assert SECRET not in err
    # The stdlib default would have printed "Message: ..." and "Arguments: ...".
    assert "Arguments" not in err


def test_write_failure_report_is_silent_when_logging_is_told_not_to_raise(
    file_logger: logging.Logger, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)
    file_logger.addHandler(RedactingStreamHandler(_BrokenStream(), JsonFormatter(Redactor())))
    file_logger.error("lost")
    assert capsys.readouterr().err == ""
