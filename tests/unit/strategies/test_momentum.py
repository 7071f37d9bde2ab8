"""The momentum strategy in the engine: entries, sizing, the resting trailing stop, exits, caps, cooldown.

The markets are hand-made 1m candles whose hourly closes the test chooses (each hour
moves in a straight line from the previous close, every minute ranging 0.5 either side
of its body, so a flat hour has a true range of exactly 1 and the ATR of a flat
stretch is 1). The strategy decides on the 1h candles the engine builds from them.

Entry rules are pinned on hand-set indicators in ``test_momentum_signals.py``; here
:class:`Injected` takes the entry and exit masks from the test, so that what follows an
entry — prices, ATR, orders at the venue, the trade's own rules — runs for real.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pytest

from quantbot.core import OrderType, Side, quantize_price
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.history import CandleHistory
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.indicators import atr
from quantbot.risk import LossLimits, OperationalLimits
from quantbot.strategies.base import MarketHistory
from quantbot.strategies.momentum import Momentum
from quantbot.strategies.momentum_params import MomentumParams
from quantbot.strategies.momentum_signals import MomentumSignals
from quantbot.strategies.momentum_trade import DecisionAction, ExitReason
from quantbot.venues.simulated import FillModel, MarginModel
from unit.engine.strategies_for_tests import Recorded, Scripted

from factories import START_MS, WIDE_RISK_LIMITS, make_instrument, make_ohlcv

SPOT, ETH = "BTC/USDT", "ETH/USDT"
PERPS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT")
HOUR_MS, MINUTE_MS = 3_600_000, 60_000
CAPITAL = 10_000.0
ENTRY = 39
"""Candle of the injected entries (the strategy's warm-up is 35 candles); it closes at 40:00."""
FLAT = [100.0] * (ENTRY + 1)
"""Hourly closes up to the entry candle: flat, so the ATR at the entry is 1 and R is 1.5."""
MARGIN = MarginModel(leverage=5)
"""Perpetuals at leverage 5: the account's margin never binds before the strategy's caps."""
NO_COSTS = FillModel(maker_fee_pct=0.0, taker_fee_pct=0.0, slippage_pct=0.0, max_volume_share=None)

INJECTED = (
    "enter_long",
    "enter_short",
    "cross_up",
    "cross_down",
    "bearish_divergence",
    "bullish_divergence",
)


class Injected(Momentum):
    """Momentum whose entry and exit masks the test sets, per symbol: {mask name: candles}."""

    def __init__(
        self,
        events: Mapping[str, Mapping[str, Sequence[int]]],
        params: MomentumParams | None = None,
    ) -> None:
        super().__init__(params or MomentumParams(), symbols=list(events))
        self.events = events

    def signals_for(self, history: MarketHistory, symbol: str) -> MomentumSignals:
        signals = super().signals_for(history, symbol)
        size = len(signals.enter_long)
        masks = {}
        for name in INJECTED:
            mask = np.zeros(size, dtype=bool)
            mask[list(self.events[symbol].get(name, ()))] = True
            masks[name] = mask
        return replace(signals, **masks)


def minutes(closes: Sequence[float], dips: Mapping[int, float] | None = None) -> OhlcvArrays:
    """1m candles with the given hourly closes; ``dips`` sets the low of some minutes."""
    rows = []
    previous = closes[0]
    for close in closes:
        path = np.linspace(previous, close, 61)
        for start, end in itertools.pairwise(path):
            rows.append((start, max(start, end) + 0.5, min(start, end) - 0.5, end, 10.0))
        previous = close
    for minute, low in (dips or {}).items():
        o, h, _, c, v = rows[minute]
        rows[minute] = (o, h, low, c, v)
    return make_ohlcv(rows)


def market(
    paths: Mapping[str, Sequence[float]],
    dips: Mapping[str, Mapping[int, float]] | None = None,
    *,
    min_notional: float = 0.0,
) -> BacktestData:
    arrays = {s: minutes(closes, (dips or {}).get(s)) for s, closes in paths.items()}
    instruments = {s: make_instrument(s, min_notional=min_notional) for s in paths}
    return BacktestData("1m", arrays, instruments)


def run(data: BacktestData, strategy: Momentum | Recorded) -> BacktestResult:
    return run_backtest(
        data, [strategy], BacktestConfig(CAPITAL, fill_model=NO_COSTS, margin=MARGIN)
    )


def at(hour: float) -> int:
    """Epoch ms of ``hour`` hours after the start."""
    return START_MS + int(hour * HOUR_MS)


def hourly_atr(data: BacktestData, symbol: str) -> np.ndarray:
    candles = CandleHistory("1m", data.arrays).candles(symbol, "1h")
    return atr(candles.high, candles.low, candles.close, 14)


# -- entries and sizing ---------------------------------------------------------------


def test_entry_buys_at_the_next_open_risking_one_percent_at_a_stop_one_and_a_half_atr_away() -> (
    None
):
    data = market({SPOT: FLAT + [100.0] * 5})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    result = run(data, strategy)

    assert hourly_atr(data, SPOT)[ENTRY] == pytest.approx(1.0)
    entry = result.fills.iloc[0]
    assert (entry.side, entry.ts_ms, entry.price) == ("buy", at(ENTRY + 1), 100.0)
    target = CAPITAL * 0.01 / 1.5
    assert target - 0.001 < entry.qty <= target
    assert len(result.fills) == 1
    trade = strategy.trades[0]
    assert trade.risk_per_unit == pytest.approx(1.5)
    # The stop goes out when the entry has filled, at the close of the fill's minute.
    assert trade.stops == [(at(ENTRY + 1) + MINUTE_MS, 98.5)]
    assert not trade.is_closed


def test_the_stop_is_a_reduce_only_stop_order_at_the_venue() -> None:
    data = market({SPOT: FLAT + [100.0] * 3})
    recorded = Recorded(Injected({SPOT: {"enter_long": [ENTRY]}}))

    run(data, recorded)

    stop = [o for o in recorded.orders if o.order_type is OrderType.STOP]
    assert len(stop) == 1
    assert (stop[0].side, stop[0].stop_price, stop[0].reduce_only) == (Side.SELL, 98.5, True)
    assert stop[0].qty == recorded.orders[0].qty
    assert stop[0].is_open


def test_risk_based_size_is_capped_at_max_position_pct_of_equity() -> None:
    # An ATR of 1 at a price of 10,000 makes R 0.015 % of the price: risking 1 % of
    # equity would buy 667,000 USDT. At a max_position_pct of 20 it buys 2,000 USDT.
    data = market({SPOT: [10_000.0] * (ENTRY + 4)})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}}, MomentumParams(max_position_pct=20))

    result = run(data, strategy)

    assert result.fills.iloc[0].qty == pytest.approx(0.2)


def test_spot_entries_never_spend_more_than_the_strategys_cash() -> None:
    # Momentum has half of the account (5,000 USDT), an idle strategy the other half.
    # Each entry alone would buy 3,333 USDT; the second gets the 1,667 left, although
    # the account could pay for more.
    data = market({SPOT: FLAT + [100.0] * 3, ETH: FLAT + [100.0] * 3})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}, ETH: {"enter_long": [ENTRY]}})
    idle = Scripted(strategy_id="idle")
    config = BacktestConfig(
        CAPITAL, fill_model=NO_COSTS, capital_split={"momentum": 0.5, "idle": 0.5}
    )

    result = run_backtest(data, [strategy, idle], config)

    first, second = result.fills.iloc[0], result.fills.iloc[1]
    assert (first.symbol, second.symbol) == (SPOT, ETH)
    assert first.qty == pytest.approx(33.333)
    assert second.qty == pytest.approx(CAPITAL / 2 / 100.0 - first.qty, abs=0.001)


def test_perpetuals_size_on_risk_alone_and_can_be_shorted() -> None:
    data = market({PERPS[0]: FLAT + [100.0] * 3, PERPS[1]: FLAT + [100.0] * 3})
    strategy = Injected({PERPS[0]: {"enter_long": [ENTRY]}, PERPS[1]: {"enter_short": [ENTRY]}})

    result = run(data, strategy)

    assert result.fills["side"].tolist() == ["buy", "sell"]
    assert result.fills["qty"].tolist() == pytest.approx([66.666, 66.666])
    assert [t.stops[0][1] for t in strategy.trades] == [98.5, 101.5]


def test_an_entry_refused_by_the_checks_is_recorded_as_rejected_and_opens_nothing() -> None:
    data = market({SPOT: FLAT + [100.0] * 3}, min_notional=1e9)
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    result = run(data, strategy)

    assert result.fills.empty
    assert strategy.trades == []
    [decision] = strategy.decisions
    assert (decision.signal, decision.action) == ("enter_long", DecisionAction.REJECTED)
    assert "min_notional" in decision.reason


def test_every_entry_records_its_signals_and_order() -> None:
    data = market({SPOT: FLAT + [100.0] * 3})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    result = run(data, strategy)

    [decision] = strategy.decisions
    assert (decision.ts_ms, decision.symbol, decision.signal) == (at(ENTRY + 1), SPOT, "enter_long")
    assert decision.action is DecisionAction.EXECUTED
    assert decision.client_order_id == result.fills.iloc[0].client_order_id
    values, conditions = decision.indicators["values"], decision.indicators["conditions"]
    assert isinstance(values, dict)
    assert isinstance(conditions, dict)
    assert values["atr"] == pytest.approx(1.0)
    assert set(conditions) >= {"ema_cross", "adx", "funding_clear"}
    assert strategy.trades[0].entry_signals == decision.indicators


# -- the trailing stop ----------------------------------------------------------------


def test_the_stop_fills_at_its_price_within_the_bar_and_loses_one_percent() -> None:
    dip = (ENTRY + 3) * 60 + 20  # 42:20
    data = market({SPOT: FLAT + [100.0] * 6}, {SPOT: {dip: 98.0}})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    result = run(data, strategy)

    exit_fill = result.fills.iloc[1]
    assert (exit_fill.side, exit_fill.ts_ms, exit_fill.price) == (
        "sell",
        at(ENTRY + 3) + 20 * MINUTE_MS,
        98.5,
    )
    trade = strategy.trades[0]
    assert trade.exit_reason is ExitReason.TRAILING_STOP
    assert trade.pnl == pytest.approx(-CAPITAL * 0.01, abs=0.01)
    assert strategy.decisions[-1].reason == "trailing_stop"
    assert strategy.decisions[-1].client_order_id == exit_fill.client_order_id
    assert strategy.open_trades() == []


def test_trailing_stop_tightens_at_1_2_and_3_r_and_never_moves_back() -> None:
    # Up 1 an hour (R is 1.5), a pause, a pullback that stays above the stop, a new high.
    rise = [101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 108.0, 107.9, 107.9, 108.5]
    closes = FLAT + rise
    data = market({SPOT: closes})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    run(data, strategy)

    # The rule, candle by candle: the best close's profit in R picks the distance in
    # ATRs; the stop is the close less that distance, rounded down to the tick, and
    # moves only up.
    atrs = hourly_atr(data, SPOT)
    risk = 1.5 * atrs[ENTRY]
    stop, best, expected, distances = 100.0 - risk, 0.0, [], []
    for k in range(ENTRY + 1, len(closes)):
        best = max(best, (closes[k] - 100.0) / risk)
        distance = 1.5 if best <= 1 else 1.2 if best <= 2 else 1.0 if best <= 3 else 0.8
        candidate = quantize_price(closes[k] - distance * atrs[k], 0.01, round_up=False)
        if candidate > stop:
            stop = candidate
            expected.append((at(k + 1), stop))
        distances.append(distance)
    trade = strategy.trades[0]
    assert trade.stops[1:] == [(ts, pytest.approx(p)) for ts, p in expected]
    assert {1.5, 1.2, 1.0, 0.8} <= set(distances)
    placed = [p for _, p in trade.stops]
    assert placed == sorted(placed)
    assert trade.stops[-1][0] == at(len(closes))  # it moved again on the last new high
    assert not trade.is_closed


def test_each_move_cancels_the_resting_stop_before_placing_the_new_one() -> None:
    data = market({SPOT: [*FLAT, 101.0, 102.0, 103.0, 103.0]})
    recorded = Recorded(Injected({SPOT: {"enter_long": [ENTRY]}}))

    run(data, recorded)

    stops = [o for o in recorded.orders if o.order_type is OrderType.STOP]
    kinds = [d[0] for d in recorded.decisions if d[0] in ("submit", "cancel")]
    assert len(stops) >= 3
    assert kinds == ["submit"] + ["submit"] + ["cancel", "submit"] * (len(stops) - 1)
    assert [o.is_open for o in stops] == [False] * (len(stops) - 1) + [True]


def test_a_short_stop_trails_from_above() -> None:
    perp = PERPS[0]
    data = market({perp: [*FLAT, 99.0, 98.0, 97.0, 96.0]})
    strategy = Injected({perp: {"enter_short": [ENTRY]}})

    run(data, strategy)

    placed = [p for _, p in strategy.trades[0].stops]
    assert placed[0] == 101.5
    assert placed == sorted(placed, reverse=True)
    assert len(placed) > 2


def test_a_long_whose_stop_would_be_below_zero_gets_none_and_carries_on() -> None:
    # At a price of 1 the ATR of 1 puts the initial stop at 1 - 1.5 < 0: no stop order,
    # and the trade is still managed (here: closed on a cross).
    data = market({SPOT: [1.0] * (ENTRY + 4)})
    strategy = Injected({SPOT: {"enter_long": [ENTRY], "cross_down": [ENTRY + 2]}})

    result = run(data, strategy)

    trade = strategy.trades[0]
    assert trade.stops == []
    assert trade.exit_reason is ExitReason.SIGNAL_REVERSAL
    assert result.fills["side"].tolist() == ["buy", "sell"]


# -- exits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "entry", "exit_mask", "reason"),
    [
        (SPOT, "enter_long", "cross_down", ExitReason.SIGNAL_REVERSAL),
        (SPOT, "enter_long", "bearish_divergence", ExitReason.RSI_DIVERGENCE),
        (PERPS[0], "enter_short", "cross_up", ExitReason.SIGNAL_REVERSAL),
        (PERPS[0], "enter_short", "bullish_divergence", ExitReason.RSI_DIVERGENCE),
    ],
)
def test_signal_exits_close_at_the_next_open_and_cancel_the_stop(
    symbol: str, entry: str, exit_mask: str, reason: ExitReason
) -> None:
    data = market({symbol: [*FLAT, 100.0, 100.0, 100.0, 100.0, 100.0]})
    recorded = Recorded(Injected({symbol: {entry: [ENTRY], exit_mask: [ENTRY + 3]}}))

    result = run(data, recorded)

    strategy = recorded.inner
    assert isinstance(strategy, Momentum)
    entry_fill, exit_fill = result.fills.iloc[0], result.fills.iloc[1]
    assert exit_fill.side != entry_fill.side
    assert (exit_fill.ts_ms, exit_fill.qty) == (at(ENTRY + 4), entry_fill.qty)
    trade = strategy.trades[0]
    assert trade.exit_reason is reason
    assert trade.closed_ms == at(ENTRY + 4)
    assert [(d.signal[:4], d.reason) for d in strategy.decisions][-1] == ("exit", reason)
    assert not any(o.is_open for o in recorded.orders)
    assert len(result.fills) == 2


@pytest.mark.parametrize("mask", ["cross_up", "bullish_divergence"])
def test_signals_in_the_trades_own_direction_do_not_end_it(mask: str) -> None:
    data = market({SPOT: FLAT + [100.0] * 5})
    strategy = Injected({SPOT: {"enter_long": [ENTRY], mask: [ENTRY + 2]}})

    result = run(data, strategy)

    assert len(result.fills) == 1
    assert strategy.trades[0].exit_reason is None


def test_time_stop_closes_a_trade_open_72_hours_that_never_reached_2r() -> None:
    data = market({SPOT: FLAT + [100.0] * 75})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    result = run(data, strategy)

    trade = strategy.trades[0]
    assert trade.opened_ms == at(ENTRY + 1)
    assert trade.exit_reason is ExitReason.TIME_STOP
    assert strategy.decisions[-1].ts_ms == trade.opened_ms + 72 * HOUR_MS
    assert result.fills.iloc[-1].ts_ms == trade.opened_ms + 72 * HOUR_MS


def test_a_trade_that_reached_2r_is_not_time_stopped() -> None:
    # 103.1 is 2.07 R above the entry at 100 (R = 1.5); then the price stays there.
    data = market({SPOT: [*FLAT, 101.5, 103.1] + [103.1] * 80})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})

    result = run(data, strategy)

    trade = strategy.trades[0]
    assert trade.best_r > 2.0
    assert trade.exit_reason is None
    assert len(result.fills) == 1


# -- caps and cooldown ----------------------------------------------------------------


def test_at_most_three_positions_at_once_and_a_freed_slot_is_used_again() -> None:
    paths = {perp: FLAT + [100.0] * 6 for perp in PERPS}
    events: dict[str, dict[str, list[int]]] = {perp: {"enter_long": [ENTRY]} for perp in PERPS}
    events[PERPS[0]]["cross_down"] = [ENTRY + 2]
    events[PERPS[3]]["enter_long"] = [ENTRY, ENTRY + 3]
    strategy = Injected(events)

    result = run(market(paths), strategy)

    held = [d for d in strategy.decisions if d.action is DecisionAction.HELD]
    assert [(d.symbol, d.ts_ms) for d in held] == [(PERPS[3], at(ENTRY + 1))]
    assert held[0].reason == "max_concurrent_positions 3 reached"
    entries = result.fills[result.fills["side"] == "buy"]
    assert entries["symbol"].tolist() == [*PERPS[:3], PERPS[3]]
    assert entries["ts_ms"].tolist() == [at(ENTRY + 1)] * 3 + [at(ENTRY + 4)]


def test_a_loss_blocks_the_pair_for_60_minutes_from_the_exit() -> None:
    stop_minute = (ENTRY + 3) * 60 + 20  # stopped out at 42:20 (the bar closes 42:21)
    data = market({SPOT: FLAT + [100.0] * 6}, {SPOT: {stop_minute: 98.0}})
    strategy = Injected({SPOT: {"enter_long": [ENTRY, ENTRY + 3, ENTRY + 4]}})

    result = run(data, strategy)

    decisions = [(d.ts_ms, d.action) for d in strategy.decisions if d.signal == "enter_long"]
    assert decisions == [
        (at(ENTRY + 1), DecisionAction.EXECUTED),
        (at(ENTRY + 4), DecisionAction.HELD),  # 43:00, 39 minutes after the loss
        (at(ENTRY + 5), DecisionAction.EXECUTED),  # 44:00, 99 minutes after
    ]
    assert "cooldown" in strategy.decisions[2].reason
    assert result.fills["side"].tolist() == ["buy", "sell", "buy"]


def test_a_winning_trade_leaves_the_pair_open_for_the_next_signal() -> None:
    data = market({SPOT: [*FLAT, 101.0, 101.0, 101.0, 101.0, 101.0]})
    strategy = Injected(
        {SPOT: {"enter_long": [ENTRY, ENTRY + 3], "cross_down": [ENTRY + 2]}},
    )

    run(data, strategy)

    first, second = strategy.trades
    assert first.pnl is not None
    assert first.pnl > 0
    assert second.decided_ms == at(ENTRY + 4)


def test_the_cooldown_is_a_parameter() -> None:
    stop_minute = (ENTRY + 3) * 60 + 20
    data = market({SPOT: FLAT + [100.0] * 6}, {SPOT: {stop_minute: 98.0}})
    strategy = Injected(
        {SPOT: {"enter_long": [ENTRY, ENTRY + 3]}}, MomentumParams(cooldown_after_loss_minutes=30)
    )

    run(data, strategy)

    assert [d.action for d in strategy.decisions if d.signal == "enter_long"] == [
        DecisionAction.EXECUTED,
        DecisionAction.EXECUTED,
    ]


# -- the strategy as the engine sees it -----------------------------------------------


def test_decides_on_its_own_timeframe_and_reads_the_confirmation_one() -> None:
    strategy = Momentum(
        MomentumParams(timeframe="15m", confirmation_timeframe="1h"), symbols=[SPOT], timeframe="1m"
    )

    assert strategy.timeframe == "15m"
    assert strategy.extra_timeframes == ("1h",)
    assert strategy.warmup_bars == 35  # MACD 26 + 9 candles


def test_every_candle_of_the_timeframe_wakes_it() -> None:
    data = market({SPOT: FLAT + [100.0] * 2})
    recorded = Recorded(Momentum(MomentumParams(), symbols=[SPOT]))

    run(data, recorded)

    candles = [d[1] for d in recorded.decisions if d[0] == "on_candle"]
    assert candles == [at(k + 1) for k in range(35, ENTRY + 3)]


def test_a_position_the_circuit_breaker_closes_ends_with_reason_circuit_breaker() -> None:
    # Down 0.4 an hour after the entry: the daily 0.2 % limit trips long before the
    # stop, 1.5 ATRs away, is reached; the risk manager closes the trade at market.
    data = market({SPOT: [*FLAT, 99.6, 99.2, 98.8, 98.8, 98.8, 98.8]})
    strategy = Injected({SPOT: {"enter_long": [ENTRY]}})
    risk = RiskSetup(
        limits=WIDE_RISK_LIMITS,
        loss_limits=LossLimits(daily_loss_limit_pct=0.2),
        brake_levels=(),
        operational=OperationalLimits(),
        timezone="UTC",
        check_interval_s=60,
    )

    result = run_backtest(
        data, [strategy], BacktestConfig(CAPITAL, fill_model=NO_COSTS, margin=MARGIN, risk=risk)
    )

    assert list(result.risk_events["kind"][:1]) == ["DAILY_CIRCUIT_BREAK"]
    [trade] = strategy.trades
    assert trade.exit_reason is ExitReason.CIRCUIT_BREAKER
    assert trade.stop > min(data.arrays[SPOT].low)  # the stop was never reached
    assert strategy.decisions[-1].reason == "circuit_breaker"
    assert strategy.decisions[-1].client_order_id.startswith("risk-close-")
    assert strategy.open_trades() == []
