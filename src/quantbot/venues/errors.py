"""Errors of the venue layer, grouped by what the caller must do.

``VenueError`` is the root; ``VenueRejected`` must not be retried (funds, invalid
order, unknown market); ``VenueUnavailable`` is worth retrying with back-off (rate
limit, 5xx, timeout). ccxt's exceptions are translated into these at the venue edge.
"""

from __future__ import annotations

from quantbot.core.errors import QuantbotError

__all__ = ["UnknownExchange", "VenueError", "VenueRejected", "VenueUnavailable"]


class VenueError(QuantbotError):
    """A venue could not do what was asked."""


class VenueRejected(VenueError):
    """The venue refused the request; repeating it unchanged will fail again."""


class VenueUnavailable(VenueError):
    """The venue did not answer usefully (rate limit, server error, timeout); retry later."""


class UnknownExchange(VenueRejected):
    """No ccxt exchange has this id."""
