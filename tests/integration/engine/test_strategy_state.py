"""Strategy state through a real database (SQLite, then PostgreSQL): a grid saved in the
middle of a run comes back exactly, carries on as if never stopped, and holds no secret;
states the database would change are refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from integration.engine.backtest_runs import BTC, market
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.strategy_state import (
    StrategyStateError,
    restore_strategy_state,
    save_strategy_state,
)
from quantbot.logs.redaction import default_redactor, is_sensitive_key
from quantbot.storage import create_engine_for, session_factory, upgrade
from quantbot.storage.repositories import StrategyStateRepository
from quantbot.strategies import Bar, Strategy, StrategyContext, StrategyParams, create_strategy
from quantbot.strategies.grid import Grid
from quantbot.strategies.grid_params import GridParams
from quantbot.venues.simulated import FillModel
from unit.strategies.test_grid import (
    FEES,
    GRID,
    RESTART_PATH,
    Observed,
    Restart,
    Restarted,
    _data,
)

SECRET = "sk-live-0123456789abcdef"
NARROW = {
    "num_grids": 8,
    "grid_spacing_pct": 0.3,
    "rebalance_trigger_pct": 1.5,
    "upper_bound_pct": 3.0,
    "lower_bound_pct": 3.0,
    "order_size_usd": 1_000.0,
    "take_profit_pct": 20.0,
}
"""A grid narrow enough for round trips and recentrings within two synthetic days."""


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database migrated to head."""
    upgrade(db_url)
    engine = create_engine_for(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def through_database(sessions: sessionmaker[Session]) -> Restart:
    """Save the grid in one transaction, build a fresh one restored in another session."""

    def restart(grid: Grid, now_ms: int) -> Grid:
        with sessions.begin() as session:
            assert save_strategy_state(session, grid, ts_ms=now_ms)
        params: GridParams = grid.params  # type: ignore[assignment]
        fresh = Grid(params, symbols=grid.symbols, strategy_id=grid.strategy_id)
        with sessions() as session:
            assert restore_strategy_state(session, fresh)
        return fresh

    return restart


def until(data: BacktestData, bars: int) -> BacktestData:
    """The first ``bars`` bars of ``data``: the run as far as a crash let it go."""
    arrays = {
        symbol: OhlcvArrays(**{c: getattr(a, c)[:bars] for c in OhlcvArrays.__slots__})
        for symbol, a in data.arrays.items()
    }
    return BacktestData(data.timeframe, arrays, data.instruments)


CASES: dict[str, tuple[Callable[[], BacktestData], dict[str, Any], FillModel]] = {
    "hand-crafted path": (lambda: _data(RESTART_PATH), {**GRID, "take_profit_pct": 5.0}, FEES),
    "synthetic market": (lambda: market(7), NARROW, FillModel()),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_a_grid_restarted_from_the_database_makes_the_fills_of_one_never_stopped(
    sessions: sessionmaker[Session], case: str, fraction: float
) -> None:
    build, grid, model = CASES[case]
    data, params = build(), GridParams(**grid)
    config = BacktestConfig(100_000, fill_model=model)
    plain = Grid(params, symbols=[BTC], strategy_id="grid")
    at_ms = int(data.ts_ms[int(fraction * len(data.ts_ms))])
    restarted = Restarted(params, at_ms, through_database(sessions))

    expected = run_backtest(data, [plain], config)
    result = run_backtest(data, [restarted], config)

    assert restarted.restarted_ms is not None
    assert len(expected.fills) > 20
    assert plain.pairs[BTC].rebalances >= 1
    pd.testing.assert_frame_equal(result.fills, expected.fills)
    assert restarted.grid.state() == plain.state()


def test_a_grid_saved_half_way_comes_back_with_its_levels_orders_and_inventory(
    sessions: sessionmaker[Session],
) -> None:
    data = market(7)
    grid = Observed(GridParams(**NARROW))
    run_backtest(until(data, len(data.ts_ms) // 2), [grid], BacktestConfig(100_000))
    end_ms = grid.checks[-1][1]
    with sessions.begin() as session:
        save_strategy_state(session, grid, ts_ms=end_ms)

    fresh = Grid(GridParams(**NARROW), symbols=[BTC], strategy_id=grid.strategy_id)
    with sessions() as session:
        assert restore_strategy_state(session, fresh)

    assert fresh.state() == grid.state()
    before, after = grid.pairs[BTC], fresh.pairs[BTC]
    assert after.levels == before.levels
    assert (after.centre, after.lowest_slot, after.highest_slot) == (
        before.centre,
        before.lowest_slot,
        before.highest_slot,
    )
    resting = {o.client_order_id for _, o in grid.orders if o.is_open}
    assert resting  # the run stopped with orders on the book
    assert {p.order_id for p in after.pieces.values() if p.order_id is not None} == resting
    _, position = grid.checks[-1][3][BTC]
    assert after.inventory() == pytest.approx(before.inventory())
    assert after.inventory()[0] == pytest.approx(position, abs=1e-9)
    assert after.round_trips == len(grid.round_trips) > 0
    assert after.last_rebalance == before.last_rebalance is not None


def walk(value: Any) -> Iterator[Any]:
    """Every key and value of a JSON document, depth first."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield value


def test_the_stored_state_holds_no_secret_and_comes_back_exactly(
    sessions: sessionmaker[Session],
) -> None:
    default_redactor().add_secret(SECRET)  # e.g. the exchange API key of the run
    try:
        grid = Observed(GridParams(**NARROW))
        run_backtest(market(7), [grid], BacktestConfig(100_000))
        state = grid.state()
        with sessions.begin() as session:
            save_strategy_state(session, grid, ts_ms=1)
        with sessions() as session:
            stored = session.execute(sa.text("SELECT state FROM strategy_state")).scalar_one()
            loaded = StrategyStateRepository(session).load(grid.strategy_id)
    finally:
        default_redactor().clear()

    text = stored if isinstance(stored, str) else json.dumps(stored)
    assert SECRET not in text
    assert "***" not in text  # nothing had to be masked
    assert not any(isinstance(k, str) and is_sensitive_key(k) for k in walk(json.loads(text)))
    assert loaded == state
    # Exactly: every number comes back as the same float, not merely a close one.
    assert json.dumps(loaded, sort_keys=True) == json.dumps(state, sort_keys=True)


class Keeper(Strategy):
    """A strategy whose state is whatever the test gives it."""

    name = "keeper"
    Params = StrategyParams

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__(StrategyParams(), symbols=[BTC])
        self.kept = state

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        return

    def state(self) -> dict[str, Any]:
        return self.kept


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"levels": [1.0, float("nan")]}, "not plain JSON"),
        ({"order": ("a", "b")}, "changes through JSON"),
        ({"by_slot": {1: "a"}}, "changes through JSON"),
        ({"bot_token": "12345678"}, "holds a secret"),
        ({"note": f"placed with {SECRET}"}, "holds a secret"),
    ],
)
def test_a_state_the_database_would_change_is_refused_and_not_stored(
    sessions: sessionmaker[Session], state: dict[str, Any], reason: str
) -> None:
    default_redactor().add_secret(SECRET)
    try:
        with sessions.begin() as session, pytest.raises(StrategyStateError, match=reason):
            save_strategy_state(session, Keeper(state), ts_ms=1)
    finally:
        default_redactor().clear()
    with sessions() as session:
        assert StrategyStateRepository(session).load("keeper") is None


def test_without_a_saved_state_a_strategy_starts_afresh_and_a_stateless_one_saves_nothing(
    sessions: sessionmaker[Session],
) -> None:
    grid = Grid(GridParams(), symbols=[BTC])
    ema = create_strategy("ema_cross", {}, symbols=[BTC])

    with sessions.begin() as session:
        assert not restore_strategy_state(session, grid)
        assert not save_strategy_state(session, ema, ts_ms=1)
        StrategyStateRepository(session).save(ema.strategy_id, {"stray": 1}, ts_ms=1)

    assert grid.pairs[BTC].levels is None
    with sessions() as session, pytest.raises(NotImplementedError, match="keeps no state"):
        restore_strategy_state(session, ema)
