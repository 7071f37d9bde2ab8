"""The public names of ``quantbot.risk`` (STYLE.md: a test pins ``__all__``)."""

from __future__ import annotations

import quantbot.risk as package


def test_public_names_are_pinned_and_importable() -> None:
    assert sorted(package.__all__) == [
        "BalanceCheck",
        "ChainOutcome",
        "CheckAction",
        "CheckChain",
        "CheckDecision",
        "LotSizeCheck",
        "MarginCheck",
        "MinNotionalCheck",
        "OrderIntent",
        "PreTradeCheck",
        "PreTradeState",
        "TickSizeCheck",
        "venue_rule_checks",
    ]
    assert all(hasattr(package, name) for name in package.__all__)
