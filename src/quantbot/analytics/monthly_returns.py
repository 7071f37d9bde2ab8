"""Calendar-month returns of a daily equity curve, for the report's year x month heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.analytics.daily_equity import DailyEquity

__all__ = ["monthly_returns_pct"]


def monthly_returns_pct(daily: DailyEquity) -> pd.DataFrame:
    """Return of each UTC calendar month, percent, as a year x month table.

    A month's return is its last daily close over the previous month's last daily
    close (the starting equity for the first month), so the months compound to the
    total return. A first or last month the run covers only in part gets the return
    of the part covered.

    Args:
        daily: the anchored daily curve.

    Returns:
        A frame indexed by year with columns 1..12 (months outside the run are NaN).
    """
    days = daily.day_ms[1:].astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
    values = daily.values[1:]
    last_of_month = np.append(np.flatnonzero(np.diff(days)), len(days) - 1)
    closes = values[last_of_month]
    previous = np.concatenate(([daily.values[0]], closes[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        returns_pct = (closes / previous - 1.0) * 100.0
    months = days[last_of_month]
    table = pd.DataFrame(
        {"year": months // 12 + 1970, "month": months % 12 + 1, "return_pct": returns_pct}
    ).pivot(index="year", columns="month", values="return_pct")
    return table.reindex(columns=range(1, 13))
