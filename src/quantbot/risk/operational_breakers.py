"""Operational breakers: pause an exchange that keeps failing, stop quoting into a price shock.

From the research document's breaker table (REQUIREMENTS.md §7, defaults on):

- :class:`ApiErrorBreaker`: more than 10 API errors within a rolling minute on one
  exchange pause that exchange for 5 minutes. A failing or rate-limiting exchange
  answers further calls with more errors (and, on Binance, with escalating bans), so
  during the pause the engine sends it nothing, closing orders included; the
  :class:`~quantbot.risk.breaker_checks.ExchangePauseCheck` enforces it.
- :class:`PriceShockBreaker`: a price range of more than 10 % within one minute on a
  symbol asks to cancel the pending orders on it: they were placed for a market that
  no longer exists.

Both are pure: times come from the caller, and events say what the engine must do.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from quantbot.core import InvalidValue
from quantbot.risk.circuit_breaker import PCT_TOLERANCE
from quantbot.risk.risk_events import RiskAction, RiskEvent, RiskEventKind, iso_ms

__all__ = ["ApiErrorBreaker", "OperationalLimits", "PriceShockBreaker"]

_SECOND_MS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationalLimits:
    """Thresholds of the operational breakers.

    Attributes:
        max_api_errors: errors allowed within ``api_error_window_s``; one more pauses.
        api_error_window_s: length of the rolling error window, seconds.
        exchange_pause_s: length of an exchange pause, seconds.
        price_shock_pct: largest price range (highest over lowest, percent) allowed
            within ``price_shock_window_s``; a larger one is a shock.
        price_shock_window_s: length of the rolling price window, seconds.

    Raises:
        InvalidValue: for a negative error count, a non-positive window or pause, or a
            non-positive shock threshold.
    """

    max_api_errors: int = 10
    api_error_window_s: float = 60.0
    exchange_pause_s: float = 300.0
    price_shock_pct: float = 10.0
    price_shock_window_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_api_errors < 0:
            raise InvalidValue(f"max_api_errors {self.max_api_errors}: must be >= 0")
        for name in (
            "api_error_window_s",
            "exchange_pause_s",
            "price_shock_pct",
            "price_shock_window_s",
        ):
            value = getattr(self, name)
            if not 0 < value < float("inf"):
                raise InvalidValue(f"{name} {value}: must be a finite number > 0")


class ApiErrorBreaker:
    """Counts API errors per exchange and pauses an exchange that has too many.

    Errors arriving while their exchange is paused are not counted: they answer calls
    sent before the pause. After a pause the count starts from zero.
    """

    def __init__(self, limits: OperationalLimits | None = None) -> None:
        self._limits = limits or OperationalLimits()
        self._window_ms = round(self._limits.api_error_window_s * _SECOND_MS)
        self._pause_ms = round(self._limits.exchange_pause_s * _SECOND_MS)
        self._errors: dict[str, deque[int]] = {}
        self._paused_until_ms: dict[str, int] = {}

    def record_api_error(self, exchange: str, ts_ms: int) -> list[RiskEvent]:
        """Count one failed API call on ``exchange``; return ``EXCHANGE_PAUSED`` if it was one too many.

        The window holds the errors of the last ``api_error_window_s`` up to ``ts_ms``
        (an error exactly one window old has left it).

        Raises:
            InvalidValue: if ``ts_ms`` is earlier than the exchange's last error.
        """
        if self.paused(exchange, ts_ms):
            return []
        errors = self._errors.setdefault(exchange, deque())
        if errors and ts_ms < errors[-1]:
            raise InvalidValue(
                f"api errors of {exchange}: time went back from {errors[-1]} to {ts_ms}"
            )
        errors.append(ts_ms)
        while errors[0] <= ts_ms - self._window_ms:
            errors.popleft()
        if len(errors) <= self._limits.max_api_errors:
            return []
        count = len(errors)
        errors.clear()
        until_ms = ts_ms + self._pause_ms
        self._paused_until_ms[exchange] = until_ms
        return [
            RiskEvent(
                ts_ms=ts_ms,
                kind=RiskEventKind.EXCHANGE_PAUSED,
                value=float(count),
                limit=float(self._limits.max_api_errors),
                action=RiskAction(pause_exchange=exchange, pause_until_ms=until_ms),
                subject=exchange,
                reason=f"max_api_errors {self._limits.max_api_errors} exceeded on {exchange}: "
                f"{count} within {self._limits.api_error_window_s:g} s; paused until "
                f"{iso_ms(until_ms)}",
            )
        ]

    def paused(self, exchange: str, ts_ms: int) -> bool:
        """True if ``exchange`` is paused at ``ts_ms``."""
        return self.paused_until_ms(exchange, ts_ms) is not None

    def paused_until_ms(self, exchange: str, ts_ms: int) -> int | None:
        """End of the pause of ``exchange`` in force at ``ts_ms`` (exclusive); None if none is."""
        until_ms = self._paused_until_ms.get(exchange)
        return until_ms if until_ms is not None and ts_ms < until_ms else None

    def expire(self, ts_ms: int) -> list[RiskEvent]:
        """Return an ``EXCHANGE_RESUMED`` event for each pause over by ``ts_ms``, stamped with its end.

        A pause ends at its end time whether or not this is called (see :meth:`paused`);
        this only reports it, once, for the logs and the report.
        """
        ended = sorted(
            (until_ms, exchange)
            for exchange, until_ms in self._paused_until_ms.items()
            if until_ms <= ts_ms
        )
        for _, exchange in ended:
            del self._paused_until_ms[exchange]
        return [
            RiskEvent(
                ts_ms=until_ms,
                kind=RiskEventKind.EXCHANGE_RESUMED,
                subject=exchange,
                reason=f"{exchange} pause of {self._limits.exchange_pause_s:g} s over",
            )
            for until_ms, exchange in ended
        ]


class PriceShockBreaker:
    """Watches each symbol's price range over a rolling window for a shock.

    The move is direction-less: the highest price in the window over the lowest, so
    the same rule reads single prices and candle highs and lows (whose order within
    the candle is unknown). A 10 % drop from 100 to 90.9 counts as the 10 % rise it
    would take to undo it. The window holds the prices of the last
    ``price_shock_window_s`` up to the newest (one exactly a window old has left it).
    After a shock the window starts afresh, so one shock is
    reported once; the next move builds up from the next price.
    """

    def __init__(self, limits: OperationalLimits | None = None) -> None:
        self._limits = limits or OperationalLimits()
        self._window_ms = round(self._limits.price_shock_window_s * _SECOND_MS)
        # Monotonic deques of (ts_ms, price): highs decreasing, lows increasing, so the
        # window's extremes are at their fronts.
        self._highs: dict[str, deque[tuple[int, float]]] = {}
        self._lows: dict[str, deque[tuple[int, float]]] = {}
        self._last_ms: dict[str, int] = {}

    def observe_price(self, symbol: str, ts_ms: int, price: float) -> list[RiskEvent]:
        """Feed a traded or mark price of ``symbol``; return ``PRICE_SHOCK`` if the window's range is too wide.

        Raises:
            InvalidValue: if the price is not positive or time goes back on ``symbol``.
        """
        return self.observe_range(symbol, ts_ms, low=price, high=price)

    def observe_range(self, symbol: str, ts_ms: int, *, low: float, high: float) -> list[RiskEvent]:
        """Feed the low and high of ``symbol`` at ``ts_ms`` (a candle of at most one window).

        Raises:
            InvalidValue: if the prices are not positive, ``low > high``, or time goes
                back on ``symbol``.
        """
        if not 0 < low <= high < float("inf"):
            raise InvalidValue(
                f"price shock {symbol}: low {low} and high {high} must be 0 < low <= high"
            )
        last_ms = self._last_ms.get(symbol)
        if last_ms is not None and ts_ms < last_ms:
            raise InvalidValue(f"price shock {symbol}: time went back from {last_ms} to {ts_ms}")
        self._last_ms[symbol] = ts_ms
        highs = self._highs.setdefault(symbol, deque())
        lows = self._lows.setdefault(symbol, deque())
        _push_extreme(highs, ts_ms, high, highest=True)
        _push_extreme(lows, ts_ms, low, highest=False)
        for window in (highs, lows):
            while window[0][0] <= ts_ms - self._window_ms:
                window.popleft()
        top, bottom = highs[0][1], lows[0][1]
        move_pct = (top / bottom - 1.0) * 100.0
        if move_pct <= self._limits.price_shock_pct + PCT_TOLERANCE:
            return []
        highs.clear()
        lows.clear()
        return [
            RiskEvent(
                ts_ms=ts_ms,
                kind=RiskEventKind.PRICE_SHOCK,
                value=move_pct,
                limit=self._limits.price_shock_pct,
                action=RiskAction(cancel_orders_symbol=symbol),
                subject=symbol,
                reason=f"price_shock_pct {self._limits.price_shock_pct:g} exceeded on {symbol}: "
                f"range {bottom:g} - {top:g} ({move_pct:.2f} %) within "
                f"{self._limits.price_shock_window_s:g} s",
            )
        ]


def _push_extreme(
    window: deque[tuple[int, float]], ts_ms: int, price: float, *, highest: bool
) -> None:
    """Append a price, dropping the older ones it outranks: they can never be the extreme again."""
    while window and (window[-1][1] <= price if highest else window[-1][1] >= price):
        window.pop()
    window.append((ts_ms, price))
