"""Trade statistics: win rate, profit factor, expectancy, SQN, durations, costs, exposure, P&L parts.

Computed over CLOSED trades (``is_open`` false) of a
:attr:`~quantbot.engine.results.BacktestResult.trades` frame; a position still open at
the end has no realised outcome and is only counted in ``open_trades`` (its marked
P&L is in the equity curve and so in the return statistics). A trade wins when its
net P&L (after fees and funding) is above 0 and loses when below; a trade at exactly
0 is neither.

The exception is where the P&L came from, which covers every trade, open ones marked
to the last price, so that its parts add up to the scope's net P&L (the change of its
equity)::

    net = funding_net_quote - fees_paid_quote - slippage_paid_quote + price_pnl_quote

``funding_net_quote`` is the funding the trades' perpetual positions received (0 on
spot), ``fees_paid_quote`` and ``slippage_paid_quote`` what every fill paid, and
``price_pnl_quote`` what the prices made before slippage: the trades' P&L at their
fill prices, plus the slippage those prices include. For a delta-neutral strategy
(``funding_arb``) it is the basis P&L; for a directional one, the market's move.

Edge cases are values, never exceptions, and are chosen so that a figure never
pretends to be measured when it is not:

- no closed trade: rates, averages, expectancy, profit factor and SQN are NaN;
- profit factor = gross profit / gross loss; +inf when there are profits but no
  loss, NaN when there is neither (REQUIREMENTS.md section 13's "0 if no losses" reads
  as "all losing" in a table, so it is not used);
- expectancy ratio = ``(1 + avg_win / avg_loss) * win_rate - 1``; +inf without a loss
  (REQUIREMENTS.md's 100 sentinel is likewise replaced by the value it stands for);
- SQN = ``sqrt(n) * mean(r) / std(r, ddof=1)`` with ``r`` the trade P&L over the
  starting equity (the scale cancels out); NaN for fewer than two trades or when
  every trade made the same (REQUIREMENTS.md's -100 sentinel is not used).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantbot.analytics.iso_time import DAY_MS, HOUR_MS

__all__ = ["TradeMetrics", "exposure_from_trades", "trade_metrics"]


@dataclass(frozen=True, slots=True)
class TradeMetrics:
    """What the trades of a run (or of one strategy) did.

    Attributes:
        num_trades: closed trades.
        open_trades: trades still open at the end (not in the other figures).
        wins: closed trades with P&L > 0.
        losses: closed trades with P&L < 0.
        win_rate_pct: ``wins / num_trades`` in percent.
        gross_profit_quote: sum of the winning trades' P&L, quote currency.
        gross_loss_quote: size of the sum of the losing trades' P&L (>= 0).
        profit_factor: ``gross_profit / gross_loss`` (see the module docstring).
        avg_win_quote: mean P&L of the winning trades.
        avg_loss_quote: mean size of the losing trades' P&L (>= 0).
        expectancy_quote: mean P&L per trade, quote currency
            (= win rate x average win - loss rate x average loss).
        expectancy_pct: mean return per trade on its notional
            (``pnl / (size * entry_price)``), percent.
        expectancy_ratio: ``(1 + avg_win / avg_loss) * win_rate - 1``.
        sqn: System Quality Number (Van Tharp).
        avg_trade_duration_hours: mean time from entry to exit.
        max_consecutive_losses: longest run of losing trades in exit order.
        trades_per_day: closed trades per day of the period.
        exposure_time_pct: share of bars that closed with a position open, percent.
        fees_paid_quote: fees of every fill (open trades too) charged in quote currency.
        slippage_paid_quote: slippage cost of every fill, quote currency.
        funding_net_quote: funding received by every trade (open ones too), quote
            currency; negative when paid.
        price_pnl_quote: P&L of every trade (open ones marked) before fees, funding and
            slippage, quote currency (see the module docstring).
    """

    num_trades: int
    open_trades: int
    wins: int
    losses: int
    win_rate_pct: float
    gross_profit_quote: float
    gross_loss_quote: float
    profit_factor: float
    avg_win_quote: float
    avg_loss_quote: float
    expectancy_quote: float
    expectancy_pct: float
    expectancy_ratio: float
    sqn: float
    avg_trade_duration_hours: float
    max_consecutive_losses: int
    trades_per_day: float
    exposure_time_pct: float
    fees_paid_quote: float
    slippage_paid_quote: float
    funding_net_quote: float
    price_pnl_quote: float


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _ratio(numerator: float, denominator: float) -> float:
    # +inf for something over nothing, NaN for nothing over nothing.
    if denominator > 0.0:
        return numerator / denominator
    return math.inf if numerator > 0.0 else math.nan


def _max_run(flags: np.ndarray) -> int:
    if not flags.any():
        return 0
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def _expectancy_ratio(win_rate: float, won: np.ndarray, lost: np.ndarray) -> float:
    if not len(lost):
        return math.inf if len(won) else math.nan
    payoff = _mean(won) / _mean(lost) if len(won) else 0.0
    return (1.0 + payoff) * win_rate - 1.0


def _sqn(pnl: np.ndarray) -> float:
    # Identical values would leave a rounding residue of a deviation; it is 0.
    if len(pnl) < 2 or pnl.max() == pnl.min():
        return math.nan
    deviation = float(np.std(pnl, ddof=1))
    if deviation == 0.0:  # distinct values too close to tell apart in float64
        return math.nan
    return math.sqrt(len(pnl)) * float(np.mean(pnl)) / deviation


def exposure_from_trades(ts_ms: np.ndarray, trades: pd.DataFrame) -> np.ndarray:
    """Whether a position of ``trades`` was open at each bar's close.

    A trade holds from the close of its entry bar up to (not including) the close of
    its exit bar; an open trade holds to the end. Used for per-strategy exposure,
    which the account-level :attr:`BacktestResult.exposure` cannot split.

    Args:
        ts_ms: the run's bar open times.
        trades: a :data:`~quantbot.engine.results.TRADE_COLUMNS` frame.

    Returns:
        A boolean array, one per bar.
    """
    bars = len(ts_ms)
    if trades.empty:
        return np.zeros(bars, dtype=bool)
    entry = np.searchsorted(ts_ms, trades["entry_ts_ms"].to_numpy(np.int64), side="right") - 1
    exit_ = np.searchsorted(ts_ms, trades["exit_ts_ms"].to_numpy(np.int64), side="right") - 1
    exit_ = np.where(trades["is_open"].to_numpy(bool), bars, exit_)
    change = np.zeros(bars + 1, dtype=np.int64)
    np.add.at(change, np.clip(entry, 0, bars), 1)
    np.add.at(change, np.clip(exit_, 0, bars), -1)
    return np.cumsum(change[:-1]) > 0


def trade_metrics(
    trades: pd.DataFrame,
    fills: pd.DataFrame,
    *,
    quote_currency: str,
    period_ms: int,
    exposure_time_pct: float,
) -> TradeMetrics:
    """Compute the trade statistics of one set of trades and fills.

    Args:
        trades: :data:`~quantbot.engine.results.TRADE_COLUMNS` rows (one strategy's or all).
        fills: :data:`~quantbot.engine.results.FILL_COLUMNS` rows of the same scope.
        quote_currency: fees in other currencies are not added to ``fees_paid_quote``
            (they have no price here).
        period_ms: length of the backtest period, for trades per day.
        exposure_time_pct: share of bars with a position open, percent (computed by
            the caller: account-level exposure overall, trade intervals per strategy).
    """
    is_open = trades["is_open"].to_numpy(bool)
    closed = trades.loc[~is_open].sort_values("exit_ts_ms", kind="stable")
    pnl = closed["pnl"].to_numpy(np.float64)
    notional = closed["size"].to_numpy(np.float64) * closed["entry_price"].to_numpy(np.float64)
    held_ms = closed["exit_ts_ms"].to_numpy(np.int64) - closed["entry_ts_ms"].to_numpy(np.int64)
    won = pnl[pnl > 0.0]
    lost = -pnl[pnl < 0.0]
    count = len(pnl)
    win_rate = len(won) / count if count else math.nan
    avg_win = _mean(won)
    avg_loss = _mean(lost)
    in_quote = fills["fee_currency"].to_numpy(object) == quote_currency
    slippage = float(fills["slippage"].to_numpy(np.float64).sum())
    funding = float(trades["funding"].to_numpy(np.float64).sum())
    at_fill_prices = (
        trades["pnl"].to_numpy(np.float64).sum() + trades["fees"].to_numpy(np.float64).sum()
    ) - funding
    with np.errstate(divide="ignore", invalid="ignore"):
        trade_return = pnl / notional
    return TradeMetrics(
        num_trades=count,
        open_trades=int(is_open.sum()),
        wins=len(won),
        losses=len(lost),
        win_rate_pct=win_rate * 100.0,
        gross_profit_quote=float(won.sum()),
        gross_loss_quote=float(lost.sum()),
        profit_factor=_ratio(float(won.sum()), float(lost.sum())),
        avg_win_quote=avg_win,
        avg_loss_quote=avg_loss,
        expectancy_quote=_mean(pnl),
        expectancy_pct=_mean(trade_return) * 100.0,
        expectancy_ratio=_expectancy_ratio(win_rate, won, lost),
        sqn=_sqn(pnl),
        avg_trade_duration_hours=_mean(held_ms) / HOUR_MS,
        max_consecutive_losses=_max_run(pnl < 0.0),
        trades_per_day=count / (period_ms / DAY_MS) if period_ms > 0 else math.nan,
        exposure_time_pct=exposure_time_pct,
        fees_paid_quote=float(fills["fee"].to_numpy(np.float64)[in_quote].sum()),
        slippage_paid_quote=slippage,
        funding_net_quote=funding,
        price_pnl_quote=float(at_fill_prices) + slippage,
    )
