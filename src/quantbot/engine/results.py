"""What a backtest produces: the timeline, equity curves, fills and trades of a run.

The engine builds a :class:`BacktestResult`; analytics turn it into metrics, reports
and files. Times are bar open times in epoch ms (UTC) on the run's base timeframe; the
equity at index ``i`` is the value at the CLOSE of bar ``i``. Money is in the run's
quote currency. For perpetuals, equity marks positions at the mark price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FILL_COLUMNS",
    "FUNDING_COLUMNS",
    "LIQUIDATION_COLUMNS",
    "RISK_EVENT_COLUMNS",
    "TRADE_COLUMNS",
    "BacktestResult",
    "risk_events_frame",
]

FILL_COLUMNS = (
    "ts_ms",
    "strategy",
    "symbol",
    "side",
    "price",
    "qty",
    "fee",
    "fee_currency",
    "liquidity",
    "slippage",
    "client_order_id",
    "trade_id",
    "liquidation",
)
"""Columns of :attr:`BacktestResult.fills`, one row per execution, in time order.

``side`` is ``buy``/``sell``; ``liquidity`` ``maker``/``taker``; ``fee`` is in
``fee_currency``; ``slippage`` is the cost of slippage in quote currency (always >= 0:
what the fill paid beyond the undisturbed price); ``liquidation`` is true for the
venue's closing of a liquidated perpetual position (a taker execution at the
liquidation price, its ``fee`` the clearance fee)."""

TRADE_COLUMNS = (
    "strategy",
    "symbol",
    "side",
    "size",
    "entry_ts_ms",
    "entry_price",
    "exit_ts_ms",
    "exit_price",
    "fees",
    "pnl",
    "is_open",
    "funding",
)
"""Columns of :attr:`BacktestResult.trades`, one row per position from flat to flat.

``side`` is ``long``/``short``; ``size`` the largest absolute position held;
``entry_price``/``exit_price`` quantity-weighted averages of the fills that opened
and closed it; ``fees`` all fees of its fills in quote currency; ``funding`` the
funding the position received (negative: paid) while the trade was open, perpetuals
only; ``pnl`` the realised P&L net of fees and funding. A trade still open at the end
has ``is_open`` true, its exit at the last close (the last mark for perpetuals) and its
P&L marked to that price."""

FUNDING_COLUMNS = (
    "ts_ms",
    "strategy",
    "symbol",
    "rate",
    "mark_price",
    "position_qty",
    "amount",
)
"""Columns of :attr:`BacktestResult.funding`, one row per settlement and strategy holding
a position in the perpetual then.

``ts_ms`` is the settlement time; ``rate`` the funding rate (a fraction, positive: longs
pay); ``mark_price`` the mark at settlement; ``position_qty`` the strategy's signed
position in contracts; ``amount`` what it received in quote currency, negative when it
paid: ``-position_qty * contract_size * mark_price * rate``."""

LIQUIDATION_COLUMNS = ("ts_ms", "symbol", "side", "qty", "price", "fee", "bankrupt")
"""Columns of :attr:`BacktestResult.liquidations`, one row per account position the
venue liquidated.

``ts_ms`` is the open time of the bar it happened in; ``side`` the position's
(``long``/``short``); ``qty`` its size in contracts; ``price`` the execution price;
``fee`` the clearance fee; ``bankrupt`` whether the mark gapped past the bankruptcy
price (the position then closed at it)."""

RISK_EVENT_COLUMNS = (
    "ts_ms",
    "kind",
    "value",
    "limit",
    "level",
    "subject",
    "action",
    "reason",
    "positions_closed",
)
"""Columns of :attr:`BacktestResult.risk_events`, one row per change of a breaker or brake.

``ts_ms`` (int64) is the observation that changed it: the close of the bar it was
observed at (a bar's open time plus one period; the run's first open for the
observation before the first bar), so an event with ``ts_ms == ts_ms[i] + period``
goes with the equity at index ``i``; ``kind`` a :class:`~quantbot.risk.RiskEventKind`
value (``DAILY_CIRCUIT_BREAK``, ``RESUMED``, ``DRAWDOWN_BRAKE``, ``PRICE_SHOCK``...);
``value`` and ``limit`` (float, NaN when none) the measured number and the bound it
reached (P&L and drawdown in percent with their sign, ``-0.53`` against ``-0.5``; a
price move in percent); ``level`` (nullable ``Int64``) the drawdown brake level after a
``DRAWDOWN_BRAKE`` event; ``subject`` the symbol of a price shock or the status a
``RESUMED`` ended, else empty; ``action`` the JSON text of
:meth:`quantbot.risk.RiskAction.to_dict` (``{}`` when it asks for nothing); ``reason``
one line naming the rule and the values; ``positions_closed`` the JSON text of a list of
``{"strategy", "symbol", "qty"}``, the positions the engine sent market orders to close
for the event (``qty`` signed: the position as it was, positive long, in order units),
``[]`` when none."""

_RISK_EVENT_DTYPES = {
    "ts_ms": "int64",
    "kind": "object",
    "value": "float64",
    "limit": "float64",
    "level": "Int64",
    "subject": "object",
    "action": "object",
    "reason": "object",
    "positions_closed": "object",
}


def risk_events_frame(rows: list[tuple[Any, ...]] | None = None) -> pd.DataFrame:
    """The :data:`RISK_EVENT_COLUMNS` frame of ``rows`` (empty, with its dtypes, for none)."""
    frame = pd.DataFrame(rows or [], columns=list(RISK_EVENT_COLUMNS))
    return frame.astype(_RISK_EVENT_DTYPES)


@dataclass(frozen=True)
class BacktestResult:
    """One backtest run.

    Attributes:
        run_id: identifier of the run (also the database key of its configuration).
        timeframe: the base timeframe of :attr:`ts_ms`.
        ts_ms: open time of every bar of the run, int64, strictly increasing.
        equity: account equity at each bar's close, float64, same length.
        strategy_equity: per strategy id, its capital plus its P&L at each bar's close.
        exposure: gross value of open positions / equity at each bar's close (0..n).
        closes: per symbol, the close of each bar (for benchmarks), same length.
        fills: :data:`FILL_COLUMNS`.
        trades: :data:`TRADE_COLUMNS`.
        initial_capital: equity before the first bar.
        quote_currency: currency of every amount.
        rejections: orders the pre-trade chain or the venue refused, with reasons.
        funding: :data:`FUNDING_COLUMNS`, every funding payment (perpetuals).
        liquidations: :data:`LIQUIDATION_COLUMNS`, every liquidation (perpetuals).
        risk_events: :data:`RISK_EVENT_COLUMNS`, every change of the risk manager's
            breakers and brakes (empty when the run had no risk manager or nothing
            happened).
        bars_processed: bars the event loop covered (the whole timeline).
        events_processed: bars on which anything happened (the loop skips the rest).
        elapsed_s: wall time of the simulation proper (no data loading, no reports).
        config: the run's settings as JSON-ready data (stored with the run).
        records: per strategy id, the tables its
            :meth:`~quantbot.strategies.base.Strategy.records` returned at the end
            (a grid's round trips, momentum's trades and decisions).
    """

    run_id: str
    timeframe: str
    ts_ms: np.ndarray
    equity: np.ndarray
    strategy_equity: dict[str, np.ndarray]
    exposure: np.ndarray
    closes: dict[str, np.ndarray]
    fills: pd.DataFrame
    trades: pd.DataFrame
    initial_capital: float
    quote_currency: str
    rejections: pd.DataFrame = field(default_factory=pd.DataFrame)
    funding: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FUNDING_COLUMNS))
    )
    liquidations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(LIQUIDATION_COLUMNS))
    )
    risk_events: pd.DataFrame = field(default_factory=risk_events_frame)
    bars_processed: int = 0
    events_processed: int = 0
    elapsed_s: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    @property
    def final_equity(self) -> float:
        """Equity at the close of the last bar."""
        return float(self.equity[-1]) if len(self.equity) else self.initial_capital

    @property
    def bars_per_second(self) -> float:
        """Simulation speed over the whole timeline (skipped bars count: they were covered)."""
        return self.bars_processed / self.elapsed_s if self.elapsed_s > 0 else float("inf")
