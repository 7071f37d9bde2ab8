"""Naming of domain events in logs and the database.

STYLE.md: the log event of a domain event is its class name in UPPER_SNAKE
(``OrderFilled`` logs as ``ORDER_FILLED``), so one function derives it instead of
every class spelling its own name.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["event_name"]

# A word boundary is a lower-case letter or digit followed by an upper-case one
# ("OrderFilled"), or an acronym followed by a capitalised word ("TWAPStarted").
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def event_name(event: object) -> str:
    """Return the UPPER_SNAKE name of an event instance or class.

    ``event_name(OrderFilled)`` and ``event_name(an_order_filled)`` are both
    ``"ORDER_FILLED"``; ``TWAPSliceSent`` gives ``"TWAP_SLICE_SENT"``.
    """
    return _class_event_name(event if isinstance(event, type) else type(event))


@cache
def _class_event_name(cls: type) -> str:
    # Cached per class: every order event of a backtest asks, and the answer never changes.
    return _WORD_BOUNDARY.sub("_", cls.__name__).upper()
