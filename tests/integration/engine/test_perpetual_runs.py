"""Whole runs on perpetuals: funding, equity at the mark, liquidations, fast path, no lookahead.

Markets are synthetic perpetuals whose traded prices and marks differ (the spot path
is traded, the generator's mark candles are the marks) with the generator's 8-hourly
funding. Every property is rebuilt independently from the fills, the funding rates
and the candles. Tolerances as in test_backtest_accounting.py: money to 1e-7 USDT
absolute plus 1e-12 relative (1e-9 relative where thousands of terms are summed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtest_runs import (
    BTC,
    BTC_PERP,
    CAPITAL,
    ETH_PERP,
    StrategyMaker,
    assert_same_run,
    ema_cross,
    fill_models,
    ladder,
    margin_models,
    mixed,
    perp_market,
    run,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestData
from quantbot.engine.results import BacktestResult
from quantbot.venues.simulated import FillModel, MarginModel
from unit.engine.strategies_for_tests import Recorded

MONEY_ATOL = 1e-7
REL = 1e-12
MINUTES = 1440
PERIOD_MS = 60_000

CASES: dict[str, tuple[tuple[str, ...], list[StrategyMaker]]] = {
    "mixed": ((BTC_PERP,), [mixed((BTC_PERP,), seed=1, every=5)]),
    "ema_cross": ((BTC_PERP,), [ema_cross(symbol=BTC_PERP)]),
    "two_in_one_symbol": (
        (BTC_PERP,),
        [mixed((BTC_PERP,), "a", seed=2, every=7), mixed((BTC_PERP,), "b", seed=3, every=4)],
    ),
    "two_perpetuals": (
        (BTC_PERP, ETH_PERP),
        [mixed((BTC_PERP, ETH_PERP), seed=4, every=6), ladder(ETH_PERP, qty=0.3)],
    ),
    "spot_and_perpetual": ((BTC, BTC_PERP), [mixed((BTC, BTC_PERP), seed=5, every=5)]),
}
capitals = st.sampled_from([100.0, 3_000.0, CAPITAL])
"""From an account a 1 % move can wipe out at 100x to one that never runs out of margin."""


def _run_case(
    case: str,
    seed: int,
    model: FillModel,
    margin: MarginModel,
    capital: float,
    *,
    skip: bool = True,
) -> tuple[BacktestData, BacktestResult, list[Recorded]]:
    symbols, makers = CASES[case]
    data = perp_market(seed, MINUTES, symbols)
    recorded = [Recorded(make()) for make in makers]
    result = run(data, recorded, model=model, margin=margin, capital=capital, skip=skip)
    return data, result, recorded


def _bars(data: BacktestData, ts_ms: np.ndarray) -> np.ndarray:
    bars = np.searchsorted(data.ts_ms, ts_ms)
    assert (data.ts_ms[bars] == ts_ms).all()
    return bars


def _signed(fills: pd.DataFrame) -> np.ndarray:
    return np.where(fills["side"] == "buy", 1.0, -1.0) * fills["qty"].to_numpy()


run_args = (
    st.integers(0, 30),
    st.sampled_from(sorted(CASES)),
    fill_models,
    margin_models,
    capitals,
)


@settings(max_examples=10)
@given(*run_args)
def test_funding_is_paid_on_open_positions_at_settlement_times_as_rates_marks_and_sizes_imply(
    seed: int, case: str, model: FillModel, margin: MarginModel, capital: float
) -> None:
    data, result, _ = _run_case(case, seed, model, margin, capital)
    fills, paid = result.fills, result.funding
    expected = []
    for symbol, rates in data.funding.items():
        marks = data.mark_arrays(symbol).close
        times = rates["ts_ms"].to_numpy()
        inside = (times > data.ts_ms[0]) & (times <= data.ts_ms[-1] + PERIOD_MS)
        for ts_ms, rate in zip(
            times[inside], rates["funding_rate"].to_numpy()[inside], strict=True
        ):
            bar = int(np.searchsorted(data.ts_ms + PERIOD_MS, ts_ms))
            for strategy in sorted(set(fills["strategy"])):
                # The position held at the settlement: every fill of the bars before it.
                mine = fills[
                    (fills["strategy"] == strategy)
                    & (fills["symbol"] == symbol)
                    & (fills["ts_ms"] < ts_ms)
                ]
                qty = float(_signed(mine).sum())
                if abs(qty) > 1e-9:
                    expected.append((ts_ms, strategy, symbol, qty, -qty * marks[bar] * rate))

    got = paid.sort_values(["ts_ms", "symbol", "strategy"], kind="stable")
    want = sorted(expected, key=lambda row: (row[0], row[2], row[1]))
    assert [(r.ts_ms, r.strategy, r.symbol) for r in got.itertuples()] == [w[:3] for w in want]
    assert got["position_qty"].to_numpy() == pytest.approx([w[3] for w in want], rel=1e-9, abs=1e-9)
    assert got["amount"].to_numpy() == pytest.approx([w[4] for w in want], rel=1e-9, abs=1e-12)
    assert set(paid["ts_ms"]) <= {int(t) for f in data.funding.values() for t in f["ts_ms"]}


@settings(max_examples=10)
@given(*run_args)
def test_equity_at_every_bar_is_the_wallet_plus_unrealised_pnl_at_the_mark(
    seed: int, case: str, model: FillModel, margin: MarginModel, capital: float
) -> None:
    data, result, _ = _run_case(case, seed, model, margin, capital)
    fills = result.fills
    n = len(data.ts_ms)
    bars = _bars(data, fills["ts_ms"].to_numpy())
    signed = _signed(fills)

    # Spot: cash pays the notional; perpetuals: only fees, realised PnL and funding move
    # the wallet, so equity = wallet + size x (mark - entry) = capital + flows + size x mark.
    flows = np.zeros(n)
    np.add.at(flows, bars, -signed * fills["price"].to_numpy() - fills["fee"].to_numpy())
    funding_bars = np.searchsorted(data.ts_ms + PERIOD_MS, result.funding["ts_ms"].to_numpy())
    np.add.at(flows, funding_bars, result.funding["amount"].to_numpy())
    equity = capital + np.cumsum(flows)
    for symbol in data.arrays:
        mine = (fills["symbol"] == symbol).to_numpy()
        held = np.zeros(n)
        np.add.at(held, bars[mine], signed[mine])
        price = (
            data.mark_arrays(symbol).close if symbol in data.marks else data.arrays[symbol].close
        )
        equity += np.cumsum(held) * price

    np.testing.assert_allclose(result.equity, equity, rtol=1e-9, atol=MONEY_ATOL)
    total = sum(result.strategy_equity.values())
    np.testing.assert_allclose(total, result.equity, rtol=1e-9, atol=MONEY_ATOL)
    assert result.trades["pnl"].sum() == pytest.approx(
        result.final_equity - capital, rel=1e-9, abs=MONEY_ATOL
    )


@settings(max_examples=10)
@given(*run_args)
def test_liquidations_close_whole_positions_within_the_marks_range_and_lose_at_most_the_margin(
    seed: int, case: str, model: FillModel, margin: MarginModel, capital: float
) -> None:
    data, result, _ = _run_case(case, seed, model, margin, capital)
    fills = result.fills
    liquidated = fills[fills["liquidation"]]

    assert len(result.liquidations) == liquidated.groupby(["ts_ms", "symbol"]).ngroups
    for row in result.liquidations.itertuples():
        bar = int(_bars(data, np.array([row.ts_ms]))[0])
        marks = data.mark_arrays(row.symbol)
        if not row.bankrupt:
            assert marks.low[bar] * (1 - REL) <= row.price <= marks.high[bar] * (1 + REL)
        closes = liquidated[
            (liquidated["ts_ms"] == row.ts_ms) & (liquidated["symbol"] == row.symbol)
        ]
        assert (closes["price"] == row.price).all()
        assert closes["fee"].sum() == pytest.approx(row.fee, rel=1e-9, abs=1e-12)
        # After the liquidation no strategy holds the symbol.
        for strategy in set(closes["strategy"]):
            mine = fills[
                (fills["strategy"] == strategy)
                & (fills["symbol"] == row.symbol)
                & (fills["ts_ms"] <= row.ts_ms)
            ]
            assert abs(_signed(mine).sum()) == pytest.approx(0.0, abs=1e-9)
    # A liquidation never takes the account below zero.
    assert result.equity.min() >= -MONEY_ATOL


@pytest.mark.parametrize(
    ("seed", "model"),
    [
        (0, FillModel(0.0, 0.1, 0.0, 0.0, None, latency_bars=1, fill_limits_on_touch=False)),
        (8, FillModel(0.02, 0.0, 0.03, 0.0, None, latency_bars=0, fill_limits_on_touch=False)),
    ],
)
def test_margin_is_checked_at_execution_against_every_fill_before(
    seed: int, model: FillModel
) -> None:
    """Found by the property above, at 100x on 100 USDT. Seed 0: a sell placed to close
    a long met a long other fills had reduced, and its excess opened a short the margin
    did not cover. Seed 8: two sells filling on one bar each counted the same free
    margin. Either way the liquidation that followed took the account below zero."""
    margin = MarginModel(mode="isolated", leverage=100.0, liquidation_fee_pct=1.0)

    result = _run_case("two_perpetuals", seed, model, margin, 100.0)[1]

    assert len(result.liquidations) > 0
    assert result.equity.min() >= -MONEY_ATOL


@pytest.mark.parametrize(
    ("mode", "case", "capital"),
    [("isolated", "mixed", 3_000.0), ("cross", "two_perpetuals", 100.0)],
)
def test_high_leverage_runs_are_liquidated_and_match_bar_by_bar(
    mode: str, case: str, capital: float
) -> None:
    margin = MarginModel(mode=mode, leverage=100)  # type: ignore[arg-type]
    model = FillModel(max_volume_share=None)
    fast = _run_case(case, 0, model, margin, capital)[1]
    slow = _run_case(case, 0, model, margin, capital, skip=False)[1]

    assert len(fast.liquidations) > 0
    assert fast.events_processed < slow.events_processed
    assert_same_run(fast, slow)


@settings(max_examples=10)
@given(*run_args)
def test_fast_path_matches_bar_by_bar_with_perpetuals_leverage_and_liquidations(
    seed: int, case: str, model: FillModel, margin: MarginModel, capital: float
) -> None:
    fast = _run_case(case, seed, model, margin, capital)[1]
    slow = _run_case(case, seed, model, margin, capital, skip=False)[1]

    assert fast.events_processed < slow.events_processed
    assert_same_run(fast, slow)


def _corrupted(data: BacktestData, cut: int, rng: np.random.Generator) -> BacktestData:
    """``data`` with every candle and mark from ``cut`` on, and every later rate, replaced."""

    def wild(arrays: OhlcvArrays) -> OhlcvArrays:
        columns = {c: getattr(arrays, c).copy() for c in OhlcvArrays.__slots__}
        factor = np.where(rng.random(len(arrays) - cut) < 0.5, 0.5, 2.0)
        for c in ("open", "high", "low", "close"):
            columns[c][cut:] *= factor
        return OhlcvArrays(**columns)

    t_ms = int(data.ts_ms[cut])
    funding = {}
    for symbol, frame in data.funding.items():
        later = frame["ts_ms"].to_numpy() > t_ms
        rates = frame["funding_rate"].to_numpy().copy()
        rates[later] = rng.uniform(-0.003, 0.003, int(later.sum()))
        funding[symbol] = frame.assign(funding_rate=rates)
    return BacktestData(
        data.timeframe,
        {s: wild(a) for s, a in data.arrays.items()},
        data.instruments,
        funding=funding,
        marks={s: wild(a) for s, a in data.marks.items()},
    )


@settings(max_examples=8)
@given(
    st.integers(0, 20),
    st.sampled_from(sorted(CASES)),
    margin_models,
    st.floats(0.05, 0.95),
)
def test_corrupting_candles_marks_and_funding_after_t_changes_nothing_up_to_t(
    seed: int, case: str, margin: MarginModel, cut_fraction: float
) -> None:
    symbols, makers = CASES[case]
    data = perp_market(seed, MINUTES, symbols)
    cut = int(cut_fraction * MINUTES)
    t_ms = int(data.ts_ms[cut])
    dirty_data = _corrupted(data, cut, np.random.default_rng(seed))
    clean = [Recorded(make()) for make in makers]
    dirty = [Recorded(make()) for make in makers]
    model = FillModel(max_volume_share=0.02, latency_bars=1)

    before = run(data, clean, model=model, margin=margin, capital=3_000.0)
    after = run(dirty_data, dirty, model=model, margin=margin, capital=3_000.0)

    for c, d in zip(clean, dirty, strict=True):
        assert [x for x in d.decisions if x[1] <= t_ms] == [x for x in c.decisions if x[1] <= t_ms]
    for frame in ("fills", "funding", "liquidations"):
        a, b = getattr(after, frame), getattr(before, frame)
        assert a[a["ts_ms"] < t_ms].to_dict("records") == b[b["ts_ms"] < t_ms].to_dict("records")
    np.testing.assert_array_equal(after.equity[:cut], before.equity[:cut])
