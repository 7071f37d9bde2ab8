"""The risk manager of a backtest: the breakers fed with the account's equity, their actions carried out.

The risk layer (:mod:`quantbot.risk`) holds the rules and the state machines; this
module decides *when* they are fed and turns what they decide into engine actions,
the same way in the fast path and bar by bar.

**The chain.** With a :class:`~quantbot.engine.risk_setup.RiskSetup`, every order
passes the venue rules, then the portfolio rules with the breakers' own checks in
their slot (:func:`~quantbot.risk.portfolio_rule_checks` with
:class:`~quantbot.risk.CircuitBreakerCheck`, :class:`~quantbot.risk.RecoveryResizeCheck`
and, when the brakes are on, :class:`~quantbot.risk.DrawdownBrakeCheck`), then the lot
size and minimum notional rules once more: recovery mode and the brakes shrink orders
after the venue rules passed them, and a halved order must still be a valid one (both
rules pass an order they already passed unchanged, so they cost a rejection only
where a cut made the order too small).

**Observations.** The circuit breaker and the drawdown brakes see the account equity
(balances plus positions at the close, perpetuals at the mark, as the equity curve):

- once before the first bar (the run's first open, the initial capital);
- at the close of every *check bar*, the bars whose close reaches a new multiple of
  ``check_interval_s`` (every bar on 1m candles with the default 60 s);
- at the close of every bar on which anything filled (liquidations included);
- at the close of the first bar closing at or after the breaker's
  :meth:`~quantbot.risk.CircuitBreaker.next_change_ms` (a period boundary, the end of
  a daily break or of recovery mode), where a period's start equity is taken.

**The fast path.** Between two events positions and balances do not change, so the
equity of every bar is ``constant + sum(qty x price)``. Before the loop jumps over
bars, :meth:`RiskManager.next_bar` scans them (a compiled loop) for the first check bar
where an observation could change anything: the equity at or below the breaker's
:meth:`~quantbot.risk.CircuitBreaker.trip_equity`, or the drawdown from the running
peak reaching the next brake level or falling back to the release level. That bar
becomes an event. The brakes' peak over the bars jumped over — the most the equity
reached on them — is fed at the next event, before anything else, so the fast path and
a bar-by-bar run observe the same values and give identical results (tested). The
equity of one bar is computed by the same compiled expression in both.

**Price shocks.** A symbol's range within ``price_shock_window_s`` above
``price_shock_pct`` is a shock (:class:`~quantbot.risk.PriceShockBreaker`). The bars
whose rolling range over the window exceeds it are found once, vectorised; only those
are fed to the breaker (with the bars of their window it has not seen), which gives
exactly what feeding every bar would. On 1m candles and the 60 s window the window is
one candle. On candles longer than the window the whole candle's range stands for it:
a move spread over an hour counts as a one-minute shock (the conservative reading).

**Actions.** Each :class:`~quantbot.risk.RiskEvent` is carried out through
:class:`RiskActions` (the engine): cancel every open order or a symbol's, close at
market the positions of the strategies whose breaker policy the action names, stop
every strategy on a shutdown; ``stop_opening`` is the checks' business. The event is
logged (``CIRCUIT_BREAKER``) and becomes a row of
:data:`~quantbot.engine.results.RISK_EVENT_COLUMNS`.

**Rolling correlation.** The correlated-exposure rule's groups are recomputed once a
day (UTC) from the daily closes of each base asset (its first symbol in the data), over
``correlation_window_days`` returns of closed days only.

API errors do not happen in a simulation, so the exchange-pause breaker has nothing to
count in a backtest and is not part of its chain.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.results import risk_events_frame
from quantbot.engine.risk_scan import equity_at, first_risk_bar
from quantbot.engine.risk_setup import RiskSetup
from quantbot.logs import LogEvent, log_event
from quantbot.risk import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitBreakerCheck,
    DrawdownBrakeCheck,
    DrawdownBrakes,
    LotSizeCheck,
    MinNotionalCheck,
    PreTradeCheck,
    PriceShockBreaker,
    RecoveryResizeCheck,
    RiskEvent,
    RiskEventKind,
    correlated_groups,
    portfolio_rule_checks,
)
from quantbot.risk.circuit_breaker import PCT_TOLERANCE
from quantbot.risk.drawdown_brakes import NO_BRAKE

__all__ = ["ClosedPosition", "RiskActions", "RiskManager", "describe_risk_setup"]

_log = logging.getLogger(__name__)

_DAY_MS = 86_400_000
_TRIPS = frozenset(
    {
        RiskEventKind.DAILY_CIRCUIT_BREAK,
        RiskEventKind.WEEKLY_CIRCUIT_BREAK,
        RiskEventKind.MONTHLY_SHUTDOWN,
    }
)


@dataclass(frozen=True, slots=True)
class ClosedPosition:
    """A position the engine sent a market order to close for a risk event.

    Attributes:
        strategy: the strategy holding it.
        symbol: its market.
        qty: the position as it was, signed (positive long), in order units.
    """

    strategy: str
    symbol: str
    qty: float


class RiskActions(Protocol):
    """What the engine does for the risk manager."""

    def cancel_orders(self, symbol: str | None) -> None:
        """Cancel every strategy's open orders, of ``symbol`` or all."""
        ...

    def close_positions(self, policies: frozenset[BreakerPolicy]) -> list[ClosedPosition]:
        """Close at market the positions of the strategies whose policy is in ``policies``."""
        ...

    def shutdown(self) -> None:
        """Stop every strategy: no more hooks are called."""
        ...


class RiskManager:
    """The breakers, brakes and operational breakers of one backtest run.

    Args:
        setup: the risk configuration.
        ts_ms: the run's bar open times.
        period_ms: the length of one bar.
        prices: per symbol of the equity's quantities (the ledger's order), the price
            it is valued at each bar's close (the mark for perpetuals, the close for spot).
        candles: per symbol, its candles (price shocks, rolling correlation).
        bases: per symbol, its base asset.

    Raises:
        ValueError: for a check interval that is not positive.
    """

    def __init__(
        self,
        setup: RiskSetup,
        *,
        ts_ms: np.ndarray,
        period_ms: int,
        prices: Sequence[np.ndarray],
        candles: Mapping[str, OhlcvArrays],
        bases: Mapping[str, str],
    ) -> None:
        if setup.check_interval_s <= 0:
            raise ValueError(f"check_interval_s {setup.check_interval_s}: must be > 0")
        self.setup = setup
        self._ts = ts_ms
        n = len(ts_ms)
        self._closes_ms = ts_ms + period_ms
        """Close time of every bar: when it is observed."""
        self._prices = (
            np.ascontiguousarray(np.vstack(prices), dtype=np.float64)
            if prices
            else np.zeros((0, n))
        )
        interval_ms = setup.check_interval_s * 1000
        self._check = np.ascontiguousarray(
            self._closes_ms // interval_ms > (self._closes_ms - period_ms) // interval_ms
        )
        self.breaker = CircuitBreaker(setup.loss_limits, timezone=setup.timezone)
        self.brakes = DrawdownBrakes(setup.brake_levels) if setup.brake_levels else None
        self._brake_pcts = [brake.drawdown_pct for brake in (NO_BRAKE, *setup.brake_levels)]
        self.shocks = PriceShockBreaker(setup.operational)
        self._candles = candles
        self._shock_window = max(
            1, math.ceil(setup.operational.price_shock_window_s * 1000 / period_ms)
        )
        self._shocks_at, self._shock_bars = self._shock_candidates(candles)
        self._shock_fed: dict[str, int] = {}
        self._day_closes, self._daily = self._daily_closes(candles, bases, period_ms)
        self._groups: tuple[int, tuple[frozenset[str], ...]] = (0, ())
        self._pending: tuple[int, float] | None = None
        """(bar, equity) of the highest check bar the loop jumped over, to feed the brakes."""
        self._change: tuple[int | None, int] = (None, n)
        self._rows: list[tuple[Any, ...]] = []
        breaker_checks: list[PreTradeCheck] = [
            CircuitBreakerCheck(self.breaker),
            RecoveryResizeCheck(self.breaker),
        ]
        if self.brakes is not None:
            breaker_checks.append(
                DrawdownBrakeCheck(self.brakes, leverage_cap=setup.limits.leverage_cap)
            )
        rules = portfolio_rule_checks(setup.limits, breaker_checks=breaker_checks)
        self._checks: list[PreTradeCheck] = [*rules, LotSizeCheck(), MinNotionalCheck()]
        self.rule_names = frozenset(check.name for check in rules)
        """Names of the risk manager's own rules: their rejections log as ``RISK_REJECTED``."""

    # -- the chain ------------------------------------------------------------------------

    def checks(self) -> list[PreTradeCheck]:
        """The checks to append to the venue rules (module docstring)."""
        return list(self._checks)

    def correlation_groups(self, bar: int) -> tuple[frozenset[str], ...]:
        """The rolling correlation's groups of base assets at the close of ``bar``.

        From the daily closes of the days closed by then; empty until
        ``correlation_window_days + 1`` of them are known or with fewer than two assets.
        """
        days = int(np.searchsorted(self._day_closes, bar, side="right"))
        known, groups = self._groups
        if days == known:
            return groups
        limits = self.setup.limits
        window = limits.correlation_window_days
        groups = ()
        if days > window and len(self._daily) > 1:
            rows = self._day_closes[days - window - 1 : days]
            groups = correlated_groups(
                {base: closes[rows] for base, closes in self._daily.items()},
                threshold=limits.correlation_threshold,
                window=window,
            )
        self._groups = (days, groups)
        return groups

    # -- observations ---------------------------------------------------------------------

    def equity(self, bar: int, constant: float, quantities: np.ndarray) -> float:
        """The account equity at ``bar``'s close, from the ledger's linear parts."""
        return float(equity_at(self._prices, constant, quantities, bar))

    def start(self, equity: float, actions: RiskActions) -> None:
        """The first observation, before the first bar, at the run's first open."""
        if 0.0 < equity < math.inf:
            ts_ms = int(self._ts[0])
            events = self.breaker.observe(ts_ms, equity)
            if self.brakes is not None:
                events += self.brakes.observe(ts_ms, equity)
            self._carry_out(events, actions)

    def next_bar(self, start: int, stop: int, constant: float, quantities: np.ndarray) -> int:
        """The first bar in ``[start, stop)`` the risk manager must observe; ``stop`` if none.

        For the fast path: ``stop`` is the engine's next event, and positions do not
        change before it. Remembers the brakes' peak over the bars it passes over.
        """
        # A change already due (an observation skipped for want of a valid equity) is
        # observed on the next bar.
        stop = min(stop, max(self._change_bar(), start), self._next_shock_bar(start))
        self._pending = None
        if start >= stop:
            return stop
        trip = self.breaker.trip_equity()
        if trip is None and self.brakes is None:
            return stop  # nothing an equity can change
        peak, engage_pct, release_pct = math.nan, math.inf, -math.inf
        if self.brakes is not None:
            level = self.brakes.level
            peak = math.nan if self.brakes.peak_equity is None else self.brakes.peak_equity
            if level + 1 < len(self._brake_pcts):
                engage_pct = self._brake_pcts[level + 1] - PCT_TOLERANCE
            if level > 0:
                release_pct = self._brake_pcts[level - 1] + PCT_TOLERANCE
        bar, best, best_bar = first_risk_bar(
            self._prices,
            constant,
            quantities,
            self._check,
            start,
            stop,
            -math.inf if trip is None else trip,
            peak,
            engage_pct,
            release_pct,
        )
        if best_bar >= 0 and self.brakes is not None:
            self._pending = (int(best_bar), float(best))
        return int(bar)

    def step(
        self,
        bar: int,
        constant: float,
        quantities: np.ndarray,
        *,
        filled: bool,
        actions: RiskActions,
    ) -> None:
        """Observe what bar ``bar`` asks for (module docstring) and carry out the events.

        Args:
            bar: the bar being processed, its fills and funding booked.
            constant: the ledger's equity constant now.
            quantities: the ledger's equity quantities now.
            filled: whether anything filled on the bar.
            actions: the engine.
        """
        events: list[RiskEvent] = []
        pending = self._pending
        if pending is not None:
            self._pending = None
            if self.brakes is not None and pending[0] < bar:
                events += self.brakes.observe(int(self._closes_ms[pending[0]]), pending[1])
        for symbol in self._shocks_at.get(bar, ()):
            events += self._feed_shocks(symbol, bar)
        close_ms = int(self._closes_ms[bar])
        change = self.breaker.next_change_ms()
        if self._check[bar] or filled or (change is not None and close_ms >= change):
            equity = self.equity(bar, constant, quantities)
            if 0.0 < equity < math.inf:
                events += self.breaker.observe(close_ms, equity)
                if self.brakes is not None:
                    events += self.brakes.observe(close_ms, equity)
        self._carry_out(events, actions)

    # -- results --------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        """Every event of the run, :data:`~quantbot.engine.results.RISK_EVENT_COLUMNS`."""
        return risk_events_frame(self._rows)

    # -- internals ------------------------------------------------------------------------

    def _carry_out(self, events: list[RiskEvent], actions: RiskActions) -> None:
        for event in events:
            action = event.action
            if action.cancel_all_orders:
                actions.cancel_orders(None)
            elif action.cancel_orders_symbol is not None:
                actions.cancel_orders(action.cancel_orders_symbol)
            closed = (
                actions.close_positions(action.close_positions) if action.close_positions else []
            )
            if action.shutdown:
                actions.shutdown()
            self._record(event, closed)

    def _record(self, event: RiskEvent, closed: list[ClosedPosition]) -> None:
        positions = [{"strategy": c.strategy, "symbol": c.symbol, "qty": c.qty} for c in closed]
        self._rows.append(
            (
                event.ts_ms,
                str(event.kind),
                math.nan if event.value is None else event.value,
                math.nan if event.limit is None else event.limit,
                event.level,
                event.subject,
                json.dumps(event.action.to_dict()),
                event.reason,
                json.dumps(positions),
            )
        )
        log_event(
            _log,
            LogEvent.CIRCUIT_BREAKER,
            "%s: %s%s",
            event.kind,
            event.reason,
            f"; closing {len(positions)} position(s)" if positions else "",
            level=logging.WARNING if event.kind in _TRIPS else logging.INFO,
            kind=str(event.kind),
            value=event.value,
            limit=event.limit,
            action=event.action.to_dict(),
            positions_closed=positions,
        )

    def _change_bar(self) -> int:
        """The first bar closing at or after the breaker's next change by time."""
        change = self.breaker.next_change_ms()
        known, bar = self._change
        if change != known:
            bar = (
                len(self._ts)
                if change is None
                else int(np.searchsorted(self._closes_ms, change, side="left"))
            )
            self._change = (change, bar)
        return bar

    def _next_shock_bar(self, start: int) -> int:
        index = int(np.searchsorted(self._shock_bars, start, side="left"))
        return int(self._shock_bars[index]) if index < len(self._shock_bars) else len(self._ts)

    def _shock_candidates(
        self, candles: Mapping[str, OhlcvArrays]
    ) -> tuple[dict[int, list[str]], np.ndarray]:
        """Per bar, the symbols whose range over the window may exceed the shock threshold."""
        window = self._shock_window
        threshold = self.setup.operational.price_shock_pct + PCT_TOLERANCE
        at: dict[int, list[str]] = {}
        for symbol, arrays in candles.items():
            top, bottom = arrays.high, arrays.low
            if window > 1 and len(top) >= window:
                top = _rolling(top, window, np.max, -np.inf)
                bottom = _rolling(bottom, window, np.min, np.inf)
            with np.errstate(divide="ignore", invalid="ignore"):
                move = (top / bottom - 1.0) * 100.0
            for bar in np.flatnonzero((bottom > 0.0) & (move > threshold)):
                at.setdefault(int(bar), []).append(symbol)
        return at, np.array(sorted(at), dtype=np.int64)

    def _feed_shocks(self, symbol: str, bar: int) -> list[RiskEvent]:
        """Feed ``symbol``'s bars of the window ending at ``bar`` the breaker has not seen."""
        candles = self._candles[symbol]
        first = max(self._shock_fed.get(symbol, -1) + 1, bar - self._shock_window + 1, 0)
        self._shock_fed[symbol] = bar
        events: list[RiskEvent] = []
        for index in range(first, bar + 1):
            low, high = float(candles.low[index]), float(candles.high[index])
            if 0.0 < low <= high < math.inf:
                events += self.shocks.observe_range(
                    symbol, int(self._closes_ms[index]), low=low, high=high
                )
        return events

    @staticmethod
    def _daily_closes(
        candles: Mapping[str, OhlcvArrays], bases: Mapping[str, str], period_ms: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The last bar of each UTC day, and each base asset's closes (its first symbol's)."""
        daily: dict[str, np.ndarray] = {}
        ts_ms: np.ndarray | None = None
        for symbol, arrays in candles.items():
            ts_ms = arrays.ts_ms
            daily.setdefault(bases[symbol], arrays.close)
        if ts_ms is None or len(ts_ms) < 2:
            return np.array([], dtype=np.int64), daily
        day = (ts_ms + period_ms - 1) // _DAY_MS
        return np.flatnonzero(day[1:] > day[:-1]).astype(np.int64), daily


def _rolling(values: np.ndarray, window: int, reduce: Any, fill: float) -> np.ndarray:
    """``reduce`` over the ``window`` values ending at each index (the first ones padded)."""
    padded = np.concatenate([np.full(window - 1, fill), values])
    result: np.ndarray = reduce(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    return result


def describe_risk_setup(setup: RiskSetup) -> dict[str, Any]:
    """The risk setup as JSON-ready data (stored with the run's configuration)."""

    def ready(value: Any) -> Any:
        if isinstance(value, frozenset | set):
            return sorted(value)
        if isinstance(value, tuple | list):
            return [ready(item) for item in value]
        if isinstance(value, dict):
            return {key: ready(item) for key, item in value.items()}
        return value

    return {
        "limits": ready(asdict(setup.limits)),
        "loss_limits": ready(asdict(setup.loss_limits)),
        "brake_levels": [ready(asdict(level)) for level in setup.brake_levels],
        "operational": ready(asdict(setup.operational)),
        "timezone": setup.timezone,
        "check_interval_s": setup.check_interval_s,
    }
