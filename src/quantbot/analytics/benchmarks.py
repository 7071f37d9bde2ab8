"""Buy-and-hold benchmarks on the same bars and capital as a backtest.

For each symbol of :attr:`BacktestResult.closes` (the run's markets), and for an
equal-weight basket of them when there are two or more (50/50 for BTC and ETH), the
benchmark invests the run's starting capital at the CLOSE of the first bar and holds
to the end:

- the first close, because it is the first price known when the strategies first
  decide (their orders fill from the next bar on, so neither side can act earlier),
  and the only price :attr:`BacktestResult.closes` carries;
- frictionless: no fee, spread or slippage on the single purchase, and never sold;
- the basket splits the capital equally at the start and is never rebalanced, i.e.
  the mean of the members' growth;
- a symbol whose closes start later (listed during the run) holds cash until its
  first close; a missing close in between repeats the previous one.

Their return statistics are computed exactly as the strategy's
(:func:`quantbot.analytics.metrics.curve_metrics`), so the report and summary compare
like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantbot.analytics.json_ready import json_ready
from quantbot.analytics.metrics import curve_metrics
from quantbot.analytics.return_metrics import ReturnMetrics
from quantbot.data import symbol_to_slug
from quantbot.engine.results import BacktestResult

__all__ = ["BASKET_KEY", "Benchmark", "buy_and_hold_growth", "compute_benchmarks"]

BASKET_KEY = "equal_weight"
"""Key of the equal-weight basket benchmark."""


@dataclass(frozen=True)
class Benchmark:
    """One buy-and-hold benchmark.

    Attributes:
        key: machine name, also its column in ``equity.csv``: ``buy_hold_<slug>``
            (``buy_hold_BTC-USDT``) or :data:`BASKET_KEY`.
        label: human name for reports.
        symbols: the markets it holds.
        equity: its value at each bar's close, quote currency.
        metrics: its return statistics.
    """

    key: str
    label: str
    symbols: tuple[str, ...]
    equity: np.ndarray
    metrics: ReturnMetrics

    def to_dict(self) -> dict[str, Any]:
        """Return label, symbols and metrics as a JSON-ready dict (no curve)."""
        return {"label": self.label, "symbols": list(self.symbols)} | json_ready(self.metrics)


def buy_and_hold_growth(closes: np.ndarray) -> np.ndarray | None:
    """Value of 1 unit of quote invested at the first close, at each bar's close.

    Returns:
        The growth factor per bar (1.0 until the first known close), or ``None`` when
        there is no close at all.
    """
    filled = pd.Series(np.asarray(closes, dtype=np.float64)).ffill().to_numpy()
    known = np.flatnonzero(np.isfinite(filled))
    if len(known) == 0:
        return None
    first = int(known[0])
    growth: np.ndarray = filled / filled[first]
    growth[:first] = 1.0
    return growth


def compute_benchmarks(
    result: BacktestResult, *, risk_free_rate_pct: float = 0.0
) -> tuple[Benchmark, ...]:
    """Build the buy-and-hold benchmarks of a run (see the module docstring).

    Args:
        result: the run; its :attr:`~BacktestResult.closes` name the markets.
        risk_free_rate_pct: annual risk-free rate, percent (Sharpe, Sortino).

    Returns:
        One benchmark per symbol with closes, then the basket when there are two or
        more; empty when the result carries no closes.
    """
    capital = result.initial_capital
    growths = {
        symbol: growth
        for symbol, closes in result.closes.items()
        if (growth := buy_and_hold_growth(closes)) is not None
    }
    curves: list[tuple[str, str, tuple[str, ...], np.ndarray]] = [
        (f"buy_hold_{symbol_to_slug(symbol)}", f"Buy & hold {symbol}", (symbol,), growth)
        for symbol, growth in growths.items()
    ]
    if len(growths) >= 2:
        members = tuple(growths)
        basket = np.mean(np.vstack(list(growths.values())), axis=0)
        curves.append((BASKET_KEY, f"Equal weight {' + '.join(members)}", members, basket))
    return tuple(
        Benchmark(
            key=key,
            label=label,
            symbols=symbols,
            equity=capital * growth,
            metrics=curve_metrics(
                result,
                capital * growth,
                initial_value=capital,
                risk_free_rate_pct=risk_free_rate_pct,
            ),
        )
        for key, label, symbols, growth in curves
    )
