"""The portfolio rules: one boundary per rule (at the limit passes, a cent above rejects),
closing orders always pass, and no accepted order takes any limit past its bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from quantbot.core import Side
from quantbot.risk import (
    AssetListCheck,
    CheckAction,
    CheckChain,
    CheckDecision,
    CorrelatedExposureCheck,
    ExchangeCapitalCheck,
    LeverageCapCheck,
    MaxOrderSizeCheck,
    OrderIntent,
    PreTradeCheck,
    PreTradeState,
    ReserveCashCheck,
    RiskLimits,
    RiskPerTradeCheck,
    SinglePairExposureCheck,
    TotalExposureCheck,
    portfolio_rule_checks,
)

from .portfolio_fakes import BTC, BTC_PERP, DOGE_PERP, ETH, SOL, Portfolio, order

APPROVE, REJECT = CheckAction.APPROVE, CheckAction.REJECT


def _action(check: PreTradeCheck, intent: OrderIntent, state: Portfolio) -> CheckAction:
    return check.check(intent, state).action


def _reason(check: PreTradeCheck, intent: OrderIntent, state: Portfolio) -> str:
    decision = check.check(intent, state)
    assert decision.action is REJECT
    return decision.reason


# -- asset lists -------------------------------------------------------------------------------


def test_blacklisted_asset_cannot_be_opened_but_can_be_closed() -> None:
    check = AssetListCheck(blacklist=frozenset({"SOL"}))
    state = Portfolio(positions={SOL: 3.0})

    assert _reason(check, order(SOL), state) == "asset_blacklist: SOL is blacklisted"
    assert _action(check, order(SOL, Side.SELL, 3.0), state) is APPROVE
    assert _action(check, order(BTC), state) is APPROVE


def test_a_whitelist_admits_only_its_assets() -> None:
    check = AssetListCheck(whitelist=frozenset({"BTC", "ETH"}))

    assert _action(check, order(BTC_PERP), Portfolio()) is APPROVE
    assert _reason(check, order(SOL), Portfolio()) == (
        "asset_whitelist: SOL is not whitelisted (BTC, ETH)"
    )
    assert _action(AssetListCheck(), order(SOL), Portfolio()) is APPROVE


# -- rule 1: risk per trade and order size ----------------------------------------------------------


def test_risk_at_the_stop_up_to_the_limit_passes_a_cent_more_rejects() -> None:
    check = RiskPerTradeCheck(2.0)  # 200 of 10,000 equity

    assert _action(check, order(qty=20.0, stop_loss=90.0), Portfolio()) is APPROVE
    assert _reason(check, order(qty=20.0, stop_loss=89.9995), Portfolio()) == (
        "max_risk_per_trade_pct 2: |100 - 89.9995| x 20 = 200.01 USDT at risk "
        "is 2.0 % of 10,000 equity, above 200"
    )


def test_risk_counts_contracts_in_base_units_and_the_limit_price_as_entry() -> None:
    check = RiskPerTradeCheck(2.0)
    # 2,000 contracts of 0.01 BTC: 20 BTC, 10 from the stop.
    assert _action(check, order(BTC_PERP, qty=2_000.0, stop_loss=90.0), Portfolio()) is APPROVE
    assert _action(check, order(BTC_PERP, qty=2_001.0, stop_loss=90.0), Portfolio()) is REJECT
    # A short entered at the limit 95 with its stop at 105.
    short = order(BTC, Side.SELL, 20.0, price=95.0, stop_loss=105.0)
    assert _action(check, short, Portfolio()) is APPROVE


def test_an_undeclared_stop_is_not_checked_by_the_risk_rule() -> None:
    assert _action(RiskPerTradeCheck(2.0), order(qty=1_000.0), Portfolio()) is APPROVE


def test_risk_of_a_flip_is_that_of_the_position_it_opens() -> None:
    check = RiskPerTradeCheck(2.0)
    state = Portfolio(positions={BTC_PERP: 1_000.0})

    # Sells 3,000: closes 1,000 contracts, opens a short of 2,000 (20 BTC), 10 from the stop.
    assert _action(check, order(BTC_PERP, Side.SELL, 3_000.0, stop_loss=110.0), state) is APPROVE
    assert _action(check, order(BTC_PERP, Side.SELL, 3_000.0, stop_loss=110.01), state) is REJECT


def test_order_size_up_to_the_limit_passes_a_cent_more_is_cut_to_the_limit() -> None:
    check = MaxOrderSizeCheck(500.0)

    assert _action(check, order(qty=5.0), Portfolio()) is APPROVE
    cut = check.check(order(qty=5.0001), Portfolio())
    assert cut.action is CheckAction.AMEND
    assert cut.intent.qty == pytest.approx(5.0)
    assert cut.reason == "max_order_size_usd 500: 5.0001 x 100 = 500.01 USDT opened, cut to 500"
    at_limit_price = check.check(order(qty=4.96, price=101.0), Portfolio())  # 500.96
    assert at_limit_price.intent.qty * 101.0 == pytest.approx(500.0)


def test_a_flip_keeps_its_closing_part_whole_and_cuts_only_what_it_opens() -> None:
    check = MaxOrderSizeCheck(500.0)
    state = Portfolio(positions={BTC: 3.0})  # long 3 at 100

    # Sells 10: closes 3, opens a short of 7 (700 USDT): the short is cut to 5.
    cut = check.check(order(BTC, Side.SELL, 10.0), state)
    assert cut.action is CheckAction.AMEND
    assert cut.intent.qty == pytest.approx(8.0)


# -- rules 2 to 4 and the other exposure limits ------------------------------------------------------


def test_total_exposure_rejection_names_the_rule_and_the_numbers() -> None:
    state = Portfolio(cash_usd=4_600.0, positions={ETH: 54.0})  # equity 10,000

    assert _reason(TotalExposureCheck(60.0), order(BTC, qty=12.0), state) == (
        "max_total_exposure_pct 60: 5,400 + 1,200 = 6,600 USDT is 66.0 % of 10,000 equity, "
        "above 6,000"
    )


def test_total_exposure_up_to_the_limit_passes_a_cent_more_rejects() -> None:
    state = Portfolio(cash_usd=4_600.0, positions={ETH: 54.0})
    check = TotalExposureCheck(60.0)

    assert _action(check, order(BTC, qty=6.0), state) is APPROVE
    assert _action(check, order(BTC, qty=6.0001), state) is REJECT


def test_working_orders_count_toward_the_exposure() -> None:
    state = Portfolio(cash_usd=4_600.0, positions={ETH: 54.0})
    state.rest(order(ETH, qty=6.0, price=99.0))  # if it fills, ETH is worth 6,000

    assert _action(TotalExposureCheck(60.0), order(BTC, qty=0.001), state) is REJECT


def test_total_exposure_sums_longs_and_shorts_gross() -> None:
    state = Portfolio(positions={BTC_PERP: 3_000.0, DOGE_PERP: -3.0})  # 3,000 + 3,000

    assert _action(TotalExposureCheck(60.0), order(BTC, qty=0.01), state) is REJECT


def test_an_order_lowering_an_exposure_already_above_its_bound_passes() -> None:
    # ETH 8,000 and a perpetual long of 8,000 contracts (8,000 USDT): 160 % of 10,000.
    state = Portfolio(cash_usd=2_000.0, positions={ETH: 80.0, BTC_PERP: 8_000.0})
    check = TotalExposureCheck(60.0)

    # A flip to a short of 2,000 contracts lowers the total to 10,000; one to 8,001 raises it.
    assert _action(check, order(BTC_PERP, Side.SELL, 10_000.0), state) is APPROVE
    assert _reason(check, order(BTC_PERP, Side.SELL, 16_001.0), state).startswith(
        "max_total_exposure_pct 60: 16,000 + 1 = 16,001 USDT is 160.0 % of 10,000 equity"
    )


def test_without_positive_equity_no_exposure_may_be_added() -> None:
    state = Portfolio(cash_usd=-100.0)

    assert _reason(TotalExposureCheck(60.0), order(qty=0.01), state) == (
        "max_total_exposure_pct 60: 0 + 1 = 1 USDT with equity at -100, above -60"
    )


def test_single_pair_counts_only_the_orders_symbol() -> None:
    state = Portfolio(cash_usd=3_100.0, positions={BTC: 19.0, ETH: 50.0})  # equity 10,000
    check = SinglePairExposureCheck(20.0)

    assert _action(check, order(BTC, qty=1.0), state) is APPROVE
    assert _reason(check, order(BTC, qty=1.0001), state) == (
        "max_single_pair_exposure_pct 20: BTC/USDT 1,900 + 100.01 = 2,000.01 USDT "
        "is 20.0 % of 10,000 equity, above 2,000"
    )
    assert _action(check, order(SOL, qty=20.0), state) is APPROVE


def test_configured_group_counts_its_assets_together() -> None:
    state = Portfolio(cash_usd=8_000.0, positions={ETH: 20.0})
    check = CorrelatedExposureCheck(35.0, (("BTC", "ETH"),))

    assert _action(check, order(BTC, qty=15.0), state) is APPROVE
    assert _reason(check, order(BTC, qty=15.0001), state) == (
        "max_correlated_exposure_pct 35: BTC+ETH 2,000 + 1,500.01 = 3,500.01 USDT "
        "is 35.0 % of 10,000 equity, above 3,500"
    )
    assert _action(check, order(SOL, qty=35.0), state) is APPROVE


def test_rolling_correlation_groups_merge_with_the_configured_ones() -> None:
    state = Portfolio(cash_usd=8_000.0, positions={ETH: 20.0})
    state.rolling_groups = [frozenset({"ETH", "SOL"})]
    check = CorrelatedExposureCheck(35.0, (("BTC", "ETH"),))

    assert "BTC+ETH+SOL 2,000 + 1,600" in _reason(check, order(SOL, qty=16.0), state)


def test_an_ungrouped_asset_counts_its_spot_and_perpetual_together() -> None:
    state = Portfolio(cash_usd=8_000.0, positions={BTC: 20.0})
    check = CorrelatedExposureCheck(35.0)

    assert _action(check, order(BTC_PERP, qty=1_500.0), state) is APPROVE
    assert "BTC 2,000 + 1,500.01" in _reason(check, order(BTC_PERP, qty=1_500.01), state)


def test_exchange_capital_counts_the_orders_exchange_only() -> None:
    state = Portfolio(cash_usd=1_000.0, positions={ETH: 40.0, SOL: 50.0})
    state.exchanges = {SOL: "kraken"}
    check = ExchangeCapitalCheck(60.0)

    assert _action(check, order(BTC, qty=20.0), state) is APPROVE
    assert _reason(check, order(BTC, qty=20.0001), state) == (
        "max_capital_per_exchange_pct 60: binance 4,000 + 2,000.01 = 6,000.01 USDT "
        "is 60.0 % of 10,000 equity, above 6,000"
    )
    assert _action(check, order(SOL, qty=10.0), state) is APPROVE
    assert _action(check, order(SOL, qty=10.0001), state) is REJECT


def test_leverage_up_to_the_cap_passes_a_cent_more_rejects() -> None:
    state = Portfolio(positions={DOGE_PERP: 25.0})  # 25 x 10 DOGE x 100 = 25,000
    check = LeverageCapCheck(3.0)

    assert _action(check, order(BTC_PERP, qty=5_000.0), state) is APPROVE
    assert _reason(check, order(BTC_PERP, qty=5_000.01), state) == (
        "leverage_cap 3: 25,000 + 5,000.01 = 30,000.01 USDT is 3.00x the 10,000 equity, "
        "above 30,000"
    )


# -- rule 7: reserve cash ----------------------------------------------------------------------------


def test_cash_left_after_a_spot_buy_down_to_the_reserve_passes_a_cent_less_rejects() -> None:
    check = ReserveCashCheck(20.0)

    assert _action(check, order(qty=80.0), Portfolio()) is APPROVE
    assert _reason(check, order(qty=80.0001), Portfolio()) == (
        "reserve_cash_pct 20: 10,000 - 8,000.01 = 1,999.99 USDT cash left "
        "is 20.0 % of 10,000 equity, below 2,000"
    )


def test_the_fee_is_part_of_what_a_buy_spends() -> None:
    assert _action(ReserveCashCheck(20.0), order(qty=80.0), Portfolio(fee_rate=0.001)) is REJECT


def test_a_perpetual_order_spends_its_initial_margin() -> None:
    state = Portfolio(leverages={BTC_PERP: 5.0})
    check = ReserveCashCheck(20.0)

    # 40,000 contracts of 0.01 at 100: 40,000 notional, 8,000 margin at leverage 5.
    assert _action(check, order(BTC_PERP, Side.SELL, 40_000.0), state) is APPROVE
    assert _action(check, order(BTC_PERP, Side.SELL, 40_000.1), state) is REJECT


def test_spot_sells_spend_no_cash() -> None:
    state = Portfolio(cash_usd=0.0, positions={BTC: 100.0})

    assert _action(ReserveCashCheck(20.0), order(BTC, Side.SELL, 200.0), state) is APPROVE


def test_cash_reserved_by_working_orders_is_not_spent_twice() -> None:
    state = Portfolio()
    state.rest(order(ETH, qty=50.0, price=100.0))  # reserves 5,000

    assert _action(ReserveCashCheck(20.0), order(qty=30.0), state) is APPROVE
    assert _action(ReserveCashCheck(20.0), order(qty=30.01), state) is REJECT


# -- the assembled rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Breaker:
    name: str

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        return CheckDecision(self.name, CheckAction.APPROVE, intent)


def test_rules_run_in_the_issues_order_with_the_breakers_before_the_reserve() -> None:
    checks = portfolio_rule_checks(
        RiskLimits(), breaker_checks=[_Breaker("circuit_breaker"), _Breaker("recovery_mode")]
    )

    assert [check.name for check in checks] == [
        "asset_list",
        "max_order_size_usd",
        "max_risk_per_trade_pct",
        "max_total_exposure_pct",
        "max_single_pair_exposure_pct",
        "max_correlated_exposure_pct",
        "max_capital_per_exchange_pct",
        "leverage_cap",
        "circuit_breaker",
        "recovery_mode",
        "reserve_cash_pct",
    ]


def test_rules_take_their_numbers_from_the_limits() -> None:
    limits = RiskLimits(
        max_risk_per_trade_pct=1.0,
        max_order_size_usd=250.0,
        max_total_exposure_pct=50.0,
        max_single_pair_exposure_pct=10.0,
        max_correlated_exposure_pct=30.0,
        max_capital_per_exchange_pct=40.0,
        reserve_cash_pct=25.0,
        leverage_cap=2.0,
        asset_whitelist=frozenset({"BTC"}),
        asset_blacklist=frozenset({"LUNA"}),
        correlation_groups=(("BTC", "ETH"),),
    )

    assert portfolio_rule_checks(limits) == [
        AssetListCheck(frozenset({"BTC"}), frozenset({"LUNA"})),
        MaxOrderSizeCheck(250.0),
        RiskPerTradeCheck(1.0),
        TotalExposureCheck(50.0),
        SinglePairExposureCheck(10.0),
        CorrelatedExposureCheck(30.0, (("BTC", "ETH"),)),
        ExchangeCapitalCheck(40.0),
        LeverageCapCheck(2.0),
        ReserveCashCheck(25.0),
    ]


def test_closing_orders_pass_every_rule_even_with_every_limit_exceeded() -> None:
    state = Portfolio(cash_usd=-50_000.0, positions={BTC: 500.0, BTC_PERP: -90_000.0})
    chain = CheckChain(portfolio_rule_checks(RiskLimits(asset_blacklist=frozenset({"BTC"}))))

    for closing in (
        order(BTC, Side.SELL, 500.0, stop_loss=150.0),
        order(BTC_PERP, Side.BUY, 90_000.0, price=120.0),
        order(BTC_PERP, Side.BUY, 1e9, reduce_only=True),
    ):
        outcome = chain.run(closing, state)
        assert outcome.rejection is None, outcome.rejection
        assert outcome.intent == closing


# -- property: no accepted order takes a limit past its bound ---------------------------------------

SYMBOLS = (BTC, ETH, SOL, BTC_PERP, DOGE_PERP)
EXCHANGES = {SOL: "kraken", DOGE_PERP: "bybit"}
CONFIGURED = (("BTC", "ETH"),)
ROLLING = [frozenset({"DOGE", "SOL"})]
GROUPS = {"BTC+ETH": {BTC, ETH, BTC_PERP}, "DOGE+SOL": {SOL, DOGE_PERP}}
SLACK = 1e-9


@dataclass(frozen=True)
class _Order:
    symbol: str
    side: Side
    notional_usd: float
    limit_factor: float | None
    stop_factor: float | None
    reduce_only: bool


@dataclass(frozen=True)
class _Move:
    symbol: str
    factor: float


@dataclass(frozen=True)
class _Fill:
    index: int


limits_st = st.builds(
    RiskLimits,
    max_risk_per_trade_pct=st.floats(0.5, 10.0),
    max_order_size_usd=st.floats(100.0, 100_000.0),
    max_total_exposure_pct=st.floats(10.0, 300.0),
    max_single_pair_exposure_pct=st.floats(5.0, 150.0),
    max_correlated_exposure_pct=st.floats(5.0, 200.0),
    max_capital_per_exchange_pct=st.floats(10.0, 300.0),
    reserve_cash_pct=st.floats(0.0, 60.0),
    leverage_cap=st.floats(0.5, 4.0),
    asset_blacklist=st.sampled_from([frozenset(), frozenset({"SOL"})]),
    correlation_groups=st.just(CONFIGURED),
)
steps_st = st.lists(
    st.one_of(
        st.builds(
            _Order,
            st.sampled_from(SYMBOLS),
            st.sampled_from(list(Side)),
            st.floats(1.0, 15_000.0),
            st.none() | st.floats(0.9, 1.1),
            st.none() | st.floats(0.8, 1.2),
            st.booleans(),
        ),
        st.builds(_Move, st.sampled_from(SYMBOLS), st.floats(0.8, 1.25)),
        st.builds(_Fill, st.integers(0, 20)),
    ),
    min_size=1,
    max_size=30,
)


@st.composite
def portfolios(draw: st.DrawFn) -> Portfolio:
    state = Portfolio(
        cash_usd=draw(st.floats(0.0, 50_000.0)),
        fee_rate=draw(st.sampled_from([0.0, 0.001])),
        exchanges=dict(EXCHANGES),
        rolling_groups=list(ROLLING),
    )
    for symbol in SYMBOLS:
        perpetual = state.instruments[symbol].is_perpetual
        state.prices[symbol] = draw(st.floats(1.0, 1_000.0))
        held_usd = draw(st.floats(-5_000.0 if perpetual else 0.0, 5_000.0))
        state.positions[symbol] = held_usd / state._value(symbol)
        if perpetual:
            state.leverages[symbol] = draw(st.sampled_from([1.0, 3.0, 10.0]))
    return state


def _exposures(state: Portfolio) -> dict[str, float]:
    """Worst-case exposure per symbol, worked out from the fake's own books."""
    result = {}
    for symbol in SYMBOLS:
        position = state.positions.get(symbol, 0.0)
        buys = sum(
            r.intent.qty
            for r in state.resting
            if r.intent.symbol == symbol and r.intent.side is Side.BUY
        )
        sells = sum(
            r.intent.qty
            for r in state.resting
            if r.intent.symbol == symbol and r.intent.side is Side.SELL
        )
        worst = max(abs(position + buys), abs(position - sells))
        result[symbol] = worst * state._value(symbol)
    return result


def _measures(
    state: Portfolio, limits: RiskLimits, equity: float
) -> dict[str, tuple[float, float]]:
    """Each exposure limit: (measured USD, bound USD at ``equity``)."""
    exposures = _exposures(state)
    total = sum(exposures.values())
    measures = {
        "total": (total, limits.max_total_exposure_pct * equity / 100),
        "leverage": (total, limits.leverage_cap * equity),
    }
    for symbol, usd in exposures.items():
        measures[symbol] = (usd, limits.max_single_pair_exposure_pct * equity / 100)
    for name, members in GROUPS.items():
        usd = sum(exposures[symbol] for symbol in members)
        measures[name] = (usd, limits.max_correlated_exposure_pct * equity / 100)
    for exchange in ("binance", "kraken", "bybit"):
        usd = sum(u for s, u in exposures.items() if EXCHANGES.get(s, "binance") == exchange)
        measures[exchange] = (usd, limits.max_capital_per_exchange_pct * equity / 100)
    return measures


def _intent(step: _Order, state: Portfolio) -> OrderIntent | None:
    instrument = state.instruments[step.symbol]
    last = state.prices[step.symbol]
    qty = step.notional_usd / state._value(step.symbol)
    limit = None if step.limit_factor is None or step.reduce_only else last * step.limit_factor
    if not instrument.is_perpetual and step.side is Side.SELL:
        # Spot holdings cannot go short: sell what is held, at market.
        qty, limit = min(qty, state.positions.get(step.symbol, 0.0)), None
    if qty <= 0.0:
        return None
    stop = None if step.stop_factor is None else last * step.stop_factor
    return order(
        step.symbol, step.side, qty, price=limit, stop_loss=stop, reduce_only=step.reduce_only
    )


def _opening(intent: OrderIntent, state: Portfolio) -> float:
    """The quantity beyond what closes the position (signs compared, not multiplied:
    products of tiny positions underflow to zero)."""
    position = state.positions.get(intent.symbol, 0.0)
    against = -position if intent.side is Side.BUY else position
    return 0.0 if intent.reduce_only else max(intent.qty - max(against, 0.0), 0.0)


def _assert_within(after: float, bound: float, before: float, what: str) -> None:
    ceiling = max(bound, before)
    assert after <= ceiling + SLACK * abs(ceiling) + 1e-6, (what, before, after, bound)


def _check_accepted(
    intent: OrderIntent, before: Portfolio, after: Portfolio, limits: RiskLimits
) -> None:
    equity = before.equity_usd()
    opening = _opening(intent, before)
    instrument = before.instruments[intent.symbol]
    price = intent.reference_price(before.prices[intent.symbol])
    base_qty = opening * instrument.contract_size
    if opening > 0.0:
        assert instrument.base not in limits.asset_blacklist
        _assert_within(base_qty * price, limits.max_order_size_usd, 0.0, "order size")
        if intent.stop_loss is not None:
            risk = abs(price - intent.stop_loss) * base_qty
            _assert_within(risk, limits.max_risk_per_trade_pct * equity / 100, 0.0, "risk")
        if instrument.is_perpetual or intent.side is Side.BUY:
            reserve = limits.reserve_cash_pct * equity / 100
            left = after.stable_cash_usd()
            assert left >= reserve - SLACK * abs(reserve) - 1e-6, ("reserve", left, reserve)
    old = _measures(before, limits, equity)
    for what, (usd, bound) in _measures(after, limits, equity).items():
        _assert_within(usd, bound, old[what][0], what)


def _copy(state: Portfolio) -> Portfolio:
    return Portfolio(
        positions=dict(state.positions),
        prices=dict(state.prices),
        cash_usd=state.cash_usd,
        fee_rate=state.fee_rate,
        resting=list(state.resting),
        leverages=dict(state.leverages),
        exchanges=state.exchanges,
        rolling_groups=state.rolling_groups,
    )


@settings(max_examples=500)
@given(portfolios(), limits_st, steps_st)
def test_no_accepted_order_takes_a_limit_past_its_bound_and_closing_orders_always_pass(
    state: Portfolio, limits: RiskLimits, steps: list[_Order | _Move | _Fill]
) -> None:
    chain = CheckChain(portfolio_rule_checks(limits))
    for step in steps:
        if isinstance(step, _Move):
            state.move(step.symbol, state.prices[step.symbol] * step.factor)
        elif isinstance(step, _Fill):
            if state.resting:
                state.fill_resting(step.index % len(state.resting))
        else:
            intent = _intent(step, state)
            if intent is None:
                continue
            outcome = chain.run(intent, state)
            rejection = outcome.rejection
            event("accepted" if rejection is None else f"rejected by {rejection.check}")
            if _opening(intent, state) == 0.0:
                assert outcome.rejection is None, outcome.rejection
            sent = outcome.intent  # possibly cut to max_order_size_usd
            if sent is None:
                continue
            before = _copy(state)
            if sent.price is None:
                state.fill(sent, state.prices[sent.symbol])
            else:
                state.rest(sent)
            _check_accepted(sent, before, state, limits)
