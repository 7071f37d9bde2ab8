import io
import json
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from quantbot.logs import LogEvent, Redactor, configure_logging, log_event, reset_logging

SECRET = "setup-s3cret-value"


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_configuring_twice_does_not_duplicate_lines() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, redactor=Redactor())
    configure_logging(stream=stream, redactor=Redactor())
    logging.getLogger("quantbot.test.twice").warning("once")
    assert len(lines(stream)) == 1


def test_reconfiguring_replaces_the_stream_and_the_format() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(stream=first, console_format="text", redactor=Redactor())
    configure_logging(stream=second, console_format="json", redactor=Redactor())
    logging.getLogger("quantbot.test.replace").warning("where")
    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["message"] == "where"


def test_level_filters_our_records_and_third_party_ones() -> None:
    stream = io.StringIO()
    configure_logging(level="warning", stream=stream, redactor=Redactor())
    ours = logging.getLogger("quantbot.test.level")
    ours.info("dropped info")
    log_event(ours, LogEvent.ORDER_REJECTED, "kept warning", level=logging.WARNING)
    logging.getLogger("urllib3.connectionpool").debug("dropped debug")
    logging.getLogger("urllib3.connectionpool").error("kept error")
    text = stream.getvalue()
    assert "dropped" not in text
    assert "kept warning" in text
    assert "kept error" in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"level": "VERBOSE"}, "log level"), ({"console_format": "xml"}, "console_format")],
)
def test_bad_settings_are_refused_and_install_nothing(kwargs: dict[str, Any], match: str) -> None:
    before = list(logging.getLogger().handlers)
    with pytest.raises(ValueError, match=match):
        configure_logging(stream=io.StringIO(), **kwargs)
    assert logging.getLogger().handlers == before


def test_file_gets_json_lines_while_the_console_gets_text(tmp_path: Path) -> None:
    stream = io.StringIO()
    path = tmp_path / "logs" / "quantbot.log"
    configure_logging(stream=stream, file_path=path, redactor=Redactor())
    log_event(logging.getLogger("quantbot.test.file"), LogEvent.STARTUP, "up", mode="paper")
    assert "STARTUP up  mode=paper" in stream.getvalue()
    record = json.loads(path.read_text(encoding="utf-8"))
    assert (record["event"], record["mode"]) == ("STARTUP", "paper")


def test_foreign_root_handlers_are_left_alone() -> None:
    foreign = logging.StreamHandler(io.StringIO())
    root = logging.getLogger()
    root.addHandler(foreign)
    try:
        configure_logging(stream=io.StringIO(), redactor=Redactor())
        configure_logging(stream=io.StringIO(), redactor=Redactor())
        reset_logging()
        assert foreign in root.handlers
    finally:
        root.removeHandler(foreign)


def test_reset_restores_hooks_level_and_handlers() -> None:
    root = logging.getLogger()
    before = (sys.excepthook, threading.excepthook, root.level, list(root.handlers))
    configure_logging(level="DEBUG", stream=io.StringIO(), redactor=Redactor())
    assert sys.excepthook is not before[0]
    assert threading.excepthook is not before[1]
    reset_logging()
    assert (sys.excepthook, threading.excepthook, root.level, list(root.handlers)) == before


def test_hooks_stay_untouched_when_not_asked_for() -> None:
    before = (sys.excepthook, threading.excepthook)
    configure_logging(stream=io.StringIO(), redactor=Redactor(), install_excepthooks=False)
    assert (sys.excepthook, threading.excepthook) == before


def test_uncaught_exception_in_a_thread_is_logged_redacted() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, console_format="json", redactor=Redactor([SECRET]))

    def crash() -> None:
        raise RuntimeError(f"venue refused {SECRET}")

    worker = threading.Thread(target=crash, name="venue-poller")
    worker.start()
    worker.join()
    (line,) = lines(stream)
    record = json.loads(line)
    assert record["event"] == "UNCAUGHT_EXCEPTION"
    assert record["level"] == "CRITICAL"
    assert "venue-poller" in record["message"]
    assert record["exc"].endswith("RuntimeError: venue refused ***")
    assert SECRET not in line


def test_keyboard_interrupt_goes_to_the_default_hook_not_the_log(capsys: Any) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, redactor=Redactor())
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert stream.getvalue() == ""
    assert "KeyboardInterrupt" in capsys.readouterr().err


def test_uncaught_exception_in_the_main_thread_is_logged_redacted_before_exit() -> None:
    program = textwrap.dedent(
        f"""
        from quantbot.logs import configure_logging, default_redactor
        default_redactor().add_secret({SECRET!r})
        configure_logging(console_format="json")
        raise ConnectionError("login rejected for key " + {SECRET!r})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    record = json.loads(line)
    assert record["event"] == "UNCAUGHT_EXCEPTION"
    assert record["exc"].endswith("ConnectionError: login rejected for key ***")
    assert SECRET not in done.stderr
