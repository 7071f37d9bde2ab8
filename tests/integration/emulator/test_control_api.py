"""The control API: faults, counters and the clock over HTTP, as another process drives them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from quantbot.core.clock import WallClock
from quantbot.venues.emulator import EmulatorError

from fixtures.emulator import EMULATOR_NOW_MS, RunningEmulator, StartEmulator


def call(base_url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base_url + path, method=method, data=None if body is None else json.dumps(body).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, parsed(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, parsed(exc.read())


def parsed(body: bytes) -> Any:
    """JSON bodies parsed, others (a gateway's error page) as text."""
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body.decode()


def test_status_describes_source_clock_and_markets(emulator: RunningEmulator) -> None:
    status = emulator.control.status()
    assert status["now_ms"] == EMULATOR_NOW_MS
    assert status["simulated_clock"] is True
    assert "BTC/USDT" in status["spot"]
    assert "BTC/USDT:USDT" in status["usdm"]
    assert "synthetic" in status["source"]


def test_rules_are_added_listed_and_removed(emulator: RunningEmulator) -> None:
    status, body = call(
        emulator.base_url,
        "POST",
        "/_emulator/faults",
        [{"path": "/api/v3/*", "kind": "drop"}, {"path": "*", "kind": "latency", "latency_ms": 1}],
    )
    assert status == 200
    first, second = (rule["rule_id"] for rule in body["rules"])
    assert [r["rule_id"] for r in emulator.control.faults()] == [first, second]
    emulator.control.remove_fault(first)
    assert [r["rule_id"] for r in emulator.control.faults()] == [second]
    with pytest.raises(EmulatorError, match="404"):
        emulator.control.remove_fault(first)
    emulator.control.clear_faults()
    assert emulator.control.faults() == []


@pytest.mark.parametrize(
    "body",
    [
        {"path": "*", "kind": "status", "status": 200},
        {"kind": "drop"},
        ["drop"],
        {"path": "*", "kind": "melt"},
    ],
)
def test_invalid_rules_are_refused_with_400(emulator: RunningEmulator, body: Any) -> None:
    status, answer = call(emulator.base_url, "POST", "/_emulator/faults", body)
    assert status == 400
    assert answer["error"]
    assert emulator.control.faults() == []


def test_a_body_that_is_not_json_is_refused(emulator: RunningEmulator) -> None:
    request = urllib.request.Request(
        emulator.base_url + "/_emulator/faults", method="POST", data=b"{nope"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    raised.value.close()
    assert raised.value.code == 400


def test_control_calls_are_neither_counted_nor_faulted(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(path="*", kind="status", status=503)
    assert emulator.control.status()["now_ms"] == EMULATOR_NOW_MS
    assert call(emulator.base_url, "GET", "/api/v3/time") == (503, "503 Service Unavailable")
    assert emulator.control.request_counts() == {"/api/v3/time": 1}
    (record,) = emulator.control.request_log()
    assert (record["path"], record["fault"], record["ts_ms"]) == (
        "/api/v3/time",
        "status",
        EMULATOR_NOW_MS,
    )
    emulator.control.reset_requests()
    assert emulator.control.request_counts() == {}


def test_the_request_log_keeps_query_parameters(emulator: RunningEmulator) -> None:
    call(emulator.base_url, "GET", "/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=2")
    call(emulator.base_url, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=5")
    (record,) = emulator.control.request_log("/api/v3/klines")
    assert record["query"] == {"symbol": "BTCUSDT", "interval": "1h", "limit": "2"}


def test_a_simulated_clock_moves_forward_only(emulator: RunningEmulator) -> None:
    assert emulator.control.set_time(EMULATOR_NOW_MS + 5_000) == EMULATOR_NOW_MS + 5_000
    assert emulator.clock.now_ms() == EMULATOR_NOW_MS + 5_000
    status, _ = call(emulator.base_url, "GET", "/api/v3/time")
    assert status == 200
    with pytest.raises(EmulatorError, match="400"):
        emulator.control.set_time(EMULATOR_NOW_MS)


def test_the_wall_clock_cannot_be_moved(start_emulator: StartEmulator) -> None:
    running = start_emulator(clock=WallClock())
    status, body = call(running.base_url, "POST", "/_emulator/clock", {"now_ms": 1})
    assert status == 409
    assert "wall clock" in body["error"]
    assert running.control.now_ms() > EMULATOR_NOW_MS


def test_unknown_endpoints_answer_404(emulator: RunningEmulator) -> None:
    request = urllib.request.Request(emulator.base_url + "/sapi/v1/capital/config/getall")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    raised.value.close()
    assert raised.value.code == 404
