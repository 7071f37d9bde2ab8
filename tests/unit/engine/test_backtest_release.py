"""A finished backtest lets go of its state when the last reference goes, without the
garbage collector: research runs backtest after backtest in one process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from quantbot.core import Fill
from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.engine.ledger import Ledger
from quantbot.strategies import Bar, StrategyContext
from quantbot.venues.simulated import SimulatedVenue

from .strategies_for_tests import LimitLadder, LimitLadderParams
from factories import SYMBOL, make_backtest_data


class KeepsItsContext(LimitLadder):
    """The ladder, keeping the context it was last handed (as a strategy may)."""

    name = "keeps_its_context"

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        self.ctx = ctx
        super().on_candle(bar, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        self.ctx = ctx
        super().on_fill(fill, ctx)


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """Collector off; what a collection finds unreachable is kept in the returned list."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_finished_run_leaves_nothing_for_the_collector(saved_garbage: list[object]) -> None:
    strategy = KeepsItsContext(LimitLadderParams(), symbols=[SYMBOL])
    result = run_backtest(make_backtest_data(minutes=1440), [strategy], BacktestConfig())
    assert len(result.fills) > 10
    del result, strategy
    gc.collect()
    left = {type(o).__name__ for o in saved_garbage if isinstance(o, Ledger | SimulatedVenue)}
    assert left == set()


def test_a_context_kept_after_the_run_no_longer_reaches_the_engine() -> None:
    strategy = KeepsItsContext(LimitLadderParams(), symbols=[SYMBOL])
    run_backtest(make_backtest_data(minutes=1440), [strategy], BacktestConfig())
    with pytest.raises(AttributeError):
        strategy.ctx.submit(SYMBOL, strategy.ctx.position(SYMBOL).side, 0.01)
