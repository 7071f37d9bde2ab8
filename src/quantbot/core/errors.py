"""The root of quantbot's exception tree.

Every error quantbot raises on purpose derives from :class:`QuantbotError`, grouped
by what the caller must do about it. Each layer adds its own subclasses in its own
``errors.py``::

    QuantbotError
    +-- InvalidTransition   core: a bug, crash
    +-- AccountingError     core: a booking that breaks an invariant; a bug, crash
    +-- InvalidValue        core: a domain value built against its rules (also a ValueError)
    +-- MissingPrice        core: a valuation lacks a price it needs (also a LookupError)
    +-- ConfigError         config: print, exit 1
    +-- DataError           data: report, never fill silently
    +-- IndicatorError      indicators: a bad argument, a bug in the caller
    +-- StorageError        storage: e.g. DatabaseNotMigrated
    +-- StrategyError       strategies: halt that strategy only
    `-- VenueError          venues
        +-- VenueRejected     do not retry (funds, invalid order)
        `-- VenueUnavailable  retry with back-off (429, 5xx, timeout)

Risk denials are values (``RiskDecision``), never exceptions.
"""

from __future__ import annotations

__all__ = [
    "AccountingError",
    "InvalidTransition",
    "InvalidValue",
    "MissingPrice",
    "QuantbotError",
]


class QuantbotError(Exception):
    """Base class of every error quantbot raises deliberately."""


class InvalidTransition(QuantbotError):
    """An order was asked to move to a state its state machine forbids.

    This is a bug (ours or the venue adapter's), never a market condition: the caller
    should crash loudly rather than guess the order's true state.
    """

    def __init__(self, order_id: str, from_state: str, to_state: str, event: str = "") -> None:
        self.order_id = order_id
        self.from_state = from_state
        self.to_state = to_state
        self.event = event
        via = f" on {event}" if event else ""
        super().__init__(f"order {order_id}: illegal transition {from_state} -> {to_state}{via}")


class AccountingError(QuantbotError):
    """A fill or payment that cannot be booked without breaking an accounting invariant.

    Examples: a fill larger than the order's remaining quantity, a fill for another
    instrument than the position's. Like :class:`InvalidTransition`, a bug to crash on.
    """


class InvalidValue(QuantbotError, ValueError):
    """A domain value was built from arguments that break its rules.

    Examples: a fill with zero quantity, a limit order without a price, a malformed
    symbol. It is also a :class:`ValueError`, so pydantic validators that build domain
    values report it as an ordinary validation error with its message.
    """


class MissingPrice(QuantbotError, LookupError):
    """A valuation needs the price of an asset or the mark of a symbol it was not given.

    Valuing a held asset at zero would silently understate equity (and so every risk
    limit computed from it), so the caller must supply every price or handle this.
    """
