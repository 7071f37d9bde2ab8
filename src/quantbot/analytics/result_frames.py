"""The fills and trades frames of a result, checked once against the engine's column contract.

Analytics index these frames by column name everywhere; a frame missing a column
would fail deep inside a metric with a bare ``KeyError``. An empty frame without
columns (no fill at all) is given the columns, so that empty runs flow through the
same code.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from quantbot.analytics.errors import AnalyticsError
from quantbot.engine.results import FILL_COLUMNS, TRADE_COLUMNS, BacktestResult

__all__ = ["fills_frame", "trades_frame"]


def _checked(frame: pd.DataFrame, columns: Sequence[str], what: str, run_id: str) -> pd.DataFrame:
    missing = [column for column in columns if column not in frame.columns]
    if not missing:
        return frame
    if frame.empty:
        return frame.reindex(columns=list(columns))
    raise AnalyticsError(f"backtest {run_id}: {what} frame lacks columns {', '.join(missing)}")


def fills_frame(result: BacktestResult) -> pd.DataFrame:
    """Return ``result.fills`` with every :data:`FILL_COLUMNS` column.

    Raises:
        AnalyticsError: if a non-empty frame lacks a column.
    """
    return _checked(result.fills, FILL_COLUMNS, "fills", result.run_id)


def trades_frame(result: BacktestResult) -> pd.DataFrame:
    """Return ``result.trades`` with every :data:`TRADE_COLUMNS` column.

    Raises:
        AnalyticsError: if a non-empty frame lacks a column.
    """
    return _checked(result.trades, TRADE_COLUMNS, "trades", result.run_id)
