"""Breakers, brakes and pauses as pre-trade checks: what passes, what is cut, what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Side, SimulatedClock
from quantbot.risk import CheckAction, CheckChain
from quantbot.risk.breaker_checks import (
    CircuitBreakerCheck,
    DrawdownBrakeCheck,
    ExchangePauseCheck,
    RecoveryResizeCheck,
)
from quantbot.risk.circuit_breaker import BreakerStatus, CircuitBreaker
from quantbot.risk.drawdown_brakes import DrawdownBrakes
from quantbot.risk.operational_breakers import ApiErrorBreaker

from ._state import State, intent
from .portfolio_fakes import BTC_PERP, Portfolio
from .portfolio_fakes import order as portfolio_order
from factories import SYMBOL

T0 = 1_704_067_200_000  # Monday 2024-01-01
H = 3_600_000


def _breaker(status: BreakerStatus) -> CircuitBreaker:
    """A breaker driven into ``status`` through its public API."""
    breaker = CircuitBreaker()
    breaker.observe(T0, 10_000.0)
    drop = {
        BreakerStatus.NORMAL: 10_000.0,
        BreakerStatus.RECOVERY: 9_600.0,
        BreakerStatus.DAILY_CIRCUIT_BREAK: 9_600.0,
        BreakerStatus.WEEKLY_CIRCUIT_BREAK: 9_200.0,
        BreakerStatus.MONTHLY_SHUTDOWN: 8_700.0,
    }[status]
    breaker.observe(T0 + H, drop)
    if status is BreakerStatus.RECOVERY:
        breaker.observe(T0 + 25 * H, drop)
    assert breaker.status is status
    return breaker


def _brakes(level: int) -> DrawdownBrakes:
    brakes = DrawdownBrakes()
    brakes.observe(T0, 10_000.0)
    brakes.observe(T0 + 1, 10_000.0 * (1 - [0.0, 0.06, 0.11, 0.16][level]))
    assert brakes.level == level
    return brakes


BREAKS = [
    BreakerStatus.DAILY_CIRCUIT_BREAK,
    BreakerStatus.WEEKLY_CIRCUIT_BREAK,
    BreakerStatus.MONTHLY_SHUTDOWN,
]

# -- rule 5: circuit breaker ---------------------------------------------------------------


def test_without_a_break_every_order_passes() -> None:
    check = CircuitBreakerCheck(_breaker(BreakerStatus.RECOVERY))

    assert check.check(intent(Side.BUY, 5.0), State()).action is CheckAction.APPROVE


@pytest.mark.parametrize("status", BREAKS)
def test_a_break_refuses_opening_orders(status: BreakerStatus) -> None:
    decision = CircuitBreakerCheck(_breaker(status)).check(intent(Side.BUY, 1.0), State())

    assert decision.action is CheckAction.REJECT
    assert decision.check == "circuit_breaker"
    assert decision.reason == (
        f"{status} since 2024-01-01T01:00:00.000Z: only closing orders pass; buy 1 BTC/USDT opens"
    )


@pytest.mark.parametrize("status", BREAKS)
@pytest.mark.parametrize(
    ("side", "qty", "position", "reduce_only"),
    [
        (Side.SELL, 1.0, 2.0, False),  # selling part of a long
        (Side.SELL, 2.0, 2.0, False),  # closing it all
        (Side.BUY, 0.5, -0.5, False),  # buying back a short
        (Side.SELL, 1.0, 0.0, True),  # reduce-only: the venue caps it
    ],
)
def test_a_break_lets_closing_orders_through_unchanged(
    status: BreakerStatus, side: Side, qty: float, position: float, reduce_only: bool
) -> None:
    order = intent(side, qty, reduce_only=reduce_only)

    decision = CircuitBreakerCheck(_breaker(status)).check(
        order, State(positions={SYMBOL: position})
    )

    assert (decision.action, decision.intent) == (CheckAction.APPROVE, order)


def test_a_break_cuts_an_order_that_would_flip_the_position_to_its_closing_part() -> None:
    decision = CircuitBreakerCheck(_breaker(BreakerStatus.DAILY_CIRCUIT_BREAK)).check(
        intent(Side.SELL, 3.0), State(positions={SYMBOL: 1.2})
    )

    assert decision.action is CheckAction.AMEND
    assert decision.intent.qty == 1.2
    assert decision.reason.endswith("qty cut to the closing 1.2")


# -- rule 6: recovery ------------------------------------------------------------------------


def test_recovery_halves_opening_orders() -> None:
    decision = RecoveryResizeCheck(_breaker(BreakerStatus.RECOVERY)).check(
        intent(Side.BUY, 1.0), State()
    )

    assert decision.action is CheckAction.AMEND
    assert decision.intent.qty == 0.5
    assert decision.reason == (
        "recovery mode until 2024-01-04T01:00:00.000Z: reduce_position_sizes_by_pct 50: "
        "opening qty 1 x 0.5"
    )


@pytest.mark.parametrize(
    ("side", "qty", "position", "expected"),
    [
        (Side.SELL, 3.0, 2.0, 2.5),  # closes 2 in full, opens 1 at half
        (Side.SELL, 2.0, 2.0, 2.0),  # closes only: untouched
        (Side.BUY, 0.003, 0.0, 0.001),  # 0.0015 rounded down to the lot 0.001
    ],
)
def test_recovery_cuts_only_the_opening_part_on_the_lot(
    side: Side, qty: float, position: float, expected: float
) -> None:
    decision = RecoveryResizeCheck(_breaker(BreakerStatus.RECOVERY)).check(
        intent(side, qty), State(positions={SYMBOL: position})
    )

    assert decision.intent.qty == pytest.approx(expected, rel=1e-12)


def test_recovery_refuses_an_order_halved_to_nothing() -> None:
    decision = RecoveryResizeCheck(_breaker(BreakerStatus.RECOVERY)).check(
        intent(Side.BUY, 0.001), State()
    )

    assert decision.action is CheckAction.REJECT
    assert decision.reason.endswith("qty 0.001 x 0.5 rounds to 0")


@pytest.mark.parametrize("status", [BreakerStatus.NORMAL, *BREAKS])
def test_outside_recovery_sizes_are_untouched(status: BreakerStatus) -> None:
    check = RecoveryResizeCheck(_breaker(status))

    assert check.check(intent(Side.BUY, 1.0), State()).action is CheckAction.APPROVE


# -- drawdown brakes -------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "expected"), [(0, 1.0), (1, 1.0), (2, 0.5)])
def test_brake_levels_scale_opening_orders_by_their_size_factor(
    level: int, expected: float
) -> None:
    decision = DrawdownBrakeCheck(_brakes(level)).check(intent(Side.BUY, 1.0), State())

    assert decision.intent.qty == expected


def test_the_last_brake_level_refuses_opening_and_passes_closing_orders() -> None:
    check = DrawdownBrakeCheck(_brakes(3))
    state = State(positions={SYMBOL: 1.0})

    refused = check.check(intent(Side.BUY, 1.0), state)
    closing = check.check(intent(Side.SELL, 1.0), state)

    assert refused.action is CheckAction.REJECT
    assert refused.reason == (
        "drawdown brake level 3 (15 % from peak): only closing orders pass; buy 1 BTC/USDT opens"
    )
    assert closing.action is CheckAction.APPROVE


# -- exchange pause --------------------------------------------------------------------------


def test_a_paused_exchange_takes_no_order_at_all_until_the_pause_ends() -> None:
    api = ApiErrorBreaker()
    for _ in range(11):
        api.record_api_error("binance", T0)
    clock = SimulatedClock(T0)
    check = ExchangePauseCheck(api, "binance", clock)
    state = State(positions={SYMBOL: 1.0})

    for order in (intent(Side.BUY, 1.0), intent(Side.SELL, 1.0, reduce_only=True)):
        decision = check.check(order, state)
        assert decision.action is CheckAction.REJECT
        assert decision.reason == (
            "exchange binance paused for API errors until 2024-01-01T00:05:00.000Z"
        )
    assert ExchangePauseCheck(api, "bybit", clock).check(intent(), state).action is (
        CheckAction.APPROVE
    )

    clock.advance_to(T0 + 300_000)
    assert check.check(intent(), state).action is CheckAction.APPROVE


# -- together in a chain ---------------------------------------------------------------------


def test_recovery_and_a_brake_compound_in_the_chain() -> None:
    breaker = _breaker(BreakerStatus.RECOVERY)
    chain = CheckChain(
        [CircuitBreakerCheck(breaker), RecoveryResizeCheck(breaker), DrawdownBrakeCheck(_brakes(2))]
    )

    outcome = chain.run(intent(Side.BUY, 1.0), State())

    assert outcome.intent is not None
    assert outcome.intent.qty == 0.25
    assert [d.action for d in outcome.decisions] == [
        CheckAction.APPROVE,
        CheckAction.AMEND,
        CheckAction.AMEND,
    ]


@given(
    st.sampled_from(list(BreakerStatus)),
    st.integers(0, 3),
    st.sampled_from(list(Side)),
    st.integers(1, 5_000),
    st.integers(-5_000, 5_000),
    st.booleans(),
)
def test_closing_orders_always_pass_whole_and_opening_never_grows(
    status: BreakerStatus,
    level: int,
    side: Side,
    qty_lots: int,
    position_lots: int,
    reduce_only: bool,
) -> None:
    breaker, brakes = _breaker(status), _brakes(level)
    chain = CheckChain(
        [CircuitBreakerCheck(breaker), RecoveryResizeCheck(breaker), DrawdownBrakeCheck(brakes)]
    )
    order = intent(side, qty_lots * 0.001, reduce_only=reduce_only)
    position = position_lots * 0.001
    closing = order.qty if reduce_only else min(order.qty, max(-side.sign * position, 0.0))

    outcome = chain.run(order, State(positions={SYMBOL: position}))

    if closing == order.qty:
        assert outcome.intent == order
        return
    factor = breaker.recovery_size_factor * brakes.current().order_size_factor
    if breaker.active or brakes.current().stop_opening:
        factor = 0.0
    allowed = closing + (order.qty - closing) * factor
    passed = 0.0 if outcome.intent is None else outcome.intent.qty
    assert closing - 1e-9 <= passed <= allowed + 1e-9


def test_a_brake_level_lowers_the_leverage_cap_by_its_factor() -> None:
    # Equity 10,000 and a 20,000 perpetual position: leverage 2; a further 4,000 would
    # make it 2.4, within the cap of 3 but beyond 3 x 0.6 = 1.8 once level 2 engages.
    state = Portfolio(positions={BTC_PERP: 20_000.0})
    order = portfolio_order(BTC_PERP, Side.BUY, 4_000.0)

    assert DrawdownBrakeCheck(_brakes(1), leverage_cap=3.0).check(order, state).action is (
        CheckAction.APPROVE
    )
    # level 2 halves the order (2,000 more: leverage 2.2) and then caps leverage at 1.8
    braked = DrawdownBrakeCheck(_brakes(2), leverage_cap=3.0).check(order, state)
    assert braked.action is CheckAction.REJECT
    assert braked.reason.startswith("drawdown brake level 2 (10 % from peak): leverage x 0.6, ")
    assert "leverage_cap 1.8" in braked.reason
    # without a cap to lower, the brake only halves the order
    halved = DrawdownBrakeCheck(_brakes(2)).check(order, state)
    assert halved.action is CheckAction.AMEND
    assert halved.intent.qty == pytest.approx(2_000.0)
    # closing orders pass whatever the leverage
    closing = portfolio_order(BTC_PERP, Side.SELL, 5_000.0)
    assert DrawdownBrakeCheck(_brakes(2), leverage_cap=3.0).check(closing, state).action is (
        CheckAction.APPROVE
    )
