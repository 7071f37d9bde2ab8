import json
import logging
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from quantbot.logs import (
    MASK,
    ConsoleFormatter,
    JsonFormatter,
    LogEvent,
    Redactor,
    default_redactor,
    format_exception_redacted,
    log_event,
)

from .conftest import Captured

Capture = Callable[[Any], Captured]

SECRET = "Zq7\"Se\\cr'et/é+42"
ISO_MS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def spellings(secret: str) -> set[str]:
    """The ways a secret can show up in text: raw, URL-encoded, JSON-escaped, repr."""
    escaped = json.dumps(secret)[1:-1]
    return {
        secret,
        quote(secret, safe=""),
        escaped,
        escaped.replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }


def make_record(msg: object = "hello", args: Any = (), **attrs: object) -> logging.LogRecord:
    fields: dict[str, object] = {
        "name": "quantbot.test",
        "msg": msg,
        "args": args,
        "levelno": logging.INFO,
        "levelname": "INFO",
    }
    return logging.makeLogRecord({**fields, **attrs})


def assert_no_secret(text: str, secret: str = SECRET) -> None:
    for spelling in spellings(secret):
        assert spelling not in text, f"{spelling!r} leaked"


# --- JSON lines ----------------------------------------------------------------------------


def test_json_line_carries_the_required_fields_and_context_at_top_level(capture: Capture) -> None:
    captured = capture(JsonFormatter(Redactor()))
    log_event(
        captured.logger,
        LogEvent.ORDER_PLACED,
        "placed limit buy %s",
        "coid-7",
        strategy="grid",
        pair="BTC/USDT",
        client_order_id="coid-7",
        strategy_context={"level": 3, "side": "buy"},
    )
    (line,) = captured.lines
    parsed = json.loads(line)
    assert ISO_MS_Z.fullmatch(parsed.pop("ts"))
    assert parsed == {
        "level": "INFO",
        "event": "ORDER_PLACED",
        "message": "placed limit buy coid-7",
        "logger": captured.logger.name,
        "strategy": "grid",
        "pair": "BTC/USDT",
        "client_order_id": "coid-7",
        "strategy_context": {"level": 3, "side": "buy"},
    }


def test_json_ts_is_the_record_time_in_utc_with_milliseconds() -> None:
    # 1714564800 s is 2024-05-01 12:00:00 UTC.
    line = JsonFormatter(Redactor()).format(make_record(created=1714564800.1234, msecs=123.4))
    assert json.loads(line)["ts"] == "2024-05-01T12:00:00.123Z"


def test_json_plain_record_gets_the_log_event() -> None:
    parsed = json.loads(JsonFormatter(Redactor()).format(make_record()))
    assert parsed["event"] == LogEvent.LOG


def test_json_exception_is_in_exc_with_its_traceback(capture: Capture) -> None:
    captured = capture(JsonFormatter(Redactor()))
    try:
        raise KeyError("missing-pair")
    except KeyError:
        captured.logger.exception("lookup failed")
    parsed = json.loads(captured.text)
    assert parsed["level"] == "ERROR"
    assert parsed["exc"].startswith("Traceback (most recent call last):")
    assert "test_json_exception_is_in_exc_with_its_traceback" in parsed["exc"]
    assert parsed["exc"].endswith("KeyError: 'missing-pair'")


def test_json_stack_info_is_in_stack(capture: Capture) -> None:
    captured = capture(JsonFormatter(Redactor()))
    captured.logger.info("where am I", stack_info=True)
    parsed = json.loads(captured.text)
    assert parsed["stack"].startswith("Stack (most recent call last):")
    assert "test_json_stack_info_is_in_stack" in parsed["stack"]


def test_json_values_json_cannot_hold_become_text_instead_of_crashing(capture: Capture) -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque-thing"

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no text for you")

    loop: list[object] = []
    loop.append(loop)
    captured = capture(JsonFormatter(Redactor()))
    log_event(
        captured.logger,
        LogEvent.STATUS,
        "odd values",
        opaque=Opaque(),
        hostile=Hostile(),
        amount=Decimal("0.10"),
        when=datetime(2024, 5, 1, tzinfo=UTC),
        nan=math.nan,
        inf=-math.inf,
        raw=b"\x00\xff",
        pairs={("BTC", "USDT"): 1},
        loop=loop,
    )
    (line,) = captured.lines
    parsed = json.loads(line, parse_constant=lambda name: pytest_fail(f"bare {name}"))
    assert parsed["opaque"] == "opaque-thing"
    assert parsed["hostile"] == "<unprintable Hostile>"
    assert parsed["amount"] == "0.10"
    assert parsed["when"] == "2024-05-01T00:00:00+00:00"
    assert parsed["nan"] == "nan"
    assert parsed["inf"] == "-inf"
    assert parsed["raw"] == "b'\\x00\\xff'"
    assert parsed["pairs"] == {"('BTC', 'USDT')": 1}
    assert isinstance(parsed["loop"], list)


def pytest_fail(reason: str) -> None:
    raise AssertionError(reason)


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@given(
    message=st.text(),
    context=st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).map("c_{}".format),
        json_like,
        max_size=5,
    ),
)
def test_json_output_is_always_one_parseable_line_with_the_required_fields(
    message: str, context: dict[str, Any]
) -> None:
    line = JsonFormatter(Redactor([SECRET])).format(make_record(message, **context))
    assert "\n" not in line
    parsed = json.loads(line, parse_constant=lambda name: pytest_fail(f"bare {name}"))
    assert {"ts", "level", "event", "message", "logger"} <= parsed.keys()


@given(message=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,/-_é€\"'\\\n"))
def test_json_message_survives_serialisation_unchanged_when_it_holds_no_secret(
    message: str,
) -> None:
    parsed = json.loads(JsonFormatter(Redactor([SECRET])).format(make_record(message)))
    assert parsed["message"] == message


@given(before=st.text(), after=st.text())
def test_registered_secret_never_reaches_either_format(before: str, after: str) -> None:
    redactor = Redactor([SECRET])
    record = make_record(
        f"{before}{SECRET}{after}",
        note=f"{after}{SECRET}",
        strategy_context={"nested": [before, SECRET]},
    )
    for formatter in (JsonFormatter(redactor), ConsoleFormatter(redactor)):
        assert_no_secret(formatter.format(record))


def test_json_masks_the_value_of_a_secret_named_key_at_any_depth(capture: Capture) -> None:
    captured = capture(JsonFormatter(Redactor()))
    log_event(
        captured.logger,
        LogEvent.CONFIG_CHANGED,
        "exchange set up",
        api_key="unregistered-key-1",
        strategy_context={"exchange": {"apiSecret": "unregistered-secret-2"}},
        api_key_env="BINANCE_API_KEY",
    )
    parsed = json.loads(captured.text)
    assert parsed["api_key"] == MASK
    assert parsed["strategy_context"]["exchange"]["apiSecret"] == MASK
    # Naming where a secret lives is not a secret.
    assert parsed["api_key_env"] == "BINANCE_API_KEY"
    assert "unregistered" not in captured.text


def test_json_secret_used_as_a_dict_key_is_masked(capture: Capture) -> None:
    captured = capture(JsonFormatter(Redactor([SECRET])))
    log_event(captured.logger, LogEvent.STATUS, "per key", accounts={SECRET: "main"})
    assert_no_secret(captured.text)
    assert json.loads(captured.text)["accounts"] == {MASK: "main"}


def test_json_secret_that_only_appears_once_serialised_is_masked(capture: Capture) -> None:
    # Neither item holds the secret, but their serialisation spells it out.
    secret = 'abc","def'
    captured = capture(JsonFormatter(Redactor([secret])))
    log_event(captured.logger, LogEvent.STATUS, "pieces", parts=["xxabc", "defyy"])
    assert secret not in captured.text
    assert MASK in json.loads(captured.text)["parts"][0]


def test_json_line_that_redaction_would_break_is_replaced_by_a_valid_one(
    capture: Capture,
) -> None:
    secret = '1234567,"'
    captured = capture(JsonFormatter(Redactor([secret])))
    log_event(captured.logger, LogEvent.STATUS, "numbers", level=logging.WARNING, v=[1234567, "x"])
    assert secret not in captured.text
    parsed = json.loads(captured.text)
    assert parsed["level"] == "WARNING"
    assert parsed["event"] == "STATUS"
    assert "withheld" in parsed["message"]


def test_message_whose_str_fails_still_gives_a_line(capture: Capture) -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError(f"cannot render {SECRET}")

    captured = capture(JsonFormatter(Redactor([SECRET])))
    captured.logger.info(Hostile())
    assert_no_secret(captured.text)
    assert json.loads(captured.text)["message"] == "<unprintable Hostile>"


def test_record_that_cannot_be_rendered_still_gives_a_line_in_its_format(
    capture: Capture,
) -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError(f"event name unavailable {SECRET}")

    as_json = capture(JsonFormatter(Redactor([SECRET])))
    as_text = capture(ConsoleFormatter(Redactor([SECRET])))
    for captured in (as_json, as_text):
        captured.logger.error("x", extra={"event": Hostile()})
        assert_no_secret(captured.text)
        assert "could not be formatted: RuntimeError: event name unavailable ***" in captured.text
    parsed = json.loads(as_json.text)
    assert parsed["level"] == "ERROR"
    assert ISO_MS_Z.fullmatch(parsed["ts"])


def test_mismatched_percent_arguments_keep_the_line_and_do_not_print_the_record(
    capture: Capture, capsys: Any
) -> None:
    captured = capture(JsonFormatter(Redactor([SECRET])))
    captured.logger.info("count %d for %s", f"not-a-number {SECRET}")  # noqa: PLE1206 -- on purpose
    message = json.loads(captured.text)["message"]
    assert message.startswith("count %d for %s [log arguments did not fit:")
    assert_no_secret(captured.text)
    assert capsys.readouterr().err == ""


# --- console ---------------------------------------------------------------------------


def test_console_line_shows_time_level_logger_event_message_and_context(
    capture: Capture,
) -> None:
    captured = capture(ConsoleFormatter(Redactor()))
    log_event(
        captured.logger,
        LogEvent.ORDER_PLACED,
        "placed limit buy",
        strategy="grid",
        pair="BTC/USDT",
        strategy_context={"level": 3, "grid": {"spacing_pct": 0.5}},
        note="two words",
        filled=None,
    )
    (line,) = captured.lines
    timestamp, rest = line.split(" ", 1)
    assert ISO_MS_Z.fullmatch(timestamp)
    assert rest == (
        f"INFO     [{captured.logger.name}] ORDER_PLACED placed limit buy  strategy=grid "
        "pair=BTC/USDT strategy_context.level=3 strategy_context.grid.spacing_pct=0.5 "
        'note="two words" filled=-'
    )


def test_console_leaves_out_the_event_of_a_plain_record(capture: Capture) -> None:
    captured = capture(ConsoleFormatter(Redactor()))
    captured.logger.warning("plain words")
    assert captured.text.split(" ", 1)[1] == f"WARNING  [{captured.logger.name}] plain words\n"


def test_console_puts_the_traceback_on_the_following_lines(capture: Capture) -> None:
    captured = capture(ConsoleFormatter(Redactor()))
    try:
        raise ValueError("bad grid")
    except ValueError:
        captured.logger.exception("rebalance failed")
    first, *rest = captured.lines
    assert first.endswith("rebalance failed")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ValueError: bad grid"


def test_console_masks_secret_named_keys_and_registered_secrets(capture: Capture) -> None:
    captured = capture(ConsoleFormatter(Redactor([SECRET])))
    log_event(
        captured.logger,
        LogEvent.CONFIG_CHANGED,
        f"loaded {SECRET}",
        strategy_context={"password": "unregistered-pw"},
    )
    assert_no_secret(captured.text)
    assert "unregistered-pw" not in captured.text
    assert f"strategy_context.password={MASK}" in captured.text


# --- format_exception_redacted ---------------------------------------------------------------


def test_format_exception_redacted_gives_type_and_redacted_message() -> None:
    text = format_exception_redacted(
        RuntimeError(f"rejected {SECRET}"), redactor=Redactor([SECRET])
    )
    assert text == f"RuntimeError: rejected {MASK}"


def test_format_exception_redacted_with_traceback_covers_the_cause() -> None:
    redactor = Redactor([SECRET])
    try:
        try:
            raise ConnectionError(f"signed url had {SECRET}")
        except ConnectionError as cause:
            raise RuntimeError("fetch failed") from cause
    except RuntimeError as exc:
        text = format_exception_redacted(exc, with_traceback=True, redactor=redactor)
    assert "ConnectionError: signed url had" in text
    assert text.endswith("RuntimeError: fetch failed")
    assert_no_secret(text)


def test_format_exception_redacted_of_an_empty_message_is_the_type_name() -> None:
    assert format_exception_redacted(TimeoutError(), redactor=Redactor()) == "TimeoutError"


def test_format_exception_redacted_uses_the_default_redactor_when_none_given() -> None:
    default_redactor().add_secret(SECRET)
    try:
        assert_no_secret(format_exception_redacted(ValueError(SECRET)))
    finally:
        default_redactor().clear()
