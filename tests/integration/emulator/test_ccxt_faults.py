"""Injected faults as unmodified ccxt experiences them, sync (requests) and async (aiohttp).

What ccxt raises is ccxt's business; these tests pin it so that code retrying "transient"
errors (ccxt's ``NetworkError`` family) knows what it will see:

- 429 and 418 → ``DDoSProtection`` (binance's handler checks them first; not
  ``RateLimitExceeded``), with the ``Retry-After`` header in ``last_response_headers``;
- 500/502/503 with a gateway's text body → ``ExchangeNotAvailable``, 504 →
  ``RequestTimeout``; but a 5xx carrying Binance's JSON code -1001 → ``OperationFailed``,
  which is *not* a ``NetworkError``;
- a request held past the client's timeout → ``RequestTimeout``;
- a dropped connection → ``NetworkError`` (sync); the async client silently retries a
  request whose reused connection was dropped once, so only a second drop surfaces,
  as ``ExchangeNotAvailable``;
- malformed JSON → **no exception**: ccxt hands the unparsable text to the parser,
  which returns garbage (``fetch_time`` gives None, ``fetch_ohlcv`` rows of None), so
  callers must validate what they get.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt
import pytest

from quantbot.venues.emulator import FaultRule

from fixtures.emulator import (
    EMULATOR_NOW_MS,
    RunningEmulator,
    StartEmulator,
    async_binance_client,
    binance_client,
)

KLINES = "/api/v3/klines"


def fetch_klines(binance: Any) -> list[list[float]]:
    return binance.fetch_ohlcv("BTC/USDT", "1m", limit=3)


@pytest.fixture
def client(emulator: RunningEmulator) -> Any:
    exchange = binance_client(emulator.base_url, timeout=1000)
    exchange.load_markets()
    yield exchange
    exchange.close()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, ccxt.DDoSProtection),
        (418, ccxt.DDoSProtection),
        (500, ccxt.ExchangeNotAvailable),
        (502, ccxt.ExchangeNotAvailable),
        (503, ccxt.ExchangeNotAvailable),
        (504, ccxt.RequestTimeout),
    ],
)
def test_error_statuses_raise_network_errors(
    client: Any, emulator: RunningEmulator, status: int, error: type[Exception]
) -> None:
    emulator.control.add_fault(path=KLINES, kind="status", status=status, count=1)
    with pytest.raises(error) as raised:
        fetch_klines(client)
    assert isinstance(raised.value, ccxt.NetworkError)
    assert len(fetch_klines(client)) == 3  # count 1: the next request goes through


def test_429_carries_retry_after_and_binance_code(client: Any, emulator: RunningEmulator) -> None:
    emulator.control.add_fault(path=KLINES, kind="status", status=429, retry_after_s=7, count=1)
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):
        fetch_klines(client)
    assert client.last_response_headers["Retry-After"] == "7"


def test_a_5xx_with_a_binance_json_code_is_mapped_by_the_code(
    client: Any, emulator: RunningEmulator
) -> None:
    body = (
        '{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}'
    )
    emulator.control.add_fault(path=KLINES, kind="status", status=500, body=body, count=1)
    with pytest.raises(ccxt.OperationFailed) as raised:
        fetch_klines(client)
    assert not isinstance(raised.value, ccxt.NetworkError)


def test_the_next_three_requests_fail_then_the_endpoint_recovers(
    client: Any, emulator: RunningEmulator
) -> None:
    emulator.control.reset_requests()
    emulator.control.add_fault(path=KLINES, kind="status", status=503, count=3)
    for _ in range(3):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            fetch_klines(client)
    assert len(fetch_klines(client)) == 3
    assert client.fetch_time() == EMULATOR_NOW_MS  # other endpoints were never affected
    assert emulator.control.request_counts() == {KLINES: 4, "/api/v3/time": 1}
    assert [r["fault"] for r in emulator.control.request_log(KLINES)] == ["status"] * 3 + [None]
    (rule,) = emulator.control.faults()
    assert (rule["fired"], rule["active"]) == (3, False)


def test_a_request_held_past_the_client_timeout_raises_request_timeout(
    client: Any, emulator: RunningEmulator
) -> None:
    emulator.control.add_fault(path=KLINES, kind="timeout", hold_s=5, count=1)
    with pytest.raises(ccxt.RequestTimeout):
        fetch_klines(client)


def test_latency_below_the_timeout_only_delays_and_above_it_times_out(
    client: Any, emulator: RunningEmulator
) -> None:
    emulator.control.add_fault(path=KLINES, kind="latency", latency_ms=20, count=1)
    assert len(fetch_klines(client)) == 3
    emulator.control.add_fault(path=KLINES, kind="latency", latency_ms=3000, count=1)
    with pytest.raises(ccxt.RequestTimeout):
        fetch_klines(client)
    assert [r["fired"] for r in emulator.control.faults()] == [1, 1]


def test_malformed_json_reaches_the_caller_as_garbage_not_as_an_error(
    client: Any, emulator: RunningEmulator
) -> None:
    emulator.control.add_fault(path="/api/v3/time", kind="malformed", count=1)
    assert client.fetch_time() is None
    emulator.control.add_fault(path=KLINES, kind="malformed", count=1)
    rows = fetch_klines(client)
    assert rows
    assert all(value is None for row in rows for value in row[1:])
    assert client.last_http_response.startswith("[[")
    assert fetch_klines(client)[0][1] is not None


def test_a_dropped_connection_raises_network_error(client: Any, emulator: RunningEmulator) -> None:
    emulator.control.add_fault(path=KLINES, kind="drop", count=1)
    with pytest.raises(ccxt.NetworkError):
        fetch_klines(client)
    assert len(fetch_klines(client)) == 3


def test_faults_can_be_installed_at_start_up(start_emulator: StartEmulator) -> None:
    running = start_emulator(
        faults=[FaultRule.from_mapping({"path": "/fapi/*", "kind": "status", "status": 503})]
    )
    exchange = binance_client(running.base_url)
    try:
        with pytest.raises(ccxt.ExchangeNotAvailable):
            exchange.load_markets()
    finally:
        exchange.close()


def outcomes(start_emulator: StartEmulator, seed: int) -> list[bool]:
    running = start_emulator(fault_seed=seed)
    running.control.add_fault(path="/api/v3/time", kind="status", status=503, probability=0.5)
    exchange = binance_client(running.base_url)
    try:
        results = []
        for _ in range(30):
            try:
                exchange.fetch_time()
                results.append(True)
            except ccxt.ExchangeNotAvailable:
                results.append(False)
        return results
    finally:
        exchange.close()


def test_probabilistic_faults_repeat_exactly_for_the_same_seed(
    start_emulator: StartEmulator,
) -> None:
    first, again, other = (
        outcomes(start_emulator, 11),
        outcomes(start_emulator, 11),
        outcomes(start_emulator, 12),
    )
    assert first == again
    assert first != other
    assert 0 < sum(first) < 30


def test_the_async_client_sees_the_same_faults(emulator: RunningEmulator) -> None:
    async def scenario() -> list[str]:
        seen: list[str] = []
        async with async_binance_client(emulator.base_url, timeout=1000) as exchange:
            await exchange.load_markets()
            for fault in (
                {"kind": "status", "status": 429},
                {"kind": "status", "status": 503},
                {"kind": "timeout", "hold_s": 5},
                {"kind": "drop", "count": 2},
            ):
                emulator.control.add_fault(path=KLINES, **{"count": 1, **fault})
                try:
                    await exchange.fetch_ohlcv("BTC/USDT", "1m", limit=3)
                    seen.append("ok")
                except ccxt.BaseError as exc:
                    seen.append(type(exc).__name__)
            emulator.control.add_fault(path=KLINES, kind="drop", count=1)
            rows = await exchange.fetch_ohlcv("BTC/USDT", "1m", limit=3)
            seen.append(f"retried:{len(rows)}")
        return seen

    assert asyncio.run(scenario()) == [
        "DDoSProtection",
        "ExchangeNotAvailable",
        "RequestTimeout",
        "ExchangeNotAvailable",
        "retried:3",
    ]
