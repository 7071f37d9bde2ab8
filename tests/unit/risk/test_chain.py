"""The pre-trade check chain: order of checks, amendments passed on, first rejection wins."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from quantbot.core import OrderType, Side
from quantbot.risk import (
    BalanceCheck,
    CheckAction,
    CheckChain,
    CheckDecision,
    LotSizeCheck,
    MarginCheck,
    MinNotionalCheck,
    OrderIntent,
    PreTradeState,
    TickSizeCheck,
    venue_rule_checks,
)
from quantbot.risk.chain import amended

from ._state import State, intent


@dataclass
class Recording:
    """A check that records what it saw and answers with a fixed action."""

    name: str
    action: CheckAction = CheckAction.APPROVE
    halve: bool = False
    seen: list[OrderIntent] = field(default_factory=list)

    def check(self, order: OrderIntent, state: PreTradeState) -> CheckDecision:
        self.seen.append(order)
        if self.halve:
            return CheckDecision(self.name, CheckAction.AMEND, replace(order, qty=order.qty / 2))
        return CheckDecision(self.name, self.action, order, f"{self.name} says {self.action}")


def test_chain_stops_at_the_first_rejection() -> None:
    first, veto, never = Recording("a"), Recording("veto", CheckAction.REJECT), Recording("b")

    outcome = CheckChain([first, veto, never]).run(intent(), State())

    assert outcome.intent is None
    assert [d.check for d in outcome.decisions] == ["a", "veto"]
    assert outcome.rejection is outcome.decisions[-1]
    assert outcome.rejection.reason == "veto says reject"
    assert never.seen == []


def test_each_check_sees_the_order_as_amended_by_the_checks_before_it() -> None:
    halving, after = Recording("halve", halve=True), Recording("after")

    outcome = CheckChain([halving, after]).run(intent(qty=8.0), State())

    assert [o.qty for o in after.seen] == [4.0]
    assert outcome.intent is not None
    assert outcome.intent.qty == 4.0
    assert outcome.rejection is None
    assert [d.action for d in outcome.decisions] == [CheckAction.AMEND, CheckAction.APPROVE]


def test_then_appends_checks_that_run_after_the_existing_ones() -> None:
    chain = CheckChain(venue_rule_checks())
    extra = Recording("portfolio_rule", CheckAction.REJECT)

    longer = chain.then(extra)
    outcome = longer.run(intent(qty=1.0), State())

    assert [c.name for c in longer.checks] == [
        "tick_size",
        "lot_size",
        "balance",
        "margin",
        "min_notional",
        "portfolio_rule",
    ]
    assert len(chain.checks) == 5  # the original chain is unchanged
    assert outcome.rejection is not None
    assert outcome.rejection.check == "portfolio_rule"


def test_venue_rules_run_prices_then_quantity_then_balance_and_margin_then_notional() -> None:
    assert [type(c) for c in venue_rule_checks()] == [
        TickSizeCheck,
        LotSizeCheck,
        BalanceCheck,
        MarginCheck,
        MinNotionalCheck,
    ]


def test_venue_rules_round_an_order_and_pass_it_on() -> None:
    outcome = CheckChain(venue_rule_checks()).run(
        intent(Side.BUY, 0.12345, OrderType.LIMIT, price=99.999), State()
    )

    assert outcome.intent is not None
    assert outcome.intent.price == pytest.approx(99.99, rel=1e-12)
    assert outcome.intent.qty == pytest.approx(0.123, rel=1e-12)
    assert [d.action for d in outcome.decisions] == [
        CheckAction.AMEND,
        CheckAction.AMEND,
        CheckAction.APPROVE,
        CheckAction.APPROVE,
        CheckAction.APPROVE,
    ]


def test_lot_rejection_stops_the_chain_before_the_balance_is_looked_at() -> None:
    outcome = CheckChain(venue_rule_checks()).run(intent(qty=0.0001), State(balances={}))

    assert [d.check for d in outcome.decisions] == ["tick_size", "lot_size"]
    assert outcome.rejection is not None
    assert outcome.rejection.check == "lot_size"


def test_order_cut_by_the_balance_below_the_minimum_notional_is_rejected_there() -> None:
    state = State(balances={"USDT": 3.0, "BTC": 0.0})  # affords 0.029 at 100: 2.9 USDT

    outcome = CheckChain(venue_rule_checks()).run(intent(Side.BUY, 1.0), state)

    assert [d.check for d in outcome.decisions][-3:] == ["balance", "margin", "min_notional"]
    assert [d.action for d in outcome.decisions][-3:] == [
        CheckAction.AMEND,
        CheckAction.APPROVE,
        CheckAction.REJECT,
    ]
    assert outcome.rejection is not None
    assert outcome.rejection.check == "min_notional"
    assert outcome.rejection.reason.startswith("min_notional 5 USDT not reached: 0.029 x 100")


def test_amended_without_a_change_is_an_approval_of_the_same_order() -> None:
    order = intent(qty=2.0)

    same = amended("rule", order, "why", qty=2.0)
    changed = amended("rule", order, "why", qty=1.0)

    assert (same.action, same.intent, same.reason) == (CheckAction.APPROVE, order, "")
    assert (changed.action, changed.intent.qty, changed.reason) == (CheckAction.AMEND, 1.0, "why")
    assert order.qty == 2.0
