"""Price watches: a strategy woken when a price is reached, found ahead like an order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.strategies.base import Bar, Strategy, StrategyContext, StrategyParams

from factories import SYMBOL, make_backtest_data, make_instrument, make_ohlcv


class Watcher(Strategy):
    """Watches ``width`` around the first close, re-arms around each alert's close."""

    name = "watcher"
    Params = StrategyParams

    def __init__(self, width: float) -> None:
        super().__init__(StrategyParams(), symbols=[SYMBOL])
        self.width = width
        self.alerts: list[tuple[int, float]] = []
        self.candles = 0

    def precompute(self, history: object) -> dict[str, np.ndarray]:  # type: ignore[override]
        self.index = history.candles(SYMBOL, "1m")  # type: ignore[attr-defined]
        mask = np.zeros(len(self.index), dtype=bool)
        mask[0] = True
        return {SYMBOL: mask}

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        self.candles += 1
        self._arm(bar.close, ctx)

    def on_price_alert(self, bar: Bar, ctx: StrategyContext) -> None:
        self.alerts.append((bar.index, bar.close))
        self._arm(bar.close, ctx)

    def _arm(self, price: float, ctx: StrategyContext) -> None:
        ctx.watch_price(SYMBOL, above=price * (1 + self.width), below=price * (1 - self.width))


def _data(rows: list[tuple[float, float, float, float, float]]) -> BacktestData:
    return BacktestData("1m", {SYMBOL: make_ohlcv(rows)}, {SYMBOL: make_instrument()})


def test_a_watch_fires_on_the_first_bar_reaching_it_and_only_once() -> None:
    rows = [
        (100, 100, 100, 100, 1),
        (100, 104, 99, 103, 1),
        (103, 106, 102, 105, 1),
        (105, 105, 104, 104, 1),
    ]
    strategy = Watcher(0.05)
    run_backtest(_data(rows), [strategy], BacktestConfig())
    # Armed at 100 ± 5 on bar 0; bar 2's high 106 reaches 105; re-armed at 105 ± 5.25.
    assert strategy.alerts == [(2, 105.0)]


def test_setting_neither_price_removes_the_watch() -> None:
    class Unwatch(Watcher):
        def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
            ctx.watch_price(SYMBOL, above=101.0)
            ctx.watch_price(SYMBOL)

    rows = [(100, 100, 100, 100, 1), (100, 110, 90, 100, 1)]
    strategy = Unwatch(0.0)
    run_backtest(_data(rows), [strategy], BacktestConfig())
    assert strategy.alerts == []


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), width=st.sampled_from([0.001, 0.003, 0.006]))
def test_the_fast_path_finds_exactly_the_alerts_a_bar_by_bar_run_finds(
    seed: int, width: float
) -> None:
    data = make_backtest_data(minutes=1440, seed=seed)
    runs = []
    for skip in (True, False):
        strategy = Watcher(width)
        result = run_backtest(data, [strategy], BacktestConfig(skip_idle_bars=skip))
        runs.append((strategy.alerts, result.events_processed))
    (fast, fast_events), (slow, slow_events) = runs
    assert fast == slow
    assert fast
    assert fast_events < slow_events
