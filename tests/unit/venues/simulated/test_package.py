"""The public names of ``quantbot.venues.simulated`` (STYLE.md: a test pins ``__all__``)."""

from __future__ import annotations

import quantbot.venues.simulated as package


def test_public_names_are_pinned_and_importable() -> None:
    assert sorted(package.__all__) == [
        "BookDepth",
        "BookTake",
        "FillModel",
        "Liquidation",
        "MarginAccount",
        "MarginMode",
        "MarginModel",
        "SimulatedVenue",
        "VenueCancel",
        "VenueFill",
        "bankruptcy_price",
        "liquidation_price",
    ]
    assert all(hasattr(package, name) for name in package.__all__)
