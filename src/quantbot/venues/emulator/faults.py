"""Fault injection: which request gets which failure.

A :class:`FaultRule` says *what* goes wrong (an HTTP status, added latency, a request
held past the client's timeout, a malformed JSON body, a dropped connection), *where*
(a glob over the request path, optionally one HTTP method) and *how often* (a
probability, at most ``count`` times, after letting ``skip`` matching requests
through). The :class:`FaultInjector` holds the rules in the order they were added and
picks, for each request, the first rule that fires; the server applies it
(``middleware.py``). One request gets at most one fault.

Probabilities draw from one RNG per rule, seeded from the injector's seed and the
rule's id (or the rule's own ``seed``), so a test that sends the same requests sees
the same faults on every run, whatever other rules do.

The JSON form of a rule (control API ``POST /_emulator/faults``, ``--faults`` file)
has the field names of :class:`FaultRule`::

    {"path": "/api/v3/klines", "kind": "status", "status": 429, "count": 3}
    {"path": "/fapi/*", "kind": "latency", "latency_ms": 250, "probability": 0.5}
    {"path": "*", "kind": "timeout", "hold_s": 5, "skip": 10, "count": 1}
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from quantbot.venues.emulator.errors import InvalidFaultRule

__all__ = ["FaultInjector", "FaultKind", "FaultRule", "rules_from_json"]


class FaultKind(StrEnum):
    """The failures the emulator can inject."""

    STATUS = "status"
    """Answer with an HTTP error status (429 and 418 carry ``Retry-After``)."""
    LATENCY = "latency"
    """Answer normally after ``latency_ms``."""
    TIMEOUT = "timeout"
    """Hold the request ``hold_s`` seconds (longer than the client waits), then answer."""
    MALFORMED = "malformed"
    """Answer 200 with the real body cut in half: JSON that does not parse."""
    DROP = "drop"
    """Close the connection without sending any response."""


_RETRY_AFTER_STATUSES = frozenset({418, 429})


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault and the requests it applies to.

    Attributes:
        path: glob over the request path (``/api/v3/klines``, ``/fapi/*``, ``*``).
        kind: what goes wrong.
        method: only requests with this HTTP method (upper case); None for any.
        status: HTTP status for ``kind="status"`` (400-599).
        retry_after_s: ``Retry-After`` header in seconds; defaults to 1 for 429 and
            418, none otherwise.
        body: response body replacing the default one of ``status`` (for 429/418 the
            default is Binance's JSON error, for other statuses a plain-text page as a
            gateway sends).
        latency_ms: delay for ``kind="latency"``.
        hold_s: how long ``kind="timeout"`` holds the request.
        probability: chance that a matching request gets the fault (0 < p <= 1).
        count: fire at most this many times; None for no limit.
        skip: let this many matching requests through before the rule may fire.
        seed: seed of this rule's RNG; None derives one from the injector's seed.
        rule_id: assigned by the injector when the rule is added.
    """

    path: str
    kind: FaultKind
    method: str | None = None
    status: int | None = None
    retry_after_s: int | None = None
    body: str | None = None
    latency_ms: int = 0
    hold_s: float = 30.0
    probability: float = 1.0
    count: int | None = None
    skip: int = 0
    seed: int | None = None
    rule_id: int = 0

    def __post_init__(self) -> None:
        for name in ("status", "retry_after_s", "latency_ms", "count", "skip", "seed"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise InvalidFaultRule(f"fault rule {name} {value!r}: must be an integer")
        for name in ("probability", "hold_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidFaultRule(f"fault rule {name} {value!r}: must be a number")
        if not isinstance(self.path, str) or not self.path:
            raise InvalidFaultRule("fault rule path must not be empty (use '*' for every path)")
        if self.kind is FaultKind.STATUS and (self.status is None or not 400 <= self.status <= 599):
            raise InvalidFaultRule(
                f"fault rule status {self.status}: must be 400-599 for kind 'status'"
            )
        if not 0.0 < self.probability <= 1.0:
            raise InvalidFaultRule(f"fault rule probability {self.probability}: must be in (0, 1]")
        if self.count is not None and self.count < 1:
            raise InvalidFaultRule(f"fault rule count {self.count}: must be >= 1 or null")
        if self.skip < 0 or self.latency_ms < 0 or self.hold_s < 0:
            raise InvalidFaultRule("fault rule skip, latency_ms and hold_s must be >= 0")
        if self.retry_after_s is not None and self.retry_after_s < 0:
            raise InvalidFaultRule(f"fault rule retry_after_s {self.retry_after_s}: must be >= 0")

    @property
    def retry_after(self) -> int | None:
        """The ``Retry-After`` seconds the response carries, if any."""
        if self.retry_after_s is not None:
            return self.retry_after_s
        return 1 if self.status in _RETRY_AFTER_STATUSES else None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path is one the rule applies to."""
        return (self.method is None or self.method == method.upper()) and fnmatchcase(
            path, self.path
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build a rule from its JSON form.

        Raises:
            InvalidFaultRule: on unknown fields, an unknown kind or invalid values.
        """
        known = {f.name for f in fields(cls)} - {"rule_id"}
        unknown = set(data) - known
        if unknown:
            raise InvalidFaultRule(f"unknown fault rule field(s): {sorted(unknown)}")
        if "path" not in data or "kind" not in data:
            raise InvalidFaultRule("a fault rule needs 'path' and 'kind'")
        try:
            kind = FaultKind(data["kind"])
        except ValueError:
            kinds = ", ".join(k.value for k in FaultKind)
            raise InvalidFaultRule(f"unknown fault kind {data['kind']!r}; one of {kinds}") from None
        values = {**data, "kind": kind}
        if values.get("method") is not None:
            values["method"] = str(values["method"]).upper()
        try:
            return cls(**values)
        except TypeError as exc:
            raise InvalidFaultRule(f"invalid fault rule: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The rule's JSON form, including its id."""
        data = asdict(self)
        data["kind"] = self.kind.value
        return data


def rules_from_json(data: Any) -> list[FaultRule]:
    """Rules from parsed JSON: one rule object or a list of them.

    Raises:
        InvalidFaultRule: naming the rule (1-based) that is not an object or not valid.
    """
    items = data if isinstance(data, list) else [data]
    rules: list[FaultRule] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise InvalidFaultRule(f"fault rule {number} is not a JSON object")
        try:
            rules.append(FaultRule.from_mapping(item))
        except InvalidFaultRule as exc:
            raise InvalidFaultRule(f"fault rule {number}: {exc}") from None
    return rules


@dataclass(slots=True)
class _RuleState:
    rule: FaultRule
    rng: random.Random
    matched: int = 0
    fired: int = 0

    def exhausted(self) -> bool:
        return self.rule.count is not None and self.fired >= self.rule.count


@dataclass
class FaultInjector:
    """The active fault rules and their counters (thread-safe).

    Args:
        seed: seed from which each rule's RNG is derived (with the rule id).
    """

    seed: int = 0
    _rules: list[_RuleState] = field(default_factory=list, init=False, repr=False)
    _next_id: int = field(default=1, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def add(self, rule: FaultRule) -> FaultRule:
        """Append a rule (it applies after the rules added before it); return it with its id."""
        with self._lock:
            numbered = replace(rule, rule_id=self._next_id)
            self._next_id += 1
            seed = numbered.seed if numbered.seed is not None else f"{self.seed}:{numbered.rule_id}"
            self._rules.append(_RuleState(numbered, random.Random(seed)))
            return numbered

    def remove(self, rule_id: int) -> bool:
        """Drop one rule; False when no rule has that id."""
        with self._lock:
            before = len(self._rules)
            self._rules = [state for state in self._rules if state.rule.rule_id != rule_id]
            return len(self._rules) < before

    def clear(self) -> None:
        """Drop every rule."""
        with self._lock:
            self._rules.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        """Every rule's JSON form with ``matched`` and ``fired`` counters and ``active``."""
        with self._lock:
            return [
                {
                    **state.rule.to_dict(),
                    "matched": state.matched,
                    "fired": state.fired,
                    "active": not state.exhausted(),
                }
                for state in self._rules
            ]

    def choose(self, method: str, path: str) -> FaultRule | None:
        """The fault for one request: the first matching rule that fires, or None.

        Rules are examined in order until one fires; each one examined that matches
        counts the request (for ``skip``). A rule fires when its skip is used up, its
        count is not, and its probability draw succeeds.
        """
        with self._lock:
            for state in self._rules:
                rule = state.rule
                if not rule.matches(method, path):
                    continue
                state.matched += 1
                if state.matched <= rule.skip or state.exhausted():
                    continue
                if rule.probability < 1.0 and state.rng.random() >= rule.probability:
                    continue
                state.fired += 1
                return rule
            return None
