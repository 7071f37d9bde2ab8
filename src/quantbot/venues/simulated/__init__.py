"""The simulated venue: fills orders against candles with a stated fill model."""

from quantbot.venues.simulated.fill_model import FillModel
from quantbot.venues.simulated.venue import SimulatedVenue, VenueCancel, VenueFill

__all__ = ["FillModel", "SimulatedVenue", "VenueCancel", "VenueFill"]
