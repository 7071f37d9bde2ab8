"""The public names of ``quantbot.strategies`` (STYLE.md: a test pins ``__all__``)."""

from __future__ import annotations

import quantbot.strategies as package


def test_public_names_are_pinned_and_importable() -> None:
    assert sorted(package.__all__) == [
        "Bar",
        "Dca",
        "DcaParams",
        "DonchianBreakout",
        "DonchianBreakoutParams",
        "EmaCross",
        "EmaCrossParams",
        "FundingArb",
        "FundingArbParams",
        "Grid",
        "GridParams",
        "MarketHistory",
        "Momentum",
        "MomentumParams",
        "RsiReversion",
        "RsiReversionParams",
        "STRATEGIES",
        "Strategy",
        "StrategyContext",
        "StrategyError",
        "StrategyParams",
        "UnknownStrategy",
        "UserStrategyError",
        "WakeMasks",
        "create_strategy",
        "strategy_classes",
    ]
    assert all(hasattr(package, name) for name in package.__all__)
