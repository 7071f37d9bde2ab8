"""Loss circuit breakers: daily, weekly and monthly P&L limits, and the recovery mode after a daily break.

:class:`CircuitBreaker` is a pure state machine. The engine feeds it the account equity
(:meth:`CircuitBreaker.observe`, every risk check interval, on every fill and at
:meth:`CircuitBreaker.next_change_ms`) and carries out the :class:`RiskEvent` actions
it returns; the pre-trade checks (:mod:`quantbot.risk.breaker_checks`) read its status.

The P&L of a period is the equity now against the equity at the period's start, so
unrealised P&L and fees count. Days, weeks (starting Monday) and months begin at local
midnight in the configured time zone (:mod:`quantbot.risk.periods`). A period's start
equity is the first equity observed in it: the equity at the boundary when the engine
observes there, as :meth:`CircuitBreaker.next_change_ms` asks it to.

- Daily loss reaching ``daily_loss_limit_pct``: ``DAILY_CIRCUIT_BREAK``. Cancel every
  open order, close the positions of :attr:`BreakerPolicy.CLOSE` strategies at market,
  keep the inventory of :attr:`BreakerPolicy.KEEP_INVENTORY` ones; nothing opens.
  After ``resume_after_hours`` it resumes by itself into recovery mode: order sizes
  cut by ``reduce_position_sizes_by_pct`` for ``recovery_period_hours``.
- Weekly loss reaching ``weekly_loss_limit_pct``: ``WEEKLY_CIRCUIT_BREAK``. Cancel
  everything, close every position at market; only :meth:`CircuitBreaker.manual_resume`
  ends it.
- Monthly loss reaching ``monthly_loss_limit_pct``: ``MONTHLY_SHUTDOWN``. As weekly, and
  every strategy stops; only :meth:`CircuitBreaker.reset_after_config_change` with a
  configuration fingerprint other than the one at the trip ends it.

While a breaker is in force, only more severe ones can trip (a weekly loss during a
daily break escalates; a daily loss during a weekly break changes nothing). When a
breaker ends, the periods at and below its own start afresh from the equity at the
next observation: otherwise the loss that tripped it would trip it again at once (a
manual weekly resume mid-week would be undone by the same week's loss).

:meth:`CircuitBreaker.state` and :meth:`CircuitBreaker.from_state` carry everything
through a restart as JSON-ready values, so a restart never clears a breaker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from quantbot.core import InvalidValue, QuantbotError
from quantbot.risk.periods import Period, period_bounds, time_zone
from quantbot.risk.risk_events import (
    ALL_POLICIES,
    BreakerPolicy,
    RiskAction,
    RiskEvent,
    RiskEventKind,
    iso_ms,
)

__all__ = [
    "PCT_TOLERANCE",
    "BreakerNotResumable",
    "BreakerStatus",
    "CircuitBreaker",
    "LossLimits",
]

_HOUR_MS = 3_600_000
PCT_TOLERANCE = 1e-9
"""Percentage points of float noise forgiven when comparing with a limit: -3.00 % trips a 3 % limit."""


class BreakerNotResumable(QuantbotError):
    """A resume or reset was asked that the breaker's status does not allow.

    The message says what the status needs instead (wait, resume manually, or change
    the configuration); the CLI prints it and exits 1.
    """


class BreakerStatus(StrEnum):
    """The circuit breaker's status, as shown to the user and stored."""

    NORMAL = "NORMAL"
    RECOVERY = "RECOVERY"
    DAILY_CIRCUIT_BREAK = "DAILY_CIRCUIT_BREAK"
    WEEKLY_CIRCUIT_BREAK = "WEEKLY_CIRCUIT_BREAK"
    MONTHLY_SHUTDOWN = "MONTHLY_SHUTDOWN"


_SEVERITY = {
    BreakerStatus.NORMAL: 0,
    BreakerStatus.RECOVERY: 0,
    BreakerStatus.DAILY_CIRCUIT_BREAK: 1,
    BreakerStatus.WEEKLY_CIRCUIT_BREAK: 2,
    BreakerStatus.MONTHLY_SHUTDOWN: 3,
}
_TRIPS = (  # the most severe first: one observation trips only the most severe breaker
    (Period.MONTH, BreakerStatus.MONTHLY_SHUTDOWN),
    (Period.WEEK, BreakerStatus.WEEKLY_CIRCUIT_BREAK),
    (Period.DAY, BreakerStatus.DAILY_CIRCUIT_BREAK),
)
_RESTARTED = {  # the periods that start afresh when a breaker ends
    BreakerStatus.DAILY_CIRCUIT_BREAK: (Period.DAY,),
    BreakerStatus.WEEKLY_CIRCUIT_BREAK: (Period.DAY, Period.WEEK),
    BreakerStatus.MONTHLY_SHUTDOWN: (Period.DAY, Period.WEEK, Period.MONTH),
}
_ACTIONS = {
    BreakerStatus.DAILY_CIRCUIT_BREAK: RiskAction(
        cancel_all_orders=True,
        close_positions=frozenset({BreakerPolicy.CLOSE}),
        stop_opening=ALL_POLICIES,
    ),
    BreakerStatus.WEEKLY_CIRCUIT_BREAK: RiskAction(
        cancel_all_orders=True, close_positions=ALL_POLICIES, stop_opening=ALL_POLICIES
    ),
    BreakerStatus.MONTHLY_SHUTDOWN: RiskAction(
        cancel_all_orders=True,
        close_positions=ALL_POLICIES,
        stop_opening=ALL_POLICIES,
        shutdown=True,
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LossLimits:
    """The loss limits and the recovery after a daily break (percent: 3.0 = 3 %).

    Attributes:
        daily_loss_limit_pct: daily loss that trips the daily breaker.
        weekly_loss_limit_pct: weekly loss that trips the weekly breaker.
        monthly_loss_limit_pct: monthly loss that shuts everything down.
        reduce_position_sizes_by_pct: cut of opening order sizes in recovery mode.
        recovery_period_hours: length of recovery mode; 0 resumes at full size.
        resume_after_hours: length of a daily break.

    Raises:
        InvalidValue: for a limit outside (0, 100], a cut outside [0, 100) or a negative
            or non-finite number of hours.
    """

    daily_loss_limit_pct: float = 3.0
    weekly_loss_limit_pct: float = 7.0
    monthly_loss_limit_pct: float = 12.0
    reduce_position_sizes_by_pct: float = 50.0
    recovery_period_hours: float = 48.0
    resume_after_hours: float = 24.0

    def __post_init__(self) -> None:
        for name in ("daily_loss_limit_pct", "weekly_loss_limit_pct", "monthly_loss_limit_pct"):
            value = getattr(self, name)
            if not 0 < value <= 100:
                raise InvalidValue(f"{name} {value}: must be in (0, 100]")
        if not 0 <= self.reduce_position_sizes_by_pct < 100:
            raise InvalidValue(
                f"reduce_position_sizes_by_pct {self.reduce_position_sizes_by_pct}: must be in "
                "[0, 100); recovery mode trades smaller, it does not stop trading"
            )
        for name in ("recovery_period_hours", "resume_after_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidValue(f"{name} {value}: must be a finite number >= 0")

    def limit_pct(self, period: Period) -> float:
        """The loss limit of ``period`` (positive: 3.0 means a 3 % loss)."""
        if period is Period.DAY:
            return self.daily_loss_limit_pct
        if period is Period.WEEK:
            return self.weekly_loss_limit_pct
        return self.monthly_loss_limit_pct


@dataclass(slots=True)
class _Baseline:
    """One period: its bounds (epoch ms, end exclusive) and its start equity.

    ``start_equity`` is None after a breaker ended, until the next observation sets it.
    """

    start_ms: int
    end_ms: int
    start_equity: float | None


class CircuitBreaker:
    """Daily, weekly and monthly loss breakers and the recovery mode, fed with equity.

    Args:
        limits: the loss limits; the defaults are REQUIREMENTS.md's 3 / 7 / 12 %.
        timezone: IANA name of the zone whose midnights start the periods.
        config_fingerprint: fingerprint of the configuration in force; a monthly
            shutdown clears only under another one.

    Raises:
        InvalidValue: for an unknown time zone.
    """

    def __init__(
        self,
        limits: LossLimits | None = None,
        *,
        timezone: str = "UTC",
        config_fingerprint: str = "",
    ) -> None:
        self._limits = limits or LossLimits()
        self._zone = time_zone(timezone)
        self._fingerprint = config_fingerprint
        self._status = BreakerStatus.NORMAL
        self._tripped_at_ms: int | None = None
        self._resume_at_ms: int | None = None
        self._recovery_until_ms: int | None = None
        self._trip_fingerprint: str | None = None
        self._last_ts_ms: int | None = None
        self._periods: dict[Period, _Baseline] = {}
        self._quiet: tuple[int, float] | None = None
        """(until_ms, above): before ``until_ms`` an equity above ``above`` changes
        nothing, as the last full observation found; None: observe in full."""

    @property
    def limits(self) -> LossLimits:
        """The loss limits."""
        return self._limits

    @property
    def status(self) -> BreakerStatus:
        """The status as of the last observation or manual action."""
        return self._status

    @property
    def active(self) -> bool:
        """True while a breaker is in force: only closing orders may pass."""
        return _SEVERITY[self._status] > 0

    @property
    def tripped_at_ms(self) -> int | None:
        """When the breaker in force tripped; None when none is."""
        return self._tripped_at_ms

    @property
    def recovery_size_factor(self) -> float:
        """Factor on opening order sizes: ``1 - reduce_position_sizes_by_pct / 100`` in recovery, else 1."""
        if self._status is BreakerStatus.RECOVERY:
            return 1.0 - self._limits.reduce_position_sizes_by_pct / 100.0
        return 1.0

    @property
    def resume_at_ms(self) -> int | None:
        """When a daily break in force resumes by itself; None when none is."""
        return self._resume_at_ms

    @property
    def trip_fingerprint(self) -> str | None:
        """The configuration's fingerprint when the monthly shutdown in force tripped, else None."""
        return self._trip_fingerprint

    @property
    def recovery_until_ms(self) -> int | None:
        """End of recovery mode; None outside it."""
        return self._recovery_until_ms

    def next_change_ms(self) -> int | None:
        """The next time the breaker changes by time alone; the engine observes then.

        The earliest of the daily break's end, the recovery's end and the next period
        boundary (where a period's start equity is taken). None before the first
        observation.
        """
        times = [baseline.end_ms for baseline in self._periods.values()]
        if self._resume_at_ms is not None:
            times.append(self._resume_at_ms)
        if self._recovery_until_ms is not None:
            times.append(self._recovery_until_ms)
        return min(times) if times else None

    def trip_equity(self) -> float | None:
        """The equity at or below which the next observation trips a breaker.

        A backtest finds the bar on which equity crosses it the way it finds an order
        trigger. It holds until the next period boundary or breaker change; None when no
        breaker can trip (a monthly shutdown, or no start equity yet).
        """
        levels = [
            level
            for period, status in _TRIPS
            if _SEVERITY[status] > _SEVERITY[self._status]
            and (level := self._trip_level(period)) is not None
        ]
        return max(levels) if levels else None

    def observe(self, ts_ms: int, equity: float) -> list[RiskEvent]:
        """Feed the account equity at ``ts_ms``; return what changed, oldest first.

        Ends a daily break whose time is up (into recovery), ends a recovery whose time
        is up, starts new periods, then trips the most severe breaker whose loss limit
        the equity reached. Events carry ``ts_ms``: a change takes effect when observed.

        Args:
            ts_ms: observation time, epoch milliseconds, never earlier than the last one.
            equity: account equity in the quote currency, unrealised P&L and fees included.

        Raises:
            InvalidValue: if time goes back or the equity is not a positive finite amount.
        """
        self._check_time(ts_ms)
        if not (math.isfinite(equity) and equity > 0):
            raise InvalidValue(f"circuit breaker: equity {equity} must be a positive finite amount")
        self._last_ts_ms = ts_ms
        quiet = self._quiet
        if quiet is not None and ts_ms < quiet[0] and equity > quiet[1]:
            # No timer is due, no period ends and no limit is reached: what the full
            # observation below would find. The engine observes at every event.
            return []
        events = self._advance_timers(ts_ms)
        self._roll_periods(ts_ms, equity)
        for period, status in _TRIPS:
            if _SEVERITY[status] <= _SEVERITY[self._status]:
                break
            level = self._trip_level(period)
            if level is not None and equity <= level:
                events.append(self._trip(status, period, ts_ms, equity))
                break
        change, trip = self.next_change_ms(), self.trip_equity()
        self._quiet = (
            -1 if change is None else change,
            -math.inf if trip is None else trip,
        )
        return events

    def manual_resume(self, ts_ms: int) -> list[RiskEvent]:
        """End a weekly circuit break by a user's command; the day and week start afresh.

        Raises:
            BreakerNotResumable: if no weekly break is in force (a daily one resumes by
                itself, a monthly shutdown needs a configuration change).
            InvalidValue: if time goes back.
        """
        self._check_time(ts_ms)
        if self._status is BreakerStatus.MONTHLY_SHUTDOWN:
            raise BreakerNotResumable(
                f"MONTHLY_SHUTDOWN since {iso_ms(self._tripped_at_ms)}: change the "
                "configuration, then reset the breaker"
            )
        if self._status is BreakerStatus.DAILY_CIRCUIT_BREAK:
            raise BreakerNotResumable(
                f"DAILY_CIRCUIT_BREAK resumes by itself at {iso_ms(self._resume_at_ms)}"
            )
        if self._status is not BreakerStatus.WEEKLY_CIRCUIT_BREAK:
            raise BreakerNotResumable(f"no circuit break to resume: status {self._status}")
        return [self._resume(ts_ms, "manual resume")]

    def reset_after_config_change(self, ts_ms: int, config_fingerprint: str) -> list[RiskEvent]:
        """End a monthly shutdown once the configuration changed; every period starts afresh.

        Args:
            ts_ms: time of the reset, epoch milliseconds.
            config_fingerprint: fingerprint of the configuration now in force.

        Raises:
            BreakerNotResumable: if no monthly shutdown is in force, or the fingerprint is
                the one in force when it tripped.
            InvalidValue: if time goes back.
        """
        self._check_time(ts_ms)
        if self._status is not BreakerStatus.MONTHLY_SHUTDOWN:
            raise BreakerNotResumable(f"no monthly shutdown to reset: status {self._status}")
        if config_fingerprint == self._trip_fingerprint:
            raise BreakerNotResumable(
                f"MONTHLY_SHUTDOWN since {iso_ms(self._tripped_at_ms)}: the configuration "
                f"is unchanged (fingerprint {config_fingerprint!r}); change it first"
            )
        self._fingerprint = config_fingerprint
        return [self._resume(ts_ms, f"configuration changed to {config_fingerprint!r}")]

    def state(self) -> dict[str, Any]:
        """Everything a restart needs, as JSON-ready values (see :meth:`from_state`)."""
        return {
            "status": str(self._status),
            "tripped_at_ms": self._tripped_at_ms,
            "resume_at_ms": self._resume_at_ms,
            "recovery_until_ms": self._recovery_until_ms,
            "trip_fingerprint": self._trip_fingerprint,
            "last_ts_ms": self._last_ts_ms,
            "periods": {
                str(period): [baseline.start_ms, baseline.end_ms, baseline.start_equity]
                for period, baseline in self._periods.items()
            },
        }

    @classmethod
    def from_state(
        cls,
        state: dict[str, Any],
        limits: LossLimits | None = None,
        *,
        timezone: str = "UTC",
        config_fingerprint: str = "",
    ) -> CircuitBreaker:
        """The breaker :meth:`state` described, under the configuration in force now.

        A breaker in force stays in force: a monthly shutdown restored under a changed
        configuration still needs :meth:`reset_after_config_change`.

        Raises:
            InvalidValue: if ``state`` is not what :meth:`state` writes, or for an
                unknown time zone.
        """
        breaker = cls(limits, timezone=timezone, config_fingerprint=config_fingerprint)
        try:
            breaker._status = BreakerStatus(state["status"])
            breaker._tripped_at_ms = _optional_int(state["tripped_at_ms"])
            breaker._resume_at_ms = _optional_int(state["resume_at_ms"])
            breaker._recovery_until_ms = _optional_int(state["recovery_until_ms"])
            trip_fingerprint = state["trip_fingerprint"]
            breaker._trip_fingerprint = None if trip_fingerprint is None else str(trip_fingerprint)
            breaker._last_ts_ms = _optional_int(state["last_ts_ms"])
            breaker._periods = {
                Period(name): _Baseline(
                    int(start), int(end), None if equity is None else float(equity)
                )
                for name, (start, end, equity) in state["periods"].items()
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValue(f"circuit breaker state unreadable: {exc!r}") from exc
        return breaker

    def _check_time(self, ts_ms: int) -> None:
        if self._last_ts_ms is not None and ts_ms < self._last_ts_ms:
            raise InvalidValue(
                f"circuit breaker: time went back from {self._last_ts_ms} to {ts_ms}"
            )

    def _advance_timers(self, ts_ms: int) -> list[RiskEvent]:
        events = []
        if (
            self._status is BreakerStatus.DAILY_CIRCUIT_BREAK
            and self._resume_at_ms is not None
            and ts_ms >= self._resume_at_ms
        ):
            recovery_ms = round(self._limits.recovery_period_hours * _HOUR_MS)
            recovery_until_ms = self._resume_at_ms + recovery_ms
            events.append(self._resume(ts_ms, f"{self._limits.resume_after_hours:g} h passed"))
            if recovery_ms > 0:
                self._status = BreakerStatus.RECOVERY
                self._recovery_until_ms = recovery_until_ms
                events.append(
                    RiskEvent(
                        ts_ms=ts_ms,
                        kind=RiskEventKind.RECOVERY_STARTED,
                        reason=f"recovery mode until {iso_ms(recovery_until_ms)}: opening order "
                        f"sizes cut by {self._limits.reduce_position_sizes_by_pct:g} %",
                    )
                )
        if (
            self._status is BreakerStatus.RECOVERY
            and self._recovery_until_ms is not None
            and ts_ms >= self._recovery_until_ms
        ):
            self._status = BreakerStatus.NORMAL
            self._recovery_until_ms = None
            events.append(
                RiskEvent(
                    ts_ms=ts_ms,
                    kind=RiskEventKind.RECOVERY_ENDED,
                    reason=f"recovery_period_hours {self._limits.recovery_period_hours:g} "
                    "passed: full order sizes",
                )
            )
        return events

    def _roll_periods(self, ts_ms: int, equity: float) -> None:
        for period in Period:
            baseline = self._periods.get(period)
            if baseline is None or ts_ms >= baseline.end_ms:
                start_ms, end_ms = period_bounds(period, ts_ms, self._zone)
                self._periods[period] = _Baseline(start_ms, end_ms, equity)
            elif baseline.start_equity is None:
                baseline.start_equity = equity

    def _trip_level(self, period: Period) -> float | None:
        baseline = self._periods.get(period)
        if baseline is None or baseline.start_equity is None:
            return None
        limit_pct = self._limits.limit_pct(period) - PCT_TOLERANCE
        return baseline.start_equity * (1.0 - limit_pct / 100.0)

    def _trip(self, status: BreakerStatus, period: Period, ts_ms: int, equity: float) -> RiskEvent:
        baseline = self._periods[period]
        assert baseline.start_equity is not None  # _trip_level found a level
        pnl_pct = (equity / baseline.start_equity - 1.0) * 100.0
        limit_pct = self._limits.limit_pct(period)
        self._status = status
        self._tripped_at_ms = ts_ms
        self._recovery_until_ms = None
        self._resume_at_ms = None
        if status is BreakerStatus.DAILY_CIRCUIT_BREAK:
            self._resume_at_ms = ts_ms + round(self._limits.resume_after_hours * _HOUR_MS)
        if status is BreakerStatus.MONTHLY_SHUTDOWN:
            self._trip_fingerprint = self._fingerprint
        key = {Period.DAY: "daily", Period.WEEK: "weekly", Period.MONTH: "monthly"}[period]
        return RiskEvent(
            ts_ms=ts_ms,
            kind=RiskEventKind(str(status)),
            value=pnl_pct,
            limit=-limit_pct,
            action=_ACTIONS[status],
            reason=f"{key}_loss_limit_pct {limit_pct:g} reached: {key} P&L {pnl_pct:.2f} % "
            f"(equity {baseline.start_equity:g} -> {equity:g})",
        )

    def _resume(self, ts_ms: int, why: str) -> RiskEvent:
        ended = self._status
        self._quiet = None
        self._last_ts_ms = ts_ms
        for period in _RESTARTED[ended]:
            if period in self._periods:
                self._periods[period].start_equity = None
        self._status = BreakerStatus.NORMAL
        self._tripped_at_ms = None
        self._resume_at_ms = None
        self._trip_fingerprint = None
        return RiskEvent(
            ts_ms=ts_ms,
            kind=RiskEventKind.RESUMED,
            subject=str(ended),
            reason=f"{ended} ended: {why}",
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
