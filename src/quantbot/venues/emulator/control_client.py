"""A small synchronous client of the control API, for tests and scripts.

Standard library only (``urllib``), so it works wherever the emulator's URL is known,
including against an emulator started by ``quantbot emulator`` in another process.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from quantbot.venues.emulator.errors import EmulatorError
from quantbot.venues.emulator.middleware import CONTROL_PREFIX

__all__ = ["EmulatorControl"]

_TIMEOUT_S = 10.0


class EmulatorControl:
    """Drive an emulator's faults, traffic counters and simulated clock over HTTP.

    Args:
        base_url: the emulator's ``http://host:port``.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}{CONTROL_PREFIX}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read().decode(errors="replace")
            raise EmulatorError(f"{method} {path}: HTTP {exc.code}: {detail}") from None

    def status(self) -> dict[str, Any]:
        """Source, clock and listed markets."""
        result: dict[str, Any] = self._call("GET", "/status")
        return result

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add one fault rule; return it as stored, with its ``rule_id``.

        Keyword arguments are the fields of :class:`~quantbot.venues.emulator.faults.FaultRule`.

        Raises:
            EmulatorError: when the emulator rejects the rule.
        """
        added: dict[str, Any] = self._call("POST", "/faults", rule)["rules"][0]
        return added

    def faults(self) -> list[dict[str, Any]]:
        """Every rule with its ``matched`` and ``fired`` counters."""
        rules: list[dict[str, Any]] = self._call("GET", "/faults")["rules"]
        return rules

    def clear_faults(self) -> None:
        """Remove every rule."""
        self._call("DELETE", "/faults")

    def remove_fault(self, rule_id: int) -> None:
        """Remove one rule.

        Raises:
            EmulatorError: when no rule has that id.
        """
        self._call("DELETE", f"/faults/{rule_id}")

    def request_counts(self) -> dict[str, int]:
        """Requests per path since the last reset."""
        counts: dict[str, int] = self._call("GET", "/requests")["counts"]
        return counts

    def request_log(self, path: str | None = None) -> list[dict[str, Any]]:
        """Logged requests (oldest first), optionally only those to ``path``."""
        suffix = f"?path={quote(path)}" if path is not None else ""
        records: list[dict[str, Any]] = self._call("GET", f"/requests/log{suffix}")["requests"]
        return records

    def reset_requests(self) -> None:
        """Forget request counts and log."""
        self._call("DELETE", "/requests")

    def now_ms(self) -> int:
        """The emulator clock's time."""
        return int(self._call("GET", "/clock")["now_ms"])

    def set_time(self, now_ms: int) -> int:
        """Move the emulator's simulated clock forward to ``now_ms``.

        Raises:
            EmulatorError: on a wall clock, or when ``now_ms`` is in the clock's past.
        """
        return int(self._call("POST", "/clock", {"now_ms": now_ms})["now_ms"])
