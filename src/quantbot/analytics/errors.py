"""Errors of the analytics layer: a result that cannot be analysed; print it, exit 1."""

from __future__ import annotations

from quantbot.core.errors import QuantbotError

__all__ = ["AnalyticsError", "EmptyBacktest"]


class AnalyticsError(QuantbotError):
    """A backtest result that metrics, benchmarks or reports cannot be built from."""


class EmptyBacktest(AnalyticsError):
    """A result without a single bar: there is no period to measure or report."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"backtest {run_id}: no bars in the result, nothing to analyse")
