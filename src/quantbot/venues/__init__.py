"""Venues: where market data comes from and orders go.

The exchange emulator and the construction of ccxt clients live here now; the
simulated venue and the ccxt live venue join them.
"""

from typing import TYPE_CHECKING

from quantbot.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from quantbot.venues.errors import UnknownExchange, VenueError, VenueRejected, VenueUnavailable
    from quantbot.venues.exchanges import create_exchange

__all__ = [
    "UnknownExchange",
    "VenueError",
    "VenueRejected",
    "VenueUnavailable",
    "create_exchange",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "UnknownExchange": "quantbot.venues.errors",
        "VenueError": "quantbot.venues.errors",
        "VenueRejected": "quantbot.venues.errors",
        "VenueUnavailable": "quantbot.venues.errors",
        "create_exchange": "quantbot.venues.exchanges",
    },
)
