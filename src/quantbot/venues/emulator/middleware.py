"""The middleware every exchange request passes: count it, inject its fault, map errors.

Order per request (control-API paths under ``/_emulator`` skip the first two):

1. record it in the traffic log (before any fault, so retries are counted);
2. ask the :class:`FaultInjector` for a fault and apply it: answer with an error
   status, delay, hold past the client's timeout, cut the body in half, or close the
   connection without a response;
3. run the handler; an :class:`ApiError` becomes Binance's JSON error body.

Error statuses are answered as Binance and its gateway do: 429 and 418 with Binance's
JSON body (code -1003) and a ``Retry-After`` header; other statuses with a short
plain-text page unless the rule gives a body. That matters to ccxt: a 5xx with a
Binance JSON code is mapped by the code (e.g. -1001 → ``OperationFailed``), one
without by the status (500/502/503 → ``ExchangeNotAvailable``, 504 → ``RequestTimeout``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.faults import FaultKind, FaultRule
from quantbot.venues.emulator.state import STATE

__all__ = ["CONTROL_PREFIX", "binance_json", "fault_middleware"]

CONTROL_PREFIX = "/_emulator"
_log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def binance_json(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response written compactly, with Binance's content type."""
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
        charset="UTF-8",
        headers=headers,
    )


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record, inject faults into and answer one request (see the module docstring)."""
    if request.path.startswith(CONTROL_PREFIX):
        return await _answer(request, handler)
    state = request.app[STATE]
    rule = state.faults.choose(request.method, request.path)
    state.traffic.record(
        ts_ms=state.clock.now_ms(),
        method=request.method,
        path=request.path,
        query=dict(request.query),
        fault=rule.kind.value if rule is not None else None,
    )
    if rule is None:
        return await _answer(request, handler)
    _log.debug("fault %s injected into %s %s", rule.kind.value, request.method, request.path_qs)
    if rule.kind is FaultKind.STATUS:
        return _status_response(rule, now_ms=state.clock.now_ms())
    if rule.kind is FaultKind.LATENCY:
        await asyncio.sleep(rule.latency_ms / 1000)
        return await _answer(request, handler)
    if rule.kind is FaultKind.TIMEOUT:
        await asyncio.sleep(rule.hold_s)
        return await _answer(request, handler)
    if rule.kind is FaultKind.MALFORMED:
        response = await _answer(request, handler)
        body = response.body if isinstance(response, web.Response) else None
        text = body if isinstance(body, bytes) else b"{}"
        return web.Response(
            status=200, body=text[: max(1, len(text) // 2)], content_type="application/json"
        )
    # DROP: close the socket; aiohttp then fails to write the response and lets it go.
    request.protocol.force_close()
    return web.Response(status=200)


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return binance_json({"code": exc.code, "msg": exc.msg}, status=exc.status)


def _status_response(rule: FaultRule, *, now_ms: int) -> web.Response:
    status = rule.status
    assert status is not None  # FaultRule guarantees it for kind "status"
    headers = {}
    retry_after = rule.retry_after
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if rule.body is not None:
        return web.Response(status=status, text=rule.body, headers=headers)
    if status == 429:
        message = (
            "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
            "Please use the websocket for live updates to avoid polling the API."
        )
        return binance_json({"code": -1003, "msg": message}, status=status, headers=headers)
    if status == 418:
        banned_until = now_ms + 1000 * (retry_after or 0)
        message = (
            f"Way too much request weight used; IP banned until {banned_until}. "
            "Please use WebSocket Streams for live updates to avoid bans."
        )
        return binance_json({"code": -1003, "msg": message}, status=status, headers=headers)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return web.Response(status=status, text=f"{status} {phrase}", headers=headers)
