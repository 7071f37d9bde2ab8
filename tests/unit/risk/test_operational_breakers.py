"""Operational breakers: exchange pauses on API errors, price shocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import InvalidValue
from quantbot.risk.operational_breakers import (
    ApiErrorBreaker,
    OperationalLimits,
    PriceShockBreaker,
)
from quantbot.risk.risk_events import RiskAction, RiskEvent, RiskEventKind

T0 = 1_704_067_200_000
S = 1_000
MIN = 60 * S


def _errors(breaker: ApiErrorBreaker, exchange: str, times: list[int]) -> list[RiskEvent]:
    return [event for ts in times for event in breaker.record_api_error(exchange, ts)]


# -- API errors ------------------------------------------------------------------------------


def test_ten_errors_a_minute_are_tolerated_the_eleventh_pauses_the_exchange_5_minutes() -> None:
    breaker = ApiErrorBreaker()
    assert _errors(breaker, "binance", [T0 + i * S for i in range(10)]) == []

    [event] = breaker.record_api_error("binance", T0 + 10 * S)

    assert event.kind is RiskEventKind.EXCHANGE_PAUSED
    assert (event.ts_ms, event.value, event.limit, event.subject) == (
        T0 + 10 * S,
        11.0,
        10.0,
        "binance",
    )
    assert event.action == RiskAction(
        pause_exchange="binance", pause_until_ms=T0 + 10 * S + 5 * MIN
    )
    assert breaker.paused("binance", T0 + 10 * S + 5 * MIN - 1)
    assert not breaker.paused("binance", T0 + 10 * S + 5 * MIN)
    assert not breaker.paused("bybit", T0 + 11 * S)


@pytest.mark.parametrize(("spacing_ms", "pauses"), [(6 * S, False), (6 * S - 1, True)])
def test_the_window_is_a_rolling_minute(spacing_ms: int, pauses: bool) -> None:
    # Eleven errors span 10 spacings: 60 s exactly lets the first one leave the window.
    breaker = ApiErrorBreaker()

    events = _errors(breaker, "binance", [T0 + i * spacing_ms for i in range(11)])

    assert [event.kind for event in events] == ([RiskEventKind.EXCHANGE_PAUSED] if pauses else [])


def test_errors_during_a_pause_do_not_count_and_the_count_restarts_after_it() -> None:
    breaker = ApiErrorBreaker()
    _errors(breaker, "binance", [T0] * 11)
    until = T0 + 5 * MIN

    assert _errors(breaker, "binance", [until - 1] * 20) == []
    assert _errors(breaker, "binance", [until] * 10) == []
    assert len(_errors(breaker, "binance", [until + 1])) == 1


def test_exchanges_count_apart() -> None:
    breaker = ApiErrorBreaker()

    events = _errors(breaker, "binance", [T0] * 6) + _errors(breaker, "bybit", [T0] * 6)

    assert events == []


def test_expire_reports_each_ended_pause_once_at_its_end() -> None:
    breaker = ApiErrorBreaker(OperationalLimits(max_api_errors=0, exchange_pause_s=60.0))
    breaker.record_api_error("okx", T0 + 5 * S)
    breaker.record_api_error("binance", T0)

    assert breaker.expire(T0 + MIN) == [
        RiskEvent(
            ts_ms=T0 + MIN,
            kind=RiskEventKind.EXCHANGE_RESUMED,
            subject="binance",
            reason="binance pause of 60 s over",
        )
    ]
    assert [(e.ts_ms, e.subject) for e in breaker.expire(T0 + 10 * MIN)] == [
        (T0 + MIN + 5 * S, "okx")
    ]
    assert breaker.expire(T0 + 20 * MIN) == []


def test_error_times_never_go_back() -> None:
    breaker = ApiErrorBreaker()
    breaker.record_api_error("binance", T0)

    with pytest.raises(InvalidValue, match="time went back"):
        breaker.record_api_error("binance", T0 - 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_api_errors": -1},
        {"api_error_window_s": 0.0},
        {"exchange_pause_s": float("inf")},
        {"price_shock_pct": float("nan")},
        {"price_shock_window_s": -60.0},
    ],
)
def test_limits_refuse_values_that_make_no_sense(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidValue):
        OperationalLimits(**kwargs)  # type: ignore[arg-type]


# -- price shocks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prices", "shock"),
    [
        ([100.0, 110.0], False),  # exactly 10 %: not more
        ([100.0, 110.01], True),
        ([100.0, 105.0, 95.0], True),  # 105 / 95: 10.5 %
        ([100.0, 91.0], False),  # 100 / 91: 9.9 %
        ([100.0, 90.0], True),  # 100 / 90: 11.1 %
    ],
)
def test_a_range_of_more_than_10_pct_within_a_minute_is_a_shock(
    prices: list[float], shock: bool
) -> None:
    breaker = PriceShockBreaker()

    events = [
        e for i, p in enumerate(prices) for e in breaker.observe_price("BTC/USDT", T0 + i * S, p)
    ]

    assert len(events) == shock
    if shock:
        assert events[0].kind is RiskEventKind.PRICE_SHOCK
        assert events[0].action == RiskAction(cancel_orders_symbol="BTC/USDT")
        assert events[0].subject == "BTC/USDT"
        assert events[0].limit == 10.0


def test_a_move_spread_over_more_than_a_minute_is_no_shock() -> None:
    breaker = PriceShockBreaker()
    breaker.observe_price("BTC/USDT", T0, 100.0)
    breaker.observe_price("BTC/USDT", T0 + 30 * S, 105.0)

    assert breaker.observe_price("BTC/USDT", T0 + MIN, 111.0) == []
    assert len(breaker.observe_price("BTC/USDT", T0 + MIN + 1, 116.0)) == 1  # 105 -> 116


def test_a_shock_is_reported_once_then_the_window_starts_afresh() -> None:
    breaker = PriceShockBreaker()
    breaker.observe_price("ETH/USDT", T0, 100.0)
    breaker.observe_price("ETH/USDT", T0 + S, 120.0)

    assert breaker.observe_price("ETH/USDT", T0 + 2 * S, 121.0) == []
    assert breaker.observe_price("BTC/USDT", T0 + 2 * S, 50.0) == []
    assert len(breaker.observe_price("ETH/USDT", T0 + 3 * S, 134.0)) == 1


def test_a_one_minute_candle_shocks_by_its_high_and_low() -> None:
    breaker = PriceShockBreaker()

    [event] = breaker.observe_range("BTC/USDT", T0, low=100.0, high=111.0)

    assert event.value == pytest.approx(11.0)
    assert "range 100 - 111 (11.00 %)" in event.reason


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (2.0, 1.0), (1.0, float("inf"))])
def test_prices_must_be_positive_and_ordered(low: float, high: float) -> None:
    with pytest.raises(InvalidValue, match="0 < low <= high"):
        PriceShockBreaker().observe_range("BTC/USDT", T0, low=low, high=high)


def test_price_times_never_go_back() -> None:
    breaker = PriceShockBreaker()
    breaker.observe_price("BTC/USDT", T0, 1.0)

    with pytest.raises(InvalidValue, match="time went back"):
        breaker.observe_price("BTC/USDT", T0 - 1, 1.0)


@given(
    st.lists(
        st.tuples(st.integers(0, 40 * S), st.floats(90.0, 110.0), st.floats(0.0, 0.08)),
        min_size=1,
        max_size=80,
    )
)
def test_shocks_are_those_a_plain_scan_of_the_window_finds(
    moves: list[tuple[int, float, float]],
) -> None:
    breaker = PriceShockBreaker()
    seen: list[tuple[int, float, float]] = []  # (ts, low, high) since the last shock
    ts = T0
    for dt_ms, low, spread in moves:
        ts += dt_ms
        high = low * (1 + spread)
        seen = [entry for entry in seen if entry[0] > ts - MIN] + [(ts, low, high)]
        move_pct = (max(h for _, _, h in seen) / min(lo for _, lo, _ in seen) - 1) * 100
        expected = move_pct > 10.0 + 1e-9
        if expected:
            seen = []

        events = breaker.observe_range("BTC/USDT", ts, low=low, high=high)

        assert len(events) == expected
        if expected:
            assert events[0].value == pytest.approx(move_pct)
