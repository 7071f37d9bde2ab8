"""The simulated venue: fills orders against candles with a stated fill model, margins perpetuals."""

from quantbot.venues.simulated.depth import BookDepth, BookTake
from quantbot.venues.simulated.fill_model import FillModel
from quantbot.venues.simulated.margin import (
    Liquidation,
    MarginAccount,
    MarginMode,
    MarginModel,
    bankruptcy_price,
    liquidation_price,
)
from quantbot.venues.simulated.venue import SimulatedVenue, VenueCancel, VenueFill

__all__ = [
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
