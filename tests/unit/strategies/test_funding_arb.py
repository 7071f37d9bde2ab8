"""``funding_arb`` on hand-crafted paths: entry, sizing, exits, hedge trims, failed legs, the cap.

Markets are 1h candles of a spot pair at a fixed price and its perpetual at a premium
path given in percent (perp close = spot close x (1 + premium / 100)). With the
formula's clamp off the estimate is the mean premium of the last 8 candles (one 8h
interval), so every threshold crossing is read off the path in the test. Orders decided
at a candle's close fill at the next candle's open; no fees or slippage unless a test
adds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantbot.core import OrderState, Side
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.results import BacktestResult
from quantbot.risk import (
    CheckAction,
    CheckChain,
    CheckDecision,
    OrderIntent,
    PreTradeState,
    venue_rule_checks,
)
from quantbot.strategies.funding_arb import FundingArb, pairs_of
from quantbot.strategies.funding_arb_params import FundingArbParams
from quantbot.strategies.funding_arb_position import ArbAction, ArbExit, ArbState, attribution
from quantbot.strategies.funding_arb_signal import funding_signals
from quantbot.venues.simulated import FillModel, MarginModel
from unit.engine.strategies_for_tests import Recorded

from factories import START_MS, make_instrument, make_ohlcv

HOUR_MS = 3_600_000
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
CAPITAL = 100_000.0
SPOT_LOT, PERP_LOT = 0.001, 0.01
NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)
EXACT = {"premium_clamp_pct": 0.0}
"""Without the clamp the estimate is the mean premium: thresholds read off the path."""
HIGH = [0.05] * 8
"""Eight candles at 0.05 %: the estimate first exceeds 0.03 % at candle 7."""


def _candles(closes: Sequence[float], volumes: Sequence[float]) -> OhlcvArrays:
    """1h candles, each opening at the previous close."""
    rows, previous = [], closes[0]
    for close, volume in zip(closes, volumes, strict=True):
        rows.append((previous, max(previous, close), min(previous, close), close, volume))
        previous = close
    return make_ohlcv(rows, period_ms=HOUR_MS)


def _market(
    premium_pct: Sequence[float],
    *,
    price: float = 100.0,
    spot_volume: Sequence[float] | None = None,
    spots: Sequence[str] = (SPOT,),
    funding_rate: float | None = None,
) -> BacktestData:
    """Each spot at ``price`` and its perpetual at ``premium_pct``; 8-hourly funding if a rate is given."""
    n = len(premium_pct)
    plenty = [1e9] * n
    arrays, instruments, funding = {}, {}, {}
    for spot in spots:
        perp = f"{spot}:USDT"
        spot_close = np.full(n, price)
        arrays[spot] = _candles(spot_close, spot_volume or plenty)
        arrays[perp] = _candles(spot_close * (1 + np.asarray(premium_pct) / 100), plenty)
        instruments[spot] = make_instrument(spot, tick_size=None, lot_size=SPOT_LOT)
        instruments[perp] = make_instrument(perp, tick_size=None, lot_size=PERP_LOT)
        if funding_rate is not None:
            times = START_MS + 8 * HOUR_MS * np.arange(1, n // 8 + 1, dtype=np.int64)
            funding[perp] = pd.DataFrame({"ts_ms": times, "funding_rate": funding_rate})
    return BacktestData("1h", arrays, instruments, funding=funding)


def _run(
    data: BacktestData,
    *,
    model: FillModel = NO_COSTS,
    chain: CheckChain | None = None,
    margin: MarginModel | None = None,
    **params: Any,
) -> tuple[BacktestResult, Recorded, FundingArb]:
    spots = [s for s in data.arrays if ":" not in s]
    strategy = FundingArb(FundingArbParams(**{**EXACT, **params}), symbols=spots, timeframe="1h")
    recorded = Recorded(strategy)
    config = BacktestConfig(CAPITAL, fill_model=model, margin=margin or MarginModel())
    return run_backtest(data, [recorded], config, chain=chain), recorded, strategy


def _first_above(premium: Sequence[float], threshold: float) -> int:
    """The first candle whose 8-candle mean premium (to 8 decimals of a rate) is above ``threshold``."""
    return next(
        k for k in range(7, len(premium)) if round(np.mean(premium[k - 7 : k + 1]), 6) > threshold
    )


def _first_below(premium: Sequence[float], threshold: float, after: int) -> int:
    return next(
        k
        for k in range(after, len(premium))
        if round(np.mean(premium[k - 7 : k + 1]), 6) < threshold
    )


def _bar(data: BacktestData, ts_ms: int) -> int:
    return int(np.searchsorted(data.ts_ms, ts_ms))


def _qty(
    price_spot: float, price_perp: float, leverage: float = 1.0, size_pct: float = 15.0
) -> float:
    """The documented size: the budget over spot price plus perpetual margin, down to the coarser lot."""
    raw = CAPITAL * size_pct / 100 / (price_spot + price_perp / leverage)
    return np.floor(round(raw / PERP_LOT, 9)) * PERP_LOT


def _legs(result: BacktestResult, spot: str = SPOT) -> tuple[float, float]:
    """What the strategy holds at the end: (spot long, perpetual short) in base."""
    fills = result.fills
    signed = np.where(fills["side"] == "buy", 1.0, -1.0) * fills["qty"]
    return float(signed[fills["symbol"] == spot].sum()), -float(
        signed[fills["symbol"] == f"{spot}:USDT"].sum()
    )


# -- which symbols ------------------------------------------------------------------------


def test_a_spot_pair_or_its_perpetual_names_the_pair_of_both() -> None:
    assert pairs_of(["BTC/USDT"]) == [("BTC/USDT", "BTC/USDT:USDT")]
    assert pairs_of(["ETH/USDT:USDT", "BTC/USDT", "ETH/USDT"]) == [
        ("ETH/USDT", "ETH/USDT:USDT"),
        ("BTC/USDT", "BTC/USDT:USDT"),
    ]
    strategy = FundingArb(FundingArbParams(), symbols=["BTC/USDT"], timeframe="1h")
    assert strategy.symbols == ("BTC/USDT", "BTC/USDT:USDT")


def test_an_inverse_perpetual_is_refused() -> None:
    with pytest.raises(ValueError, match="linear perpetuals settled in USD"):
        pairs_of(["BTC/USD:BTC"])


# -- entries ------------------------------------------------------------------------------


def test_it_enters_only_once_the_estimate_is_above_min_funding_rate() -> None:
    # Early candles above the threshold do not count before a whole interval has
    # closed; then the mean sits exactly at 0.03 % (not above) until 0.031 % comes in.
    premium = [0.05] * 3 + [0.0] * 5 + [0.03] * 10 + [0.031] * 4
    data = _market(premium)

    result, _, strategy = _run(data)

    decided = _first_above(premium, 0.03)
    assert decided == 18
    assert [d.action for d in strategy.decisions] == [ArbAction.ENTER]
    assert strategy.decisions[0].ts_ms == data.ts_ms[decided] + HOUR_MS
    assert {_bar(data, t) for t in result.fills["ts_ms"]} == {decided + 1}


@pytest.mark.parametrize("leverage", [1.0, 3.0])
def test_both_legs_fill_together_for_the_same_base_amount(leverage: float) -> None:
    price, premium = 101.37, 0.05
    data = _market(HIGH + [premium] * 4, price=price)

    result, _, _ = _run(data, leverage=leverage, margin=MarginModel(leverage=leverage))

    fills = result.fills
    spot, perp = fills[fills["symbol"] == SPOT], fills[fills["symbol"] == PERP]
    expected = _qty(price, price * (1 + premium / 100), leverage)
    assert spot["side"].tolist() == ["buy"]
    assert perp["side"].tolist() == ["sell"]
    assert spot["qty"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert perp["qty"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert spot["ts_ms"].iloc[0] == perp["ts_ms"].iloc[0] == data.ts_ms[8]


def test_a_short_cut_by_the_margin_check_resends_the_spot_buy_at_its_amount() -> None:
    # The strategy sizes the short at 10x, the account runs 1x: the margin check cuts it.
    data = _market(HIGH + [0.05] * 4)

    result, recorded, _ = _run(
        data, leverage=10.0, position_size_pct=100.0, max_positions=1, margin=MarginModel()
    )

    buys = [o for o in recorded.orders if o.symbol == SPOT]
    shorts = [o for o in recorded.orders if o.symbol == PERP]
    assert [o.state for o in buys] == [OrderState.CANCELED, OrderState.FILLED]
    assert len(shorts) == 1
    assert shorts[0].qty < buys[0].qty
    assert buys[1].qty == pytest.approx(shorts[0].qty, rel=1e-12)
    long, short = _legs(result)
    assert long == pytest.approx(short, rel=1e-12)


def test_at_most_max_positions_pairs_are_held_and_the_rest_is_held_back() -> None:
    spots = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    data = _market(HIGH + [0.05] * 4, spots=spots)

    result, _, strategy = _run(data, max_positions=2)

    assert set(result.fills["symbol"]) == {
        "BTC/USDT",
        "BTC/USDT:USDT",
        "ETH/USDT",
        "ETH/USDT:USDT",
    }
    # SOL/USDT signals on every candle from 7 on and is held back on each: recorded once.
    held = [d for d in strategy.decisions if d.action is ArbAction.HELD]
    assert [(d.pair, d.ts_ms) for d in held] == [("SOL/USDT", data.ts_ms[7] + HOUR_MS)]
    assert held[0].reason.startswith("max_positions 2")
    assert len(strategy.open_positions()) == 2


def test_a_pair_held_back_again_after_a_pause_is_recorded_again() -> None:
    # The signal stops at candle 10 (the mean premium falls to the exit threshold) and
    # comes back at 13: two runs of held candles, two records.
    spots = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    premium = HIGH + [0.05] * 2 + [-0.15] + [0.05] * 2 + [0.2] * 2
    data = _market(premium, spots=spots)

    _, _, strategy = _run(data, max_positions=2, exit_funding_rate=-1.0)

    sol, sol_perp = data.arrays["SOL/USDT"].close, data.arrays["SOL/USDT:USDT"].close
    signals = funding_signals(sol, sol_perp, strategy.params, "1h")
    assert signals.enter[7:10].all()
    assert not signals.enter[10:13].any()
    assert signals.enter[13:].all()
    held = [d for d in strategy.decisions if d.action is ArbAction.HELD]
    assert [d.ts_ms for d in held] == [data.ts_ms[7] + HOUR_MS, data.ts_ms[13] + HOUR_MS]


# -- exits --------------------------------------------------------------------------------


def test_both_legs_are_unwound_once_the_estimate_is_below_exit_funding_rate() -> None:
    # The mean falls to exactly 0.01 % (not below) at candle 15, then below at 16.
    premium = HIGH + [0.01] * 8 + [0.009] * 3
    data = _market(premium)

    result, recorded, strategy = _run(data)

    decided = _first_below(premium, 0.01, after=8)
    assert decided == 16
    exits = [o for o in recorded.orders if o.reduce_only]
    assert {(o.symbol, o.side) for o in exits} == {(SPOT, Side.SELL), (PERP, Side.BUY)}
    closing = result.fills[result.fills["ts_ms"] > data.ts_ms[8]]
    assert {_bar(data, t) for t in closing["ts_ms"]} == {decided + 1}
    assert _legs(result) == (0.0, 0.0)
    (position,) = strategy.positions
    assert (position.state, position.exit_reason) == (ArbState.CLOSED, ArbExit.FUNDING)
    assert position.closed_ms == data.ts_ms[decided + 1] + HOUR_MS


@pytest.mark.parametrize("divergence", [1.6, -1.6])
def test_both_legs_are_unwound_when_the_basis_leaves_the_limit(divergence: float) -> None:
    # 1.4 % stays inside the 1.5 % limit; the next candle leaves it.
    premium = [*HIGH, 1.4, divergence, 0.05]
    data = _market(premium)

    result, _, strategy = _run(data)

    position = strategy.positions[0]
    assert position.exit_reason is ArbExit.BASIS
    exits = result.fills[result.fills["ts_ms"] == data.ts_ms[10]]
    assert sorted(zip(exits["symbol"], exits["side"], strict=True)) == [
        (SPOT, "sell"),
        (PERP, "buy"),
    ]
    assert strategy.decisions[1].reason.startswith("basis_divergence")


def test_an_exit_signal_while_the_entry_is_on_its_way_unwinds_both_legs_once_they_fill() -> None:
    # One bar of latency: decided at the close of candle 7, the legs fill at the open of
    # 9. The basis leaves the limit at the close of 8, before they have filled; then the
    # premium turns negative, so that no new entry follows the exit.
    premium = [*HIGH, 1.6, -1.4, -1.4, -1.4, -1.4]
    data = _market(premium)
    model = FillModel(0, 0, 0, max_volume_share=None, latency_bars=1)

    result, _, strategy = _run(data, model=model)

    (position,) = strategy.positions
    assert position.exit_reason is ArbExit.BASIS
    assert [d.action for d in strategy.decisions] == [ArbAction.ENTER, ArbAction.EXIT]
    assert strategy.decisions[1].reason == "basis_divergence, decided while entering"
    assert strategy.decisions[1].ts_ms == data.ts_ms[9] + HOUR_MS
    fills = result.fills
    bars = [_bar(data, t) for t in fills["ts_ms"]]
    assert list(zip(fills["symbol"], fills["side"], bars, strict=True)) == [
        (SPOT, "buy", 9),
        (PERP, "sell", 9),
        (SPOT, "sell", 11),
        (PERP, "buy", 11),
    ]
    assert _legs(result) == (0.0, 0.0)


# -- keeping the legs together ------------------------------------------------------------


@pytest.mark.parametrize(("filled", "trimmed"), [(0.6, True), (0.99, False)])
def test_a_partially_filled_leg_makes_the_other_trimmed_beyond_the_threshold(
    filled: float, trimmed: bool
) -> None:
    qty = _qty(100.0, 100.05)
    volumes = [1e9] * 12
    volumes[8] = 2 * filled * qty  # half of it may fill: that share of the buy
    data = _market(HIGH + [0.05] * 4, spot_volume=volumes)

    result, recorded, strategy = _run(data, model=FillModel(0, 0, 0, max_volume_share=0.5))

    spot_filled = np.floor(round(filled * qty / SPOT_LOT, 6)) * SPOT_LOT
    (buy,) = [o for o in recorded.orders if o.symbol == SPOT]
    assert buy.state is OrderState.CANCELED  # the remainder, at the close it fell short
    assert buy.filled_qty == pytest.approx(spot_filled, rel=1e-12)
    trims = [o for o in recorded.orders if o.symbol == PERP and o.side is Side.BUY]
    long, short = _legs(result)
    assert long == pytest.approx(spot_filled, rel=1e-12)
    if trimmed:
        assert [d.action for d in strategy.decisions] == [ArbAction.ENTER, ArbAction.REBALANCE]
        (trim,) = trims
        assert trim.reduce_only
        assert result.fills.loc[
            result.fills["client_order_id"] == trim.client_order_id, "ts_ms"
        ].tolist() == [data.ts_ms[9]]
        assert 0 <= short - long < PERP_LOT  # as close as the perpetual's lot allows
    else:
        assert not trims
        assert short == pytest.approx(qty, rel=1e-12)  # 1 % apart: within the threshold
    assert strategy.positions[0].state is ArbState.OPEN


def test_a_leg_that_does_not_fill_gets_the_other_unwound_on_the_next_bar() -> None:
    volumes = [1e9] * 12
    volumes[8] = 0.0  # the spot buy's bar trades nothing: the short fills alone
    data = _market(HIGH + [0.05] * 4, spot_volume=volumes)

    result, _, strategy = _run(data, model=FillModel(0, 0, 0, max_volume_share=0.5))

    first = strategy.positions[0]
    assert first.exit_reason is ArbExit.LEG_FAILED
    fills = result.fills[result.fills["client_order_id"].isin(first.order_ids)]
    assert list(
        zip(
            fills["symbol"],
            fills["side"],
            (_bar(data, t) for t in fills["ts_ms"]),
            strict=True,
        )
    ) == [
        (PERP, "sell", 8),
        (PERP, "buy", 9),
    ]
    assert fills["qty"].nunique() == 1
    # The signal still stands: the next position takes both legs together.
    second = strategy.positions[1]
    legs = result.fills[result.fills["client_order_id"].isin(second.order_ids)]
    assert sorted(legs["symbol"]) == [SPOT, PERP]
    assert legs["ts_ms"].nunique() == 1


class _RefuseShorts:
    """A pre-trade check that refuses every perpetual sell that is not reduce-only."""

    name = "no_shorts"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        if intent.symbol == PERP and intent.side is Side.SELL and not intent.reduce_only:
            return CheckDecision(self.name, CheckAction.REJECT, intent, "no shorts here")
        return CheckDecision(self.name, CheckAction.APPROVE, intent)


class _RefuseSpotBuys:
    """A pre-trade check that refuses every spot buy."""

    name = "no_spot"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        if intent.symbol == SPOT and intent.side is Side.BUY:
            return CheckDecision(self.name, CheckAction.REJECT, intent, "no spot here")
        return CheckDecision(self.name, CheckAction.APPROVE, intent)


def test_a_refused_short_cancels_the_spot_buy_before_it_reaches_the_venue() -> None:
    chain = CheckChain([*venue_rule_checks(), _RefuseShorts()])

    result, recorded, strategy = _run(_market(HIGH + [0.05] * 4), chain=chain)

    assert result.fills.empty
    buys = [o for o in recorded.orders if o.symbol == SPOT]
    assert buys
    assert all(o.state is OrderState.CANCELED for o in buys)
    assert set(result.rejections["reason"]) == {"no shorts here"}
    assert {d.action for d in strategy.decisions} == {ArbAction.REFUSED}
    assert strategy.positions == []


def test_a_refused_spot_buy_sends_no_short() -> None:
    chain = CheckChain([*venue_rule_checks(), _RefuseSpotBuys()])

    result, recorded, strategy = _run(_market(HIGH + [0.05] * 4), chain=chain)

    assert result.fills.empty
    assert {o.symbol for o in recorded.orders} == {SPOT}
    assert strategy.positions == []


# -- P&L attribution ----------------------------------------------------------------------


def test_funding_and_basis_pnl_are_booked_on_the_position_separately() -> None:
    # Entered at a 0.05 % premium, held through settlements at 0.05 % per 8h; the
    # premium then widens to 0.2 %, a loss on the short that spot does not offset.
    premium = HIGH + [0.05] * 12 + [0.2] * 6
    rate = 0.0005
    data = _market(premium, funding_rate=rate)

    result, _, strategy = _run(data)

    (position,) = strategy.positions
    qty = _qty(100.0, 100.05)
    perp_close = data.arrays[PERP].close
    held_from = data.ts_ms[8]
    settled = [t for t in data.funding[PERP]["ts_ms"] if held_from < t <= data.ts_ms[-1] + HOUR_MS]
    expected = sum(qty * perp_close[_bar(data, t - HOUR_MS)] * rate for t in settled)
    assert settled
    assert position.funding == pytest.approx(expected, rel=1e-9)
    assert position.funding == pytest.approx(result.funding["amount"].sum(), rel=1e-12)
    entry, last = data.arrays[PERP].open[8], perp_close[-1]
    assert position.price_pnl == pytest.approx(qty * (entry - last), rel=1e-9)
    row = attribution(strategy.positions, result.fills).iloc[0]
    assert (row["fees"], row["slippage"]) == (0.0, 0.0)
    assert row["basis_pnl"] == pytest.approx(qty * (entry - last), rel=1e-9)
    assert row["net_pnl"] == pytest.approx(row["funding"] + row["basis_pnl"], rel=1e-12)


def test_fees_and_slippage_come_from_the_positions_own_fills() -> None:
    model = FillModel(
        maker_fee_pct=0.02, taker_fee_pct=0.1, slippage_pct=0.05, max_volume_share=None
    )
    premium = HIGH + [0.01] * 8 + [0.0] * 2

    result, _, strategy = _run(_market(premium), model=model)

    (row,) = attribution(strategy.positions, result.fills).itertuples()
    fills = result.fills
    assert row.fees == pytest.approx(fills["fee"].sum(), rel=1e-12)
    assert row.slippage == pytest.approx(fills["slippage"].sum(), rel=1e-12)
    assert row.slippage > 0
    change = result.final_equity - CAPITAL
    assert row.net_pnl == pytest.approx(change, rel=1e-9)
    assert row.net_pnl == pytest.approx(
        row.funding - row.fees - row.slippage + row.basis_pnl, rel=1e-12
    )
