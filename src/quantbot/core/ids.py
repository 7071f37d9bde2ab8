"""Typed identifiers and the deterministic client order id.

The ids are :func:`~typing.NewType` wrappers over ``str``: free at run time, but mypy
keeps a venue's order id from being passed where our client order id is expected.

Client order ids are derived from the strategy id and the strategy's decision sequence
rather than drawn at random: after a crash the same decision maps to the same id, so
the restarted bot recognises an order it had already sent instead of sending it twice.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import NewType

from quantbot.core.errors import InvalidValue

__all__ = [
    "MAX_CLIENT_ORDER_ID_LENGTH",
    "RISK_CLOSE_PREFIX",
    "ClientOrderId",
    "StrategyId",
    "TradeId",
    "VenueOrderId",
    "is_risk_close",
    "make_client_order_id",
]

ClientOrderId = NewType("ClientOrderId", str)
"""Our id for an order, sent to the venue (Binance ``newClientOrderId``)."""

VenueOrderId = NewType("VenueOrderId", str)
"""The venue's id for an order, known once the venue acknowledges it (or fills it)."""

TradeId = NewType("TradeId", str)
"""The venue's id for one execution; two fill messages with one trade id are one fill."""

StrategyId = NewType("StrategyId", str)
"""The id of one running strategy instance, e.g. ``grid_btc``."""

MAX_CLIENT_ORDER_ID_LENGTH = 36
"""Binance's limit for ``newClientOrderId``, the tightest among the venues we target."""

RISK_CLOSE_PREFIX = "risk-close-"
"""Start of the client order id of an order the risk manager sends to close a strategy's
position (a circuit breaker): ``risk-close-<sequence>``. No strategy's id can start so,
since :func:`make_client_order_id` never puts ``-`` inside its prefix."""

_MAX_SEQUENCE = 2**63 - 1
"""Sequences are stored as a signed 64-bit integer (SQL ``BIGINT``)."""

_DIGEST_CHARS = 8
_MAX_PREFIX_CHARS = 16
_NOT_IN_PREFIX = re.compile(r"[^A-Za-z0-9_]")


def make_client_order_id(strategy_id: StrategyId, sequence: int) -> ClientOrderId:
    """Derive the client order id of a strategy's ``sequence``-th decision.

    The id reads ``<prefix>-<digest>-<sequence>``: ``prefix`` is the start of the
    strategy id with every character outside ``[A-Za-z0-9_]`` replaced by ``_`` (so a
    human recognises the order on the venue's web page), ``digest`` is the first 8 hex
    characters of the SHA-256 of the full strategy id (so two strategies whose ids share
    a long prefix, or differ only in replaced characters, still get different ids), and
    ``sequence`` is decimal. The prefix keeps up to 16 characters and shrinks only when a
    huge sequence needs the room. The result uses only ``[A-Za-z0-9_-]``, is at most
    :data:`MAX_CLIENT_ORDER_ID_LENGTH` characters long, and since ``-`` never occurs in
    the prefix it splits back unambiguously with ``rsplit("-", 2)``.

    Args:
        strategy_id: The strategy placing the order; must not be empty.
        sequence: The strategy's decision counter, ``0 <= sequence < 2**63``. The engine
            persists it, so it never repeats across restarts.

    Returns:
        The same id for the same arguments, on every machine and in every run.

    Raises:
        InvalidValue: if the strategy id is empty or the sequence out of range.
    """
    if not strategy_id:
        raise InvalidValue("strategy_id must not be empty")
    if not 0 <= sequence <= _MAX_SEQUENCE:
        raise InvalidValue(f"sequence {sequence} out of range: must be in [0, 2**63 - 1]")
    suffix = f"-{_digest(strategy_id)}-{sequence}"
    room = min(_MAX_PREFIX_CHARS, MAX_CLIENT_ORDER_ID_LENGTH - len(suffix))
    prefix = _NOT_IN_PREFIX.sub("_", strategy_id[:room])
    return ClientOrderId(prefix + suffix)


@lru_cache(maxsize=1024)
def _digest(strategy_id: str) -> str:
    # A strategy places thousands of orders; its digest is computed once.
    return hashlib.sha256(strategy_id.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]


def is_risk_close(client_order_id: str) -> bool:
    """Whether an order was sent by the risk manager to close a position, not by a strategy.

    A strategy reads its fills' ids with it to tell a circuit breaker's close from its
    own exits (momentum records the reason ``circuit_breaker``).
    """
    return client_order_id.startswith(RISK_CLOSE_PREFIX)
