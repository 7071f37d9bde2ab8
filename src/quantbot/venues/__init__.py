"""Venues: where market data comes from and orders go.

The exchange emulator and the construction of ccxt clients live here now; the
simulated venue and the ccxt live venue join them.
"""

from quantbot.venues.errors import UnknownExchange, VenueError, VenueRejected, VenueUnavailable
from quantbot.venues.exchanges import create_exchange

__all__ = ["UnknownExchange", "VenueError", "VenueRejected", "VenueUnavailable", "create_exchange"]
