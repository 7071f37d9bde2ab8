"""Checks on orders that several engine tests share."""

from __future__ import annotations

import itertools

from quantbot.core import TRANSITIONS, Order, OrderState


def assert_legal_history(order: Order) -> None:
    """The order's transitions chain from PENDING to its state through legal moves only."""
    history = order.history
    assert history, f"{order} has no history"
    assert history[0].from_state is OrderState.PENDING
    assert history[0].event in ("ORDER_ACCEPTED", "ORDER_REJECTED")
    for before, after in itertools.pairwise(history):
        assert before.to_state is after.from_state
        assert after.ts_ms >= before.ts_ms
    for t in history:
        assert t.to_state in TRANSITIONS[t.from_state], t
    assert history[-1].to_state is order.state
