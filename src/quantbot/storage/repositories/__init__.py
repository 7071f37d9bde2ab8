"""Thin repositories over the storage models, taking and returning plain values.

Each repository wraps a :class:`sqlalchemy.orm.Session` and joins its transaction:
the caller decides what is atomic (``with factory.begin() as session: ...``) and
commits. Reads return frozen records of what is stored, never live ORM objects.
Every repository behaves the same on SQLite and PostgreSQL.
"""

from quantbot.storage.repositories.app_state import AppStateRepository
from quantbot.storage.repositories.backtest_runs import BacktestRunRecord, BacktestRunRepository
from quantbot.storage.repositories.breaker_events import (
    BreakerEventRecord,
    BreakerEventRepository,
)
from quantbot.storage.repositories.configuration_history import (
    ConfigurationHistoryRepository,
    ConfigurationRecord,
)
from quantbot.storage.repositories.decisions import (
    DecisionAction,
    DecisionRecord,
    DecisionRepository,
)
from quantbot.storage.repositories.fills import FillRecord, FillRepository
from quantbot.storage.repositories.orders import (
    CREATED_EVENT,
    OrderRecord,
    OrderRepository,
    OrderTransitionRecord,
)
from quantbot.storage.repositories.strategy_state import WHOLE_STRATEGY, StrategyStateRepository

__all__ = [
    "CREATED_EVENT",
    "WHOLE_STRATEGY",
    "AppStateRepository",
    "BacktestRunRecord",
    "BacktestRunRepository",
    "BreakerEventRecord",
    "BreakerEventRepository",
    "ConfigurationHistoryRepository",
    "ConfigurationRecord",
    "DecisionAction",
    "DecisionRecord",
    "DecisionRepository",
    "FillRecord",
    "FillRepository",
    "OrderRecord",
    "OrderRepository",
    "OrderTransitionRecord",
    "StrategyStateRepository",
]
