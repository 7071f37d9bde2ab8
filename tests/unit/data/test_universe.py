"""The universe filters: each filter at, below and above its limit, unknown values,
filters switched off, every reason listed, ordering, and the include rule as a property."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quantbot.config.settings import UniverseSettings
from quantbot.data.market_caps import AssetInfo
from quantbot.data.market_stats import DailyStats, MarketStats
from quantbot.data.universe import (
    UniverseFilter,
    check_market,
    format_usd,
    select_universe,
)

SETTINGS = UniverseSettings()  # $100M cap, $5M volume, 0.5 % spread, 3 listings, 15 %, 30 days


def market(
    symbol: str = "BTC/USDT",
    *,
    volume: float | None = 50_000_000.0,
    bid: float | None = 99.99,
    ask: float | None = 100.01,
    cap: float | None = 1e12,
    listings: int | None = 20,
    volatility: float | None = 3.0,
    history: int = 30,
    asset: bool = True,
    daily: bool = True,
) -> MarketStats:
    base, quote = symbol.split("/")
    return MarketStats(
        symbol=symbol,
        base=base,
        quote=quote,
        quote_volume_usd=volume,
        bid=bid,
        ask=ask,
        daily=DailyStats(history_days=history, volatility_pct=volatility) if daily else None,
        asset=AssetInfo(base, market_cap_usd=cap, exchange_listings=listings) if asset else None,
    )


def reasons(stats: MarketStats, settings: UniverseSettings = SETTINGS) -> dict[UniverseFilter, str]:
    return {r.filter: r.reason for r in check_market(stats, settings).rejections}


def test_a_market_passing_every_filter_is_included() -> None:
    result = select_universe([market()], SETTINGS)
    assert [s.symbol for s in result.included] == ["BTC/USDT"]
    assert result.excluded == ()


@pytest.mark.parametrize(
    "stats",
    [
        market(volume=5_000_000.0),
        market(bid=99.75, ask=100.25),  # spread exactly 0.5 % of the mid 100
        market(cap=100_000_000.0),
        market(listings=3),
        market(volatility=15.0),
        market(history=30),
    ],
    ids=["volume", "spread", "market-cap", "listings", "volatility", "history"],
)
def test_values_exactly_at_their_limit_pass(stats: MarketStats) -> None:
    verdict = check_market(stats, SETTINGS)
    assert verdict.rejections == ()
    assert verdict.included


@pytest.mark.parametrize(
    ("stats", "failed", "reason"),
    [
        (market(volume=1_200_000.0), UniverseFilter.VOLUME, "24h volume $1.2M < $5M"),
        (market(bid=99.5, ask=100.5), UniverseFilter.SPREAD, "spread 1% > 0.5%"),
        (market(cap=42_000_000.0), UniverseFilter.MARKET_CAP, "market cap $42M < $100M"),
        (market(listings=2), UniverseFilter.LISTINGS, "listed on 2 exchanges < 3"),
        (market(volatility=18.34), UniverseFilter.VOLATILITY, "daily volatility 18.3% > 15%"),
        (market(history=12), UniverseFilter.HISTORY, "history 12 days < 30"),
        (
            market("BTC/EUR"),
            UniverseFilter.QUOTE_CURRENCY,
            "quote currency EUR not in USD, USDT, BTC",
        ),
    ],
)
def test_a_failed_filter_states_the_value_and_the_limit(
    stats: MarketStats, failed: UniverseFilter, reason: str
) -> None:
    assert reasons(stats) == {failed: reason}


def test_a_value_just_past_the_limit_is_shown_distinct_from_it() -> None:
    assert reasons(market(volume=4_999_999.0)) == {
        UniverseFilter.VOLUME: "24h volume $4.999999M < $5M"
    }
    assert reasons(market(volatility=15.00001)) == {
        UniverseFilter.VOLATILITY: "daily volatility 15.00001% > 15%"
    }


def test_every_failed_filter_is_listed_not_only_the_first() -> None:
    stats = market(
        "SHIB/EUR",
        volume=900_000.0,
        bid=1.0,
        ask=1.02,
        cap=50_000_000.0,
        listings=1,
        volatility=25.0,
        history=3,
    )
    assert set(reasons(stats)) == set(UniverseFilter)


def test_an_asset_the_provider_does_not_know_is_excluded_as_unknown() -> None:
    stats = market(cap=None, listings=None)
    assert reasons(stats) == {
        UniverseFilter.MARKET_CAP: "unknown market cap",
        UniverseFilter.LISTINGS: "unknown exchange listings",
    }


def test_missing_or_crossed_quotes_fail_the_spread_filter() -> None:
    assert UniverseFilter.SPREAD in reasons(market(bid=None))
    assert UniverseFilter.SPREAD in reasons(market(bid=101.0, ask=100.0))
    assert UniverseFilter.SPREAD in reasons(market(bid=0.0, ask=1.0))


def test_unknown_usd_volume_and_volatility_fail_with_their_reason() -> None:
    found = reasons(market("ETH/TRY", volume=None, volatility=None, history=2))
    assert found[UniverseFilter.VOLUME].startswith("24h volume unknown")
    assert found[UniverseFilter.VOLATILITY] == "daily volatility unknown (2 closed daily candles)"


def test_data_not_gathered_leaves_filters_unchecked_and_the_market_out() -> None:
    verdict = check_market(market(volume=10.0, asset=False, daily=False), SETTINGS)
    assert [r.filter for r in verdict.rejections] == [UniverseFilter.VOLUME]
    assert set(verdict.unchecked) == {
        UniverseFilter.MARKET_CAP,
        UniverseFilter.LISTINGS,
        UniverseFilter.VOLATILITY,
        UniverseFilter.HISTORY,
    }
    passing_but_unmeasured = check_market(market(asset=False), SETTINGS)
    assert passing_but_unmeasured.rejections == ()
    assert not passing_but_unmeasured.included


def test_a_minimum_of_zero_switches_its_filter_off_even_for_unknown_values() -> None:
    off = UniverseSettings(
        min_market_cap_usd=0, min_daily_volume_usd=0, min_exchange_listings=0, min_history_days=0
    )
    verdict = check_market(market(volume=None, asset=False, history=0), off)
    assert verdict.included
    assert not check_market(market(volume=None, asset=False, history=0), SETTINGS).included


def test_quote_currencies_compare_case_insensitively() -> None:
    lower = UniverseSettings(allowed_quote_currencies=["usdt"])
    assert reasons(market("BTC/USDT"), lower) == {}


def test_included_and_excluded_are_sorted_by_volume_largest_first() -> None:
    result = select_universe(
        [
            market("ETH/USDT", volume=20e6),
            market("BTC/USDT", volume=90e6),
            market("SOL/USDT", volume=40e6),
            market("XYZ/USDT", volume=None),
            market("ABC/USDT", volume=1e6),
            market("DEF/USDT", volume=3e6),
        ],
        SETTINGS,
    )
    assert [s.symbol for s in result.included] == ["BTC/USDT", "SOL/USDT", "ETH/USDT"]
    assert [v.stats.symbol for v in result.excluded] == ["DEF/USDT", "ABC/USDT", "XYZ/USDT"]


@pytest.mark.parametrize(
    ("amount", "text"),
    [(1_325_400_000_000, "$1.3T"), (85_300_000, "$85.3M"), (950_000, "$950K"), (12.0, "$12")],
)
def test_format_usd_is_compact(amount: float, text: str) -> None:
    assert format_usd(amount) == text


maybe_float = st.none() | st.floats(min_value=0, max_value=1e13, allow_nan=False)
stats_strategy = st.builds(
    MarketStats,
    symbol=st.just("AAA/USDT"),
    base=st.just("AAA"),
    quote=st.sampled_from(["USDT", "USD", "BTC", "EUR"]),
    quote_volume_usd=maybe_float,
    bid=st.none() | st.floats(min_value=0, max_value=200, allow_nan=False),
    ask=st.none() | st.floats(min_value=0, max_value=200, allow_nan=False),
    daily=st.none()
    | st.builds(
        DailyStats,
        history_days=st.integers(0, 60),
        volatility_pct=st.none() | st.floats(min_value=0, max_value=40),
    ),
    asset=st.none()
    | st.builds(
        AssetInfo,
        symbol=st.just("AAA"),
        market_cap_usd=maybe_float,
        exchange_listings=st.none() | st.integers(0, 10),
    ),
)


def independent_failures(s: MarketStats, cfg: UniverseSettings) -> set[UniverseFilter]:
    """The filters ``s`` fails, derived from the settings' documented meaning."""
    failed = set()
    if s.quote not in cfg.allowed_quote_currencies:
        failed.add(UniverseFilter.QUOTE_CURRENCY)
    if s.quote_volume_usd is None or s.quote_volume_usd < cfg.min_daily_volume_usd:
        failed.add(UniverseFilter.VOLUME)
    if s.bid is None or s.ask is None or not 0 < s.bid <= s.ask:
        failed.add(UniverseFilter.SPREAD)
    else:
        spread = (s.ask - s.bid) / ((s.ask + s.bid) / 2) * 100
        # Two float formulas may disagree in the last bit right at the limit.
        assume(abs(spread - cfg.max_spread_pct) > 1e-9)
        if spread > cfg.max_spread_pct:
            failed.add(UniverseFilter.SPREAD)
    if s.asset is not None:
        cap, count = s.asset.market_cap_usd, s.asset.exchange_listings
        if cap is None or cap < cfg.min_market_cap_usd:
            failed.add(UniverseFilter.MARKET_CAP)
        if count is None or count < cfg.min_exchange_listings:
            failed.add(UniverseFilter.LISTINGS)
    if s.daily is not None:
        vol = s.daily.volatility_pct
        if vol is None or vol > cfg.max_volatility_pct:
            failed.add(UniverseFilter.VOLATILITY)
        if s.daily.history_days < cfg.min_history_days:
            failed.add(UniverseFilter.HISTORY)
    return failed


@given(stats_strategy)
def test_rejections_are_exactly_the_failed_filters_and_inclusion_needs_all_data(
    stats: MarketStats,
) -> None:
    verdict = check_market(stats, SETTINGS)
    assert {r.filter for r in verdict.rejections} == independent_failures(stats, SETTINGS)
    measured = stats.asset is not None and stats.daily is not None
    assert verdict.included == (measured and not independent_failures(stats, SETTINGS))


@given(st.lists(stats_strategy, max_size=8), st.floats(min_value=0, max_value=1e8))
def test_raising_the_volume_minimum_never_adds_a_market(
    candidates: list[MarketStats], extra: float
) -> None:
    looser = select_universe(candidates, SETTINGS)
    stricter = select_universe(
        candidates,
        SETTINGS.model_copy(update={"min_daily_volume_usd": SETTINGS.min_daily_volume_usd + extra}),
    )
    assert len(stricter.included) <= len(looser.included)
    assert len(stricter.included) + len(stricter.excluded) == len(candidates)
