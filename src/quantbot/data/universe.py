"""The universe filters: which exchange markets are worth trading or collecting.

:func:`select_universe` is a pure function of :class:`MarketStats` and
:class:`UniverseSettings`. A market is included only when it passes every filter;
an excluded market carries EVERY filter it failed, each with the measured value and
the limit (``24h volume $1.2M < $5M``), plus the filters that could not be checked
because the data was not gathered (gathering skips the costly lookups for markets
the cheap filters already rejected).

Rules a reviewer should know:

- A limit is inclusive: volume, market cap, listings and history equal to their
  minimum pass; spread and volatility equal to their maximum pass.
- A minimum of 0 switches its filter off: it passes even when the value is unknown
  (so ``min_market_cap_usd: 0`` and ``min_exchange_listings: 0`` need no provider).
- An unknown value fails an active filter: an asset the provider does not know is
  excluded with ``unknown market cap`` (and ``unknown exchange listings``); a market
  without a valid bid and ask fails the spread filter. Unknown is not small, but a
  universe must not contain what could not be checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum

from quantbot.config.settings import UniverseSettings
from quantbot.data.market_stats import MarketStats

__all__ = [
    "ASSET_FILTERS",
    "DAILY_FILTERS",
    "TICKER_FILTERS",
    "MarketVerdict",
    "Rejection",
    "UniverseFilter",
    "UniverseResult",
    "check_market",
    "format_usd",
    "select_universe",
]


class UniverseFilter(StrEnum):
    """One filter of the universe; the value is how reports name it."""

    QUOTE_CURRENCY = "quote currency"
    VOLUME = "24h volume"
    SPREAD = "spread"
    MARKET_CAP = "market cap"
    LISTINGS = "exchange listings"
    VOLATILITY = "volatility"
    HISTORY = "history"


TICKER_FILTERS = frozenset(
    {UniverseFilter.QUOTE_CURRENCY, UniverseFilter.VOLUME, UniverseFilter.SPREAD}
)
"""Filters that need only the market list and one bulk ticker request: run them first."""
ASSET_FILTERS = frozenset({UniverseFilter.MARKET_CAP, UniverseFilter.LISTINGS})
"""Filters that need the market-cap provider (``MarketStats.asset``)."""
DAILY_FILTERS = frozenset({UniverseFilter.VOLATILITY, UniverseFilter.HISTORY})
"""Filters that need daily candles (``MarketStats.daily``)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A filter a market failed, and why, e.g. ``24h volume $1.2M < $5M``."""

    filter: UniverseFilter
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class MarketVerdict:
    """The outcome of the filters for one market.

    Attributes:
        stats: what was measured.
        rejections: every filter failed, in :class:`UniverseFilter` order.
        unchecked: active filters whose data was not gathered.
    """

    stats: MarketStats
    rejections: tuple[Rejection, ...]
    unchecked: tuple[UniverseFilter, ...]

    @property
    def included(self) -> bool:
        """Whether every active filter was checked and passed."""
        return not self.rejections and not self.unchecked


@dataclass(frozen=True, slots=True)
class UniverseResult:
    """The filtered universe.

    Attributes:
        included: markets passing every filter, by 24h USD volume, largest first.
        excluded: the other markets with their verdicts, in the same order (markets
            of unknown volume last, then by symbol).
    """

    included: tuple[MarketStats, ...]
    excluded: tuple[MarketVerdict, ...]


def select_universe(
    candidates: Sequence[MarketStats], settings: UniverseSettings
) -> UniverseResult:
    """Apply every universe filter to ``candidates``.

    Args:
        candidates: one entry per exchange market.
        settings: the limits (``settings.universe``).

    Returns:
        The included markets and, for every excluded one, all the reasons.
    """
    verdicts = sorted((check_market(stats, settings) for stats in candidates), key=_by_volume)
    return UniverseResult(
        included=tuple(verdict.stats for verdict in verdicts if verdict.included),
        excluded=tuple(verdict for verdict in verdicts if not verdict.included),
    )


def check_market(
    stats: MarketStats,
    settings: UniverseSettings,
    filters: Iterable[UniverseFilter] = tuple(UniverseFilter),
) -> MarketVerdict:
    """Run ``filters`` (all by default) on one market.

    Gathering runs :data:`TICKER_FILTERS` alone first to decide which markets are
    worth the costly lookups; :func:`select_universe` runs them all.
    """
    rejections: list[Rejection] = []
    unchecked: list[UniverseFilter] = []
    wanted = set(filters)
    for universe_filter in UniverseFilter:
        if universe_filter not in wanted or _is_off(universe_filter, settings):
            continue
        outcome = _CHECKS[universe_filter](stats, settings)
        if isinstance(outcome, _NotMeasured):
            unchecked.append(universe_filter)
        elif outcome is not None:
            rejections.append(Rejection(universe_filter, outcome))
    return MarketVerdict(stats=stats, rejections=tuple(rejections), unchecked=tuple(unchecked))


class _NotMeasured(Enum):
    """A check's answer when the data it needs was not gathered."""

    NOT_MEASURED = "not measured"


_Outcome = str | None | _NotMeasured
"""A check's answer: None passed, a reason failed, or not measured."""
_NOT_MEASURED = _NotMeasured.NOT_MEASURED


def _is_off(universe_filter: UniverseFilter, settings: UniverseSettings) -> bool:
    minimum = {
        UniverseFilter.VOLUME: settings.min_daily_volume_usd,
        UniverseFilter.MARKET_CAP: settings.min_market_cap_usd,
        UniverseFilter.LISTINGS: settings.min_exchange_listings,
        UniverseFilter.HISTORY: settings.min_history_days,
    }.get(universe_filter)
    return minimum == 0


def _quote_currency(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    allowed = [currency.upper() for currency in settings.allowed_quote_currencies]
    if stats.quote.upper() in allowed:
        return None
    return f"quote currency {stats.quote} not in {', '.join(allowed)}"


def _volume(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    volume, minimum = stats.quote_volume_usd, settings.min_daily_volume_usd
    if volume is None:
        return f"24h volume unknown in USD (no volume or no USD price for {stats.quote})"
    if volume >= minimum:
        return None
    shown, limit = _distinct(volume, minimum, format_usd)
    return f"24h volume {shown} < {limit}"


def _spread(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    spread, maximum = stats.spread_pct, settings.max_spread_pct
    if spread is None:
        return f"no valid bid/ask (bid {stats.bid}, ask {stats.ask})"
    if spread <= maximum:
        return None
    shown, limit = _distinct(spread, maximum, _pct)
    return f"spread {shown} > {limit}"


def _market_cap(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    if stats.asset is None:
        return _NOT_MEASURED
    cap, minimum = stats.asset.market_cap_usd, settings.min_market_cap_usd
    if cap is None:
        return "unknown market cap"
    if cap >= minimum:
        return None
    shown, limit = _distinct(cap, minimum, format_usd)
    return f"market cap {shown} < {limit}"


def _listings(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    if stats.asset is None:
        return _NOT_MEASURED
    count, minimum = stats.asset.exchange_listings, settings.min_exchange_listings
    if count is None:
        return "unknown exchange listings"
    if count >= minimum:
        return None
    return f"listed on {count} exchange{'s' if count != 1 else ''} < {minimum}"


def _volatility(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    if stats.daily is None:
        return _NOT_MEASURED
    volatility, maximum = stats.daily.volatility_pct, settings.max_volatility_pct
    if volatility is None:
        return f"daily volatility unknown ({stats.daily.history_days} closed daily candles)"
    if volatility <= maximum:
        return None
    shown, limit = _distinct(volatility, maximum, _pct)
    return f"daily volatility {shown} > {limit}"


def _history(stats: MarketStats, settings: UniverseSettings) -> _Outcome:
    if stats.daily is None:
        return _NOT_MEASURED
    days, minimum = stats.daily.history_days, settings.min_history_days
    if days >= minimum:
        return None
    return f"history {days} day{'s' if days != 1 else ''} < {minimum}"


_CHECKS: dict[UniverseFilter, Callable[[MarketStats, UniverseSettings], _Outcome]] = {
    UniverseFilter.QUOTE_CURRENCY: _quote_currency,
    UniverseFilter.VOLUME: _volume,
    UniverseFilter.SPREAD: _spread,
    UniverseFilter.MARKET_CAP: _market_cap,
    UniverseFilter.LISTINGS: _listings,
    UniverseFilter.VOLATILITY: _volatility,
    UniverseFilter.HISTORY: _history,
}


def _by_volume(verdict: MarketVerdict) -> tuple[bool, float, str]:
    volume = verdict.stats.quote_volume_usd
    return (volume is None, -(volume or 0.0), verdict.stats.symbol)


_MAX_DIGITS = 8


def _distinct(value: float, limit: float, render: Callable[[float, int], str]) -> tuple[str, str]:
    """Render a failing value with the fewest decimals that tell it from the limit.

    ``24h volume $4.999999M < $5M`` rather than the contradictory ``$5M < $5M``.
    """
    limit_text = render(limit, _MAX_DIGITS)
    for digits in range(1, _MAX_DIGITS + 1):
        text = render(value, digits)
        if text != limit_text:
            return text, limit_text
    return render(value, 15), limit_text


def _trim(number: float, digits: int) -> str:
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_usd(amount: float, digits: int = 1) -> str:
    """Compact USD for reasons and tables: ``$1.2M``, ``$950K``, ``$3.4B``.

    Args:
        amount: USD.
        digits: most decimals kept after scaling; trailing zeros are dropped.
    """
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= size:
            return f"${_trim(amount / size, digits)}{suffix}"
    return f"${_trim(amount, digits)}"


def _pct(value: float, digits: int) -> str:
    return f"{_trim(value, digits)}%"
