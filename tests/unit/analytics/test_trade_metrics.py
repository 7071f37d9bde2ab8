import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.analytics.trade_metrics import TradeMetrics, exposure_from_trades, trade_metrics

from .builders import DAY_MS, HOUR_MS, START_MS, bar_times, fill, fills_frame, trade, trades_frame


def metrics_of(
    trades: list[dict[str, Any]],
    fills: list[dict[str, Any]] | None = None,
    *,
    period_ms: int = 10 * DAY_MS,
) -> TradeMetrics:
    return trade_metrics(
        trades_frame(trades),
        fills_frame(fills or []),
        quote_currency="USDT",
        period_ms=period_ms,
        exposure_time_pct=12.5,
    )


def closed(*pnls: float) -> list[dict[str, Any]]:
    return [
        trade(
            pnl=pnl, entry_ts_ms=START_MS + k * DAY_MS, exit_ts_ms=START_MS + k * DAY_MS + HOUR_MS
        )
        for k, pnl in enumerate(pnls)
    ]


def test_profit_factor_is_gross_profit_over_gross_loss() -> None:
    metrics = metrics_of(closed(30.0, -10.0, 20.0, -15.0))

    assert metrics.gross_profit_quote == 50.0
    assert metrics.gross_loss_quote == 25.0
    assert metrics.profit_factor == 2.0


def test_profit_factor_without_a_losing_trade_is_unbounded() -> None:
    assert metrics_of(closed(5.0, 0.0)).profit_factor == math.inf


def test_without_trades_the_rates_are_undefined_and_the_counts_zero() -> None:
    metrics = metrics_of([])

    assert (metrics.num_trades, metrics.wins, metrics.losses, metrics.max_consecutive_losses) == (
        0,
        0,
        0,
        0,
    )
    for value in (
        metrics.win_rate_pct,
        metrics.profit_factor,
        metrics.expectancy_quote,
        metrics.expectancy_pct,
        metrics.expectancy_ratio,
        metrics.sqn,
        metrics.avg_trade_duration_hours,
    ):
        assert math.isnan(value)


def test_expectancy_is_the_mean_net_pnl_in_quote_and_on_notional() -> None:
    trades = [
        trade(pnl=10.0, size=1.0, entry_price=100.0),
        trade(pnl=-4.0, size=2.0, entry_price=50.0),
    ]

    metrics = metrics_of(trades)

    assert metrics.expectancy_quote == 3.0
    assert metrics.expectancy_pct == pytest.approx((10.0 / 100.0 - 4.0 / 100.0) / 2 * 100.0)
    assert metrics.win_rate_pct == 50.0
    assert (metrics.avg_win_quote, metrics.avg_loss_quote) == (10.0, 4.0)
    assert metrics.expectancy_ratio == pytest.approx((1.0 + 10.0 / 4.0) * 0.5 - 1.0)


@given(st.lists(st.integers(-1_000, 1_000).map(float), min_size=1, max_size=50))
def test_expectancy_equals_win_rate_times_avg_win_minus_loss_rate_times_avg_loss(
    pnls: list[float],
) -> None:
    metrics = metrics_of(closed(*pnls))

    wins = metrics.win_rate_pct / 100.0 * (metrics.avg_win_quote if metrics.wins else 0.0)
    losses = (
        metrics.losses / metrics.num_trades * (metrics.avg_loss_quote if metrics.losses else 0.0)
    )
    assert metrics.expectancy_quote == pytest.approx(wins - losses, abs=1e-9)


def test_sqn_is_root_n_times_mean_over_sample_deviation() -> None:
    pnls = [10.0, -5.0, 20.0, 5.0]
    expected = math.sqrt(4) * np.mean(pnls) / np.std(pnls, ddof=1)

    assert metrics_of(closed(*pnls)).sqn == pytest.approx(expected)


@pytest.mark.parametrize("pnls", [[7.0], [3.0, 3.0, 3.0]])
def test_sqn_is_undefined_for_one_trade_or_identical_trades(pnls: list[float]) -> None:
    assert math.isnan(metrics_of(closed(*pnls)).sqn)


def test_consecutive_losses_are_counted_in_exit_order() -> None:
    trades = closed(-1.0, 2.0, -3.0, -4.0, 5.0)
    trades[1]["exit_ts_ms"] = START_MS + 9 * DAY_MS  # the win closes last

    assert metrics_of(trades).max_consecutive_losses == 3


def test_breakeven_trades_are_neither_wins_nor_losses_and_break_no_losing_streak() -> None:
    metrics = metrics_of(closed(-1.0, 0.0, -1.0))

    assert (metrics.wins, metrics.losses) == (0, 2)
    assert metrics.max_consecutive_losses == 1


def test_open_trades_are_counted_apart_and_left_out_of_every_figure() -> None:
    trades = [*closed(10.0), trade(pnl=-500.0, is_open=True)]

    metrics = metrics_of(trades)

    assert (metrics.num_trades, metrics.open_trades) == (1, 1)
    assert metrics.expectancy_quote == 10.0
    assert metrics.losses == 0


def test_durations_and_trades_per_day() -> None:
    trades = [
        trade(entry_ts_ms=START_MS, exit_ts_ms=START_MS + 2 * HOUR_MS),
        trade(entry_ts_ms=START_MS, exit_ts_ms=START_MS + 4 * HOUR_MS),
    ]

    metrics = metrics_of(trades, period_ms=4 * DAY_MS)

    assert metrics.avg_trade_duration_hours == 3.0
    assert metrics.trades_per_day == 0.5
    assert metrics.exposure_time_pct == 12.5


def test_fees_count_quote_currency_fees_and_slippage_every_fill() -> None:
    fills = [
        fill(fee=0.4, slippage=0.25),
        fill(fee=0.6, slippage=0.5),
        fill(fee=0.01, fee_currency="BNB", slippage=0.0),
    ]

    metrics = metrics_of([], fills)

    assert metrics.fees_paid_quote == 1.0
    assert metrics.slippage_paid_quote == 0.75


def test_exposure_from_trades_covers_entry_bar_up_to_the_exit_bar() -> None:
    ts_ms = bar_times(8, bar_ms=HOUR_MS)
    trades = trades_frame(
        [
            trade(entry_ts_ms=ts_ms[1], exit_ts_ms=ts_ms[3]),
            trade(entry_ts_ms=ts_ms[2], exit_ts_ms=ts_ms[4]),  # overlaps the first
            trade(entry_ts_ms=ts_ms[6], exit_ts_ms=ts_ms[7], is_open=True),
        ]
    )

    held = exposure_from_trades(ts_ms, trades)

    assert held.tolist() == [False, True, True, True, False, False, True, True]


def test_exposure_from_no_trades_is_never_exposed() -> None:
    assert not exposure_from_trades(bar_times(3), trades_frame([])).any()


def test_pnl_parts_are_funding_fees_slippage_and_the_prices_before_slippage() -> None:
    # A short perpetual from 100 to 98 on 1 BTC (+2 at its fill prices), 0.3 of funding
    # received, 0.2 of fees; a spot long still open, marked 5 up on 0.5 (+2.5), 0.1 fee.
    trades = [
        trade(
            symbol="BTC/USDT:USDT",
            side="short",
            size=1.0,
            entry_price=100.0,
            exit_price=98.0,
            fees=0.2,
            funding=0.3,
            pnl=2.0 - 0.2 + 0.3,
        ),
        trade(size=0.5, entry_price=100.0, exit_price=105.0, fees=0.1, pnl=2.4, is_open=True),
    ]
    fills = [
        fill(symbol="BTC/USDT:USDT", side="sell", fee=0.1, slippage=0.05),
        fill(symbol="BTC/USDT:USDT", side="buy", fee=0.1, slippage=0.04),
        fill(fee=0.1, slippage=0.03),
    ]

    metrics = metrics_of(trades, fills)

    assert metrics.funding_net_quote == pytest.approx(0.3)
    assert metrics.fees_paid_quote == pytest.approx(0.3)
    assert metrics.slippage_paid_quote == pytest.approx(0.12)
    # What the prices made at the fills, plus what slippage took from them.
    assert metrics.price_pnl_quote == pytest.approx(2.0 + 2.5 + 0.12)


@given(
    st.lists(
        st.tuples(
            st.floats(-1e4, 1e4),  # P&L at fill prices
            st.floats(0.0, 50.0),  # fees
            st.floats(-50.0, 50.0),  # funding
            st.floats(0.0, 5.0),  # slippage
            st.booleans(),  # still open
        ),
        max_size=20,
    )
)
def test_pnl_parts_add_up_to_the_net_pnl_of_every_trade_open_or_closed(
    parts: list[tuple[float, float, float, float, bool]],
) -> None:
    trades = [
        trade(pnl=gross - fees + funding, fees=fees, funding=funding, is_open=is_open)
        for gross, fees, funding, _, is_open in parts
    ]
    fills = [fill(fee=fees, slippage=slippage) for _, fees, _, slippage, _ in parts]

    metrics = metrics_of(trades, fills)

    net = sum(row["pnl"] for row in trades)
    parts_sum = (
        metrics.funding_net_quote
        - metrics.fees_paid_quote
        - metrics.slippage_paid_quote
        + metrics.price_pnl_quote
    )
    assert parts_sum == pytest.approx(net, rel=1e-12, abs=1e-9)
    assert metrics.price_pnl_quote == pytest.approx(
        sum(gross for gross, *_ in parts) + metrics.slippage_paid_quote, rel=1e-12, abs=1e-9
    )
