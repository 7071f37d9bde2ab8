"""``dca`` in whole backtests: deal structure, exits and the fast path (never P&L figures).

Checked deal by deal (a deal = a base order and every order after it, up to the next
base order):

- it holds no more than its base order and all its safety orders: one market base
  order, at most ``max_safety_orders`` limit buys, each sized by the volume scale;
- the next deal starts no earlier than ``cooldown_minutes`` after one ended;
- it ends in its take profit, its stop-loss or its trailing stop (plus a market sale
  of what a same-candle buy added), or is still open at the end of the data;
- each exit's price is where the rules put it relative to the average entry of the
  position it was placed for.

On the spot BTC/USDT and the USD-M BTC/USDT perpetual 1m candles of ``../shared/data``
(skipped when absent), and on seeded synthetic markets under fill models from
frictionless to volume-starved (partial fills) with latency; there the event-skipping
run must also make exactly the fills of a bar-by-bar run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integration.engine.backtest_runs import assert_same_run, fill_models, market
from quantbot.config.settings import DataQualitySettings
from quantbot.core import Order, OrderState, OrderType, Side
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.loading import from_files
from quantbot.engine.results import BacktestResult
from quantbot.strategies.dca import Dca, DcaParams
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Recorded

MINUTE_MS, DAY_MS = 60_000, 86_400_000
SPOT, PERP = "binance_BTC-USDT_1m.csv.gz", "binance-usdm_BTC-USDT-PERP_1m.csv.gz"
START_MS = {SPOT: 1_748_736_000_000, PERP: 1_746_403_200_000}
"""2025-06-01 and 2025-05-05 UTC: a few weeks inside each file."""


def _market(shared_data: Path, name: str, days: int) -> BacktestData:
    start = START_MS[name]
    loaded = from_files(
        [shared_data / name],
        quality=DataQualitySettings(),
        start_ms=start,
        end_ms=start + days * DAY_MS,
    )
    return loaded.data


def _run(
    data: BacktestData,
    params: dict[str, Any],
    *,
    model: FillModel | None = None,
    skip: bool = True,
) -> tuple[BacktestResult, Recorded]:
    strategy = Recorded(Dca(DcaParams(**params), symbols=list(data.arrays)))
    config = BacktestConfig(100_000, fill_model=model or FillModel(), skip_idle_bars=skip)
    return run_backtest(data, [strategy], config), strategy


@dataclass
class _Deal:
    buys: pd.DataFrame
    sells: pd.DataFrame

    @property
    def closed(self) -> bool:
        return bool(abs(self.buys["qty"].sum() - self.sells["qty"].sum()) < 1e-9)

    def average_before(self, ts_ms: int) -> float:
        """Average entry of the position held just before ``ts_ms``.

        Buys move it; a sale reduces the quantity at the same average.
        """
        fills = pd.concat([self.buys, self.sells]).sort_index()
        held = average = 0.0
        for fill in fills[fills["ts_ms"] < ts_ms].itertuples():
            if fill.side == "buy":
                average = (average * held + fill.price * fill.qty) / (held + fill.qty)
                held += fill.qty
            else:
                held -= fill.qty
        return average


def _deals(result: BacktestResult, strategy: Recorded) -> list[_Deal]:
    """The fills grouped by deal: a deal is a base order and every order after it."""
    deal_of, count = {}, -1
    for order in strategy.orders:
        count += order.side is Side.BUY and order.order_type is OrderType.MARKET
        deal_of[order.client_order_id] = count
    fills = result.fills.assign(deal=result.fills["client_order_id"].map(deal_of))
    return [
        _Deal(part[part["side"] == "buy"], part[part["side"] == "sell"])
        for _, part in fills.groupby("deal", sort=True)
    ]


def _check_deals(result: BacktestResult, strategy: Recorded, params: DcaParams) -> dict[str, int]:
    """Assert every deal's structure and exits; count the deals by how they ended."""
    orders: dict[str, Order] = {o.client_order_id: o for o in strategy.orders}
    ends = {"take_profit": 0, "stop_loss": 0, "trailing_stop": 0, "open": 0}
    deals = _deals(result, strategy)
    assert all(deal.closed for deal in deals[:-1])
    ended_ms = -MINUTE_MS
    for deal in deals:
        started_ms = int(deal.buys["ts_ms"].iloc[0])  # the open after the decision
        assert started_ms >= ended_ms + MINUTE_MS + params.cooldown_minutes * MINUTE_MS
        buy_orders = list(dict.fromkeys(deal.buys["client_order_id"]))
        kinds = [orders[i].order_type for i in buy_orders]
        assert kinds[0] is OrderType.MARKET
        assert kinds[1:] == [OrderType.LIMIT] * (len(kinds) - 1)
        assert len(buy_orders) <= 1 + params.max_safety_orders
        ladder = [params.safety_order_usd * params.volume_scale**n for n in range(len(kinds) - 1)]
        for order_id, size in zip(buy_orders[1:], ladder, strict=True):
            order = orders[order_id]
            assert order.price is not None
            assert order.qty * order.price <= size * (1 + 1e-9)  # the lot rounds down only
        cost = float((deal.buys["price"] * deal.buys["qty"]).sum())
        assert cost <= params.base_order_usd * 1.02 + sum(ladder) * (1 + 1e-9)
        if not deal.closed:
            ends["open"] += 1
            continue
        exits = [orders[i] for i in dict.fromkeys(deal.sells["client_order_id"])]
        if exits[-1].order_type is OrderType.MARKET:  # what a buy on the exit's candle added
            exits = exits[:-1]
        *replaced, final = exits  # exits partly filled, then placed again for a new position
        assert all(o.reduce_only and o.order_type is not OrderType.MARKET for o in exits)
        assert all(o.state is OrderState.CANCELED for o in replaced)
        assert final.state is OrderState.FILLED
        final_fills = deal.sells[deal.sells["client_order_id"] == final.client_order_id]
        ended_ms = int(final_fills["ts_ms"].iloc[-1])
        average = deal.average_before(final.ts_ms)
        if final.order_type is OrderType.LIMIT:
            ends["take_profit"] += 1
            assert final.price is not None
            assert final.price == pytest.approx(
                average * (1 + params.take_profit_pct / 100), rel=1e-6
            )
            assert (final_fills["price"] >= final.price).all()
            continue
        assert final.order_type is OrderType.STOP
        assert final.stop_price is not None
        if final.stop_price < average:
            ends["stop_loss"] += 1
            assert params.stop_loss_pct is not None
            assert final.stop_price == pytest.approx(
                average * (1 - params.stop_loss_pct / 100), rel=1e-6
            )
        else:
            ends["trailing_stop"] += 1
            assert params.trailing_deviation_pct is not None
            floor = (1 + params.take_profit_pct / 100) * (1 - params.trailing_deviation_pct / 100)
            assert final.stop_price >= average * floor * (1 - 1e-6)
    return ends


def test_dca_deals_on_spot_btc_end_at_their_take_profit_or_stay_open(shared_data: Path) -> None:
    data = _market(shared_data, SPOT, days=30)
    params = DcaParams()
    result, strategy = _run(data, params.model_dump())

    ends = _check_deals(result, strategy, params)

    assert ends["take_profit"] > 3
    assert ends["stop_loss"] == ends["trailing_stop"] == 0
    assert result.rejections.empty


def test_dca_with_trailing_and_stop_loss_on_the_perpetual_ends_every_deal_by_a_rule(
    shared_data: Path,
) -> None:
    data = _market(shared_data, PERP, days=30)
    params = DcaParams(
        base_order_usd=500,
        safety_order_usd=500,
        max_safety_orders=3,
        price_deviation_pct=0.5,
        take_profit_pct=0.8,
        trailing_deviation_pct=0.2,
        stop_loss_pct=3.0,
        cooldown_minutes=30,
    )
    result, strategy = _run(data, params.model_dump())

    ends = _check_deals(result, strategy, params)

    assert ends["trailing_stop"] > 3
    assert ends["stop_loss"] > 0
    assert ends["take_profit"] == 0


def test_dca_skipping_idle_bars_makes_the_fills_of_a_bar_by_bar_run(shared_data: Path) -> None:
    data = _market(shared_data, PERP, days=10)
    params = {
        "base_order_usd": 500,
        "safety_order_usd": 500,
        "price_deviation_pct": 0.3,
        "take_profit_pct": 0.5,
        "stop_loss_pct": 2.0,
        "cooldown_minutes": 10,
    }

    fast, _ = _run(data, params, skip=True)
    slow, _ = _run(data, params, skip=False)

    assert fast.events_processed < slow.events_processed / 10
    assert len(fast.fills) > 20
    assert_same_run(fast, slow)


LADDERS = st.fixed_dictionaries(
    {
        "price_deviation_pct": st.sampled_from([0.1, 0.3]),
        "step_scale": st.sampled_from([1.0, 1.5]),
        "volume_scale": st.sampled_from([1.0, 2.0]),
        "max_safety_orders": st.integers(0, 4),
        "take_profit_pct": st.sampled_from([0.3, 0.6]),
        "cooldown_minutes": st.sampled_from([0, 7]),
    },
    optional={
        "trailing_deviation_pct": st.sampled_from([0.05, 0.2]),
        "start_rsi_below": st.sampled_from([35.0, 50.0]),
        "stop_loss_pct": st.sampled_from([0.5, 2.0]),
    },
)


@settings(max_examples=12)
@given(st.integers(0, 40), LADDERS, fill_models)
def test_dca_deals_keep_their_rules_and_the_fast_path_under_any_fill_model(
    seed: int, ladder: dict[str, float], model: FillModel
) -> None:
    data = market(seed, minutes=1440)
    params = DcaParams.model_validate({**ladder, "base_order_usd": 2000, "safety_order_usd": 2000})

    fast, strategy = _run(data, params.model_dump(), model=model, skip=True)
    slow, _ = _run(data, params.model_dump(), model=model, skip=False)

    assert len(fast.fills) > 0
    assert_same_run(fast, slow)
    _check_deals(fast, strategy, params)
