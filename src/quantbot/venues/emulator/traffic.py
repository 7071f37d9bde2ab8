"""What the emulator was asked: request counts per endpoint and a bounded request log.

Tests assert client behaviour through it (how many pages a download fetched, how
many times a failed request was retried, with which ``startTime``), so every
exchange request is recorded before any fault is applied; requests to the control
API (``/_emulator/...``) are not.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RequestRecord", "TrafficRecorder"]

_LOG_SIZE = 10_000
"""Records kept; a test run sends far fewer, a long CLI session forgets the oldest."""


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One exchange request as the emulator received it.

    Attributes:
        seq: 1-based order of arrival since the last reset.
        ts_ms: the emulator clock's time at arrival.
        method: HTTP method.
        path: request path without the query string.
        query: query parameters (last value wins for repeated names).
        fault: the kind of fault injected into it, or None.
    """

    seq: int
    ts_ms: int
    method: str
    path: str
    query: dict[str, str]
    fault: str | None

    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
        return {
            "seq": self.seq,
            "ts_ms": self.ts_ms,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "fault": self.fault,
        }


@dataclass
class TrafficRecorder:
    """Thread-safe counts per path and the most recent requests."""

    _counts: Counter[str] = field(default_factory=Counter, init=False)
    _log: deque[RequestRecord] = field(
        default_factory=lambda: deque(maxlen=_LOG_SIZE), init=False, repr=False
    )
    _seq: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def record(
        self, *, ts_ms: int, method: str, path: str, query: dict[str, str], fault: str | None
    ) -> RequestRecord:
        """Count and log one request."""
        with self._lock:
            self._seq += 1
            entry = RequestRecord(self._seq, ts_ms, method, path, query, fault)
            self._counts[path] += 1
            self._log.append(entry)
            return entry

    def counts(self) -> dict[str, int]:
        """Requests per path since the last reset."""
        with self._lock:
            return dict(self._counts)

    def records(self, path: str | None = None) -> list[RequestRecord]:
        """Logged requests, oldest first, optionally only those to ``path``."""
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    def reset(self) -> None:
        """Forget every count and record."""
        with self._lock:
            self._counts.clear()
            self._log.clear()
            self._seq = 0
