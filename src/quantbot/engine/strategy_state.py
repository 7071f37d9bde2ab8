"""Strategy state in the database: saved before orders go out, restored after a restart.

A strategy that remembers more than the venue knows (a grid's levels, inventory and
round trips) exposes it through :meth:`~quantbot.strategies.base.Strategy.state` and
:meth:`~quantbot.strategies.base.Strategy.restore`. The paper and live runtimes save
it with :func:`save_strategy_state` in the transaction that records an order, before
the order is sent, and build a restarted strategy with :func:`restore_strategy_state`
before its first hook.

Each strategy id keeps one document in the ``strategy_state`` table, under the symbol
:data:`~quantbot.storage.repositories.strategy_state.WHOLE_STRATEGY`. One row, written
by one statement, cannot be read half-saved: a grid's pairs share ``max_open_orders``
and must come back from the same moment.

A state is stored only when it comes back exactly as it went in. The database keeps
JSON, and the storage layer masks anything that looks like a secret on its way in
(:mod:`quantbot.storage.redaction`); a state with a NaN, a tuple, a non-string key,
a key named like a secret (``token``) or a registered secret's value would be
changed on the way, so it is refused with the reason instead of being restored wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from quantbot.core.errors import QuantbotError
from quantbot.logs.redaction import default_redactor
from quantbot.storage.repositories import StrategyStateRepository
from quantbot.strategies.base import Strategy

__all__ = ["StrategyStateError", "restore_strategy_state", "save_strategy_state"]


class StrategyStateError(QuantbotError):
    """A strategy's state cannot be stored so that it comes back exactly."""


def save_strategy_state(session: Session, strategy: Strategy, *, ts_ms: int) -> bool:
    """Store the strategy's current state, replacing the one saved before.

    The caller commits, so that the state lands with the order records of the same
    decision.

    Args:
        session: an open session on a migrated database.
        strategy: the strategy; its ``strategy_id`` is the key.
        ts_ms: when it was saved (engine clock), epoch milliseconds.

    Returns:
        Whether anything was saved (False for a strategy that keeps no state).

    Raises:
        StrategyStateError: when the state would not come back exactly (module
            docstring).
    """
    state = strategy.state()
    if state is None:
        return False
    _check_storable(strategy.strategy_id, state)
    StrategyStateRepository(session).save(strategy.strategy_id, state, ts_ms=ts_ms)
    return True


def restore_strategy_state(session: Session, strategy: Strategy) -> bool:
    """Give a freshly built strategy the state saved under its id.

    Args:
        session: an open session on a migrated database.
        strategy: the new instance, before its first hook.

    Returns:
        Whether a state was found and restored (False: nothing saved, start afresh).

    Raises:
        NotImplementedError: when the strategy keeps no state but one was saved
            under its id (another strategy's).
        QuantbotError: whatever the strategy's ``restore`` raises for a state it
            cannot take (the grid's ``GridStateError`` for another version).
    """
    state = StrategyStateRepository(session).load(strategy.strategy_id)
    if state is None:
        return False
    strategy.restore(state)
    return True


def _check_storable(strategy_id: str, state: Mapping[str, Any]) -> None:
    """Refuse a state that JSON or the storage layer's redaction would change."""
    try:
        text = json.dumps(state, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StrategyStateError(f"state of {strategy_id}: not plain JSON: {exc}") from None
    if json.loads(text) != state:
        raise StrategyStateError(
            f"state of {strategy_id}: changes through JSON (a tuple, or a key that is not "
            "a string); use lists and string keys"
        )
    if default_redactor().redact_obj(state) != state:
        raise StrategyStateError(
            f"state of {strategy_id}: holds a secret or a value shaped like one (a key "
            "named like a secret, a registered secret's value), which the database would "
            "mask; a strategy's state must hold none"
        )
