"""The control API under ``/_emulator``: what tests and operators drive.

Plain JSON over HTTP on the emulator's own port, never counted as traffic and never
faulted::

    GET    /_emulator/status              source, clock, listed markets
    GET    /_emulator/faults              rules with their matched/fired counters
    POST   /_emulator/faults              add a rule (or a list), see faults.py
    DELETE /_emulator/faults              remove every rule
    DELETE /_emulator/faults/{rule_id}    remove one rule
    GET    /_emulator/requests            requests per path since the last reset
    GET    /_emulator/requests/log        the requests themselves (?path=/api/v3/klines)
    DELETE /_emulator/requests            reset counts and log
    GET    /_emulator/clock               {"now_ms": ..., "simulated": true|false}
    POST   /_emulator/clock               {"now_ms": ...}: move a simulated clock forward

Errors answer 400 (a malformed body or rule), 404 (no such rule) or 409 (moving a wall
clock), with ``{"error": "..."}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from quantbot.core.clock import SimulatedClock
from quantbot.venues.emulator.errors import InvalidFaultRule
from quantbot.venues.emulator.faults import rules_from_json
from quantbot.venues.emulator.middleware import CONTROL_PREFIX, binance_json
from quantbot.venues.emulator.state import STATE

__all__ = ["control_routes"]


def _error(status: int, message: str) -> web.Response:
    return binance_json({"error": message}, status=status)


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except json.JSONDecodeError as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body is not JSON: {exc}"}), content_type="application/json"
        ) from None


async def status(request: web.Request) -> web.Response:
    """Source, clock and listed markets."""
    state = request.app[STATE]
    return binance_json(
        {
            "source": state.source.description,
            "now_ms": state.clock.now_ms(),
            "simulated_clock": isinstance(state.clock, SimulatedClock),
            "spot": [spec.symbol for spec in state.catalogue.spot],
            "usdm": [spec.symbol for spec in state.catalogue.usdm],
        }
    )


async def list_faults(request: web.Request) -> web.Response:
    """Every rule with its counters."""
    return binance_json({"rules": request.app[STATE].faults.snapshot()})


async def add_faults(request: web.Request) -> web.Response:
    """Add one rule or a list of rules; answers the rules as stored (with ids)."""
    try:
        rules = rules_from_json(await _json_body(request))
    except InvalidFaultRule as exc:
        return _error(400, str(exc))
    added = [request.app[STATE].faults.add(rule).to_dict() for rule in rules]
    return binance_json({"rules": added})


async def clear_faults(request: web.Request) -> web.Response:
    """Remove every rule."""
    request.app[STATE].faults.clear()
    return binance_json({"rules": []})


async def remove_fault(request: web.Request) -> web.Response:
    """Remove the rule named in the path."""
    try:
        rule_id = int(request.match_info["rule_id"])
    except ValueError:
        return _error(400, "rule id must be an integer")
    if not request.app[STATE].faults.remove(rule_id):
        return _error(404, f"no fault rule {rule_id}")
    return binance_json({"removed": rule_id})


async def request_counts(request: web.Request) -> web.Response:
    """Requests per path since the last reset."""
    counts = request.app[STATE].traffic.counts()
    return binance_json({"counts": counts, "total": sum(counts.values())})


async def request_log(request: web.Request) -> web.Response:
    """Logged requests, oldest first, optionally for one path."""
    records = request.app[STATE].traffic.records(request.query.get("path"))
    return binance_json({"requests": [record.to_dict() for record in records]})


async def reset_requests(request: web.Request) -> web.Response:
    """Forget counts and log."""
    request.app[STATE].traffic.reset()
    return binance_json({"counts": {}, "total": 0})


async def get_clock(request: web.Request) -> web.Response:
    """The emulator's time and whether it is simulated."""
    clock = request.app[STATE].clock
    return binance_json({"now_ms": clock.now_ms(), "simulated": isinstance(clock, SimulatedClock)})


async def set_clock(request: web.Request) -> web.Response:
    """Move a simulated clock forward to ``now_ms``."""
    clock = request.app[STATE].clock
    if not isinstance(clock, SimulatedClock):
        return _error(409, "the emulator runs on the wall clock; start it with a simulated one")
    body = await _json_body(request)
    now_ms = body.get("now_ms") if isinstance(body, dict) else None
    if not isinstance(now_ms, int):
        return _error(400, 'body must be {"now_ms": <epoch ms>}')
    try:
        clock.advance_to(now_ms)
    except ValueError as exc:
        return _error(400, str(exc))
    return binance_json({"now_ms": clock.now_ms(), "simulated": True})


def control_routes() -> list[web.RouteDef]:
    """The control API's routes."""
    p = CONTROL_PREFIX
    return [
        web.get(f"{p}/status", status),
        web.get(f"{p}/faults", list_faults),
        web.post(f"{p}/faults", add_faults),
        web.delete(f"{p}/faults", clear_faults),
        web.delete(f"{p}/faults/{{rule_id}}", remove_fault),
        web.get(f"{p}/requests", request_counts),
        web.get(f"{p}/requests/log", request_log),
        web.delete(f"{p}/requests", reset_requests),
        web.get(f"{p}/clock", get_clock),
        web.post(f"{p}/clock", set_clock),
    ]
