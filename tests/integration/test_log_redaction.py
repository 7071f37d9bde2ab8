"""Issue 3, section 5: known secrets pushed through every log path never reach the output.

The sinks are the ones production uses (console text or JSON, rotated JSON file),
set up by ``configure_logging``. The ccxt path is real: an unmodified
``ccxt.binance`` talks HTTP to a local server that answers like Binance does when a
key is refused, echoing the key back, and ccxt raises its own error from that.
"""

from __future__ import annotations

import io
import json
import linecache
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import ccxt
import pytest

from quantbot.logs import (
    LogEvent,
    Redactor,
    configure_logging,
    format_exception_redacted,
    log_event,
    reset_logging,
)

# Registered secrets, as the configuration registers the keys it read from the
# environment. Base64-like keys make the URL-encoded spelling differ from the raw one.
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv+sw0MuIgwCIPy6utIco14y7Ju91duEh8A/Q="
API_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP+1e3UZjInClVN65XAbvqqM6A7H5fATj0j/Q="
PASSPHRASE = "pa\"ss\\wo'rd/é+42"
REGISTERED = (API_KEY, API_SECRET, PASSPHRASE)

# Never registered: caught because of their shape or the name of their key.
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DB_PASSWORD = "hunter2-db-password"
BEARER = "eyJhbGciOiJIUzI1NiJ9.e30.bearer-sig"
NAMED_KEY_VALUE = "unregistered-api-key-value"
NAMED_SECRET_VALUE = "unregistered-api-secret-value"
UNREGISTERED = (TELEGRAM_TOKEN, DB_PASSWORD, BEARER, NAMED_KEY_VALUE, NAMED_SECRET_VALUE)


def forbidden_spellings() -> set[str]:
    spellings = set(UNREGISTERED)
    for secret in REGISTERED:
        escaped = json.dumps(secret)[1:-1]
        spellings |= {
            secret,
            quote(secret, safe=""),
            quote_plus(secret),
            escaped,
            escaped.replace("/", "\\/"),
            json.dumps(secret, ensure_ascii=False)[1:-1],
            repr(secret)[1:-1],
        }
    return spellings


def assert_nothing_leaked(text: str) -> None:
    leaked = sorted(s for s in forbidden_spellings() if s in text)
    assert leaked == [], f"secrets leaked: {leaked}"


# --- a local server that answers like Binance refusing a key ------------------------------


@dataclass
class FakeBinance:
    """Serves empty market lists; refuses every signed call the configured way."""

    refusal: str = "401"
    server: ThreadingHTTPServer | None = None
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(self, path: str, key: str) -> tuple[int, str]:
        self.requests.append(path)
        if "exchangeInfo" in path:
            return 200, json.dumps({"timezone": "UTC", "serverTime": 0, "symbols": []})
        if self.refusal == "401":
            msg = f"Invalid API-key {key}, IP, or permissions for action."
            return 401, json.dumps({"code": -2015, "msg": msg})
        if self.refusal == "400":
            msg = f"Signature for this request is not valid. apiKey={quote(key, safe='')}"
            return 400, json.dumps({"code": -1022, "msg": msg})
        return 503, f"upstream refused key {key} for {path}"


@pytest.fixture
def fake_binance() -> Iterator[FakeBinance]:
    fake = FakeBinance()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = fake.respond(self.path, self.headers.get("X-MBX-APIKEY", ""))
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the server quiet; its access log is not under test."""

    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


def refused_binance_call(fake: FakeBinance) -> ccxt.BaseError:
    """Call a private ccxt method against ``fake`` and return the error ccxt raised."""
    exchange = ccxt.binance({"apiKey": API_KEY, "secret": API_SECRET})
    exchange.urls["api"] = {
        name: fake.url + urlsplit(url).path for name, url in exchange.urls["api"].items()
    }
    try:
        exchange.fetch_balance()
    except ccxt.BaseError as error:
        return error
    finally:
        exchange.close()
    raise AssertionError("the fake exchange accepted the key")


# --- code whose source lines hold secrets (tracebacks and stacks print source) ------------

LEAKY_FILE = "<leaky_venue_module>"
LEAKY_SOURCE = f"""
def fail(marker):
    raise ValueError(marker + " " + {API_KEY!r})  # {API_SECRET} {PASSPHRASE}

def fail_with_cause(marker):
    try:
        raise KeyError({PASSPHRASE!r})
    except KeyError as cause:
        raise RuntimeError(marker + " " + {API_SECRET!r}) from cause

def log_stack(logger):
    logger.info("path-stack-info", stack_info=True)  # {API_KEY} {PASSPHRASE}
"""


@pytest.fixture
def leaky() -> Iterator[dict[str, Callable[..., Any]]]:
    linecache.cache[LEAKY_FILE] = (
        len(LEAKY_SOURCE),
        None,
        LEAKY_SOURCE.splitlines(keepends=True),
        LEAKY_FILE,
    )
    namespace: dict[str, Any] = {}
    exec(compile(LEAKY_SOURCE, LEAKY_FILE, "exec"), namespace)
    yield namespace
    linecache.cache.pop(LEAKY_FILE, None)


# --- the sinks ---------------------------------------------------------------------------


@dataclass
class Sinks:
    console_format: str
    console: io.StringIO
    log_dir: Path

    def files(self) -> list[Path]:
        return sorted(self.log_dir.iterdir())

    def file_text(self) -> str:
        return "".join(p.read_text(encoding="utf-8") for p in self.files())


@pytest.fixture
def sinks(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Sinks]:
    console = io.StringIO()
    log_dir = tmp_path / "logs"
    configure_logging(
        level="DEBUG",
        console_format=request.param,
        stream=console,
        file_path=log_dir / "quantbot.log",
        max_bytes=4096,
        backup_count=500,
        redactor=Redactor(REGISTERED),
    )
    yield Sinks(request.param, console, log_dir)
    reset_logging()


def assert_json_lines(text: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        assert {"ts", "level", "event", "message", "logger"} <= record.keys()
    return records


# --- the tests ---------------------------------------------------------------------------

MARKERS = (
    "path-message",
    "path-percent-args",
    "path-context",
    "path-strategy-context",
    "path-secret-named-key",
    "path-logger-exception",
    "path-raised-with-cause",
    "path-excepthook",
    "path-thread-hook",
    "path-stack-info",
    "path-third-party",
    "sendMessage",
    "path-ccxt",
    "AuthenticationError",
    "ccxt.base.exchange",
)


@pytest.mark.parametrize("sinks", ["text", "json"], indirect=True)
def test_known_secrets_pushed_through_every_log_path_reach_no_output(
    sinks: Sinks, leaky: dict[str, Callable[..., Any]], fake_binance: FakeBinance
) -> None:
    log = logging.getLogger("quantbot.venues.test")

    log.info(f"path-message key={API_KEY} passphrase={PASSPHRASE}")
    log.warning("path-percent-args %s %r %s", API_KEY, {"nested": PASSPHRASE}, [API_SECRET])
    log_event(
        log,
        LogEvent.ORDER_PLACED,
        "path-context",
        strategy="grid",
        pair="BTC/USDT",
        client_order_id=f"coid-{API_KEY}",
        note=PASSPHRASE,
    )
    log_event(
        log,
        LogEvent.GRID_REBALANCE,
        "path-strategy-context",
        strategy_context={"grid": {"levels": [1, API_SECRET]}, "auth": {"words": PASSPHRASE}},
    )
    log_event(
        log,
        LogEvent.CONFIG_CHANGED,
        "path-secret-named-key",
        api_key=NAMED_KEY_VALUE,
        strategy_context={"apiSecret": NAMED_SECRET_VALUE},
    )
    try:
        leaky["fail"]("path-logger-exception")
    except ValueError:
        log.exception("logged with its traceback")
    try:
        leaky["fail_with_cause"]("path-raised-with-cause")
    except RuntimeError:
        log.exception("logged with its cause")
    try:
        leaky["fail"]("path-excepthook")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    worker = threading.Thread(target=leaky["fail"], args=("path-thread-hook",))
    worker.start()
    worker.join()
    leaky["log_stack"](log)
    logging.getLogger("thirdparty.client").warning(
        "path-third-party headers {'Authorization': 'Bearer %s'} url postgresql://bot:%s@db/q",
        BEARER,
        DB_PASSWORD,
    )
    # What httpx, under python-telegram-bot, logs at INFO for every Bot API call.
    logging.getLogger("httpx").info(
        'HTTP Request: POST https://api.telegram.org/bot%s/sendMessage "HTTP/1.1 200 OK"',
        TELEGRAM_TOKEN,
    )
    error = refused_binance_call(fake_binance)
    assert API_KEY in str(error), "precondition: the ccxt error echoes the key"
    try:
        raise error
    except ccxt.BaseError:
        log.exception("path-ccxt fetch_balance refused")
    reset_logging()  # flushes and closes the file

    console, files = sinks.console.getvalue(), sinks.file_text()
    assert len(sinks.files()) > 1, "the file never rotated"
    if sinks.console_format == "json":
        assert_json_lines(console)
    else:
        assert not console.startswith("{")
    assert_json_lines(files)
    for output in (console, files):
        missing = [marker for marker in MARKERS if marker not in output]
        assert missing == [], f"paths that produced no output: {missing}"
        assert_nothing_leaked(output)


@pytest.mark.parametrize("sinks", ["text"], indirect=True)
@pytest.mark.parametrize(
    ("refusal", "error_type", "echo"),
    [
        ("401", ccxt.AuthenticationError, API_KEY),
        ("400", ccxt.AuthenticationError, quote(API_KEY, safe="")),
        ("503", ccxt.ExchangeNotAvailable, API_KEY),
    ],
)
def test_ccxt_error_echoing_the_key_is_redacted_in_logs_and_printed_errors(
    sinks: Sinks,
    fake_binance: FakeBinance,
    refusal: str,
    error_type: type[ccxt.BaseError],
    echo: str,
) -> None:
    fake_binance.refusal = refusal
    error = refused_binance_call(fake_binance)
    assert isinstance(error, error_type)
    assert echo in str(error), "precondition: the ccxt error echoes the key"
    signed_path = next(p for p in fake_binance.requests if "signature=" in p)
    try:
        raise error
    except ccxt.BaseError:
        logging.getLogger("quantbot.venues.ccxt").exception("balance refused")
    printed = format_exception_redacted(error, redactor=Redactor(REGISTERED))
    reset_logging()

    for output in (sinks.console.getvalue(), sinks.file_text(), printed):
        assert error_type.__name__ in output
        assert_nothing_leaked(output)
    # The signed request (its path, not its signature) stays readable for debugging.
    assert urlsplit(signed_path).path in sinks.file_text()
    assert_json_lines(sinks.file_text())
