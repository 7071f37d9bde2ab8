"""Repositories round-trip the same values on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from quantbot.core import RunMode
from quantbot.storage import DuplicateRecord, RecordNotFound
from quantbot.storage.repositories import (
    CREATED_EVENT,
    WHOLE_STRATEGY,
    AppStateRepository,
    ConfigurationHistoryRepository,
    DecisionAction,
    DecisionRepository,
    FillRepository,
    OrderRepository,
    StrategyStateRepository,
)


def fill_values(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "ts_ms": 1_700_000_000_000,
        "exchange": "binance",
        "trade_id": "t-1",
        "strategy": "grid",
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "limit",
        "price": 42_000.5,
        "qty": 0.0125,
        "cost_usd": 525.00625,
        "fee_qty": 0.0004,
        "fee_currency": "BNB",
        "fee_usd": 0.39,
        "client_order_id": "grid-1",
        "venue_order_id": "v-1",
        "liquidity": "maker",
        "slippage_pct": 0.02,
        "pnl_usd": None,
        "notes": "first level",
    }
    values.update(overrides)
    return values


def order_values(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "client_order_id": "grid-1",
        "exchange": "binance",
        "strategy": "grid",
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "limit",
        "qty": 0.0125,
        "price": 42_000.5,
        "state": "PENDING",
        "ts_ms": 1_000,
    }
    values.update(overrides)
    return values


# --- app_state ---------------------------------------------------------------------


def test_app_state_get_returns_none_for_a_missing_key(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert AppStateRepository(session).get("last_reconciliation") is None


def test_app_state_set_replaces_the_previous_value(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        AppStateRepository(session).set("run", {"count": 1, "ids": ["a"]}, ts_ms=1)
    with sessions.begin() as session:
        AppStateRepository(session).set("run", {"count": 2, "ids": ["a", "b"]}, ts_ms=2)
    with sessions() as session:
        assert AppStateRepository(session).get("run") == {"count": 2, "ids": ["a", "b"]}
        stamps = session.execute(sa.text("SELECT updated_ts_ms FROM app_state")).scalars().all()
    assert stamps == [2]


def test_app_state_delete_removes_the_key_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        state = AppStateRepository(session)
        state.set("paused", True, ts_ms=1)
        assert state.delete("paused") is True
        assert state.delete("paused") is False
        assert state.get("paused") is None


def test_app_state_refuses_none_as_a_value(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValueError, match="delete"):
        AppStateRepository(session).set("paused", None, ts_ms=1)


# --- configuration_history -----------------------------------------------------------


def test_configuration_history_lists_runs_in_time_order(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        history = ConfigurationHistoryRepository(session)
        history.record({"grid": {"num_grids": 20}}, ts_ms=200, run_id="run-b")
        history.record({"grid": {"num_grids": 10}}, ts_ms=100, run_id="run-a")
        history.record({"grid": {"num_grids": 15}}, ts_ms=300, run_id="run-a", notes="reload")

    with sessions() as session:
        history = ConfigurationHistoryRepository(session)
        run_a = history.history(run_id="run-a")
        everything = history.history()
        latest = history.latest()

    assert [record.configuration["grid"]["num_grids"] for record in run_a] == [10, 15]
    assert [record.notes for record in run_a] == [None, "reload"]
    assert [record.ts_ms for record in everything] == [100, 200, 300]
    assert latest is not None
    assert (latest.run_id, latest.ts_ms) == ("run-a", 300)


def test_configuration_history_latest_is_none_when_empty(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert ConfigurationHistoryRepository(session).latest() is None


# --- decisions -------------------------------------------------------------------------


def test_decisions_round_trip_and_filter(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        decisions = DecisionRepository(session)
        decisions.append(
            ts_ms=10,
            strategy="momentum",
            symbol="ETH/USDT",
            signal="LONG_ENTRY",
            reason="EMA 9 crossed above EMA 21, ADX 31",
            action_taken=DecisionAction.EXECUTED,
            mode=RunMode.PAPER,
            indicators={"ema_fast": 2001.5, "adx": 31.0},
            risk_checks={"max_single_pair_exposure_pct": "ok"},
            client_order_id="momentum-7",
        )
        decisions.append(
            ts_ms=20,
            strategy="grid",
            symbol="BTC/USDT",
            signal="BUY_LEVEL",
            reason="exposure limit",
            action_taken=DecisionAction.REJECTED,
            mode=RunMode.PAPER,
        )
        decisions.append(
            ts_ms=30,
            strategy="momentum",
            symbol="BTC/USDT",
            signal="NONE",
            reason="ADX below 25",
            action_taken=DecisionAction.HELD,
            mode=RunMode.PAPER,
        )

    with sessions() as session:
        decisions = DecisionRepository(session)
        momentum = decisions.history(strategy="momentum")
        btc_since_20 = decisions.history(symbol="BTC/USDT", since_ts_ms=20)
        first_two = decisions.history(limit=2)

    assert [d.ts_ms for d in momentum] == [10, 30]
    executed = momentum[0]
    assert executed.action_taken is DecisionAction.EXECUTED
    assert executed.indicators == {"ema_fast": 2001.5, "adx": 31.0}
    assert executed.risk_checks == {"max_single_pair_exposure_pct": "ok"}
    assert executed.client_order_id == "momentum-7"
    assert [(d.strategy, d.action_taken) for d in btc_since_20] == [
        ("grid", DecisionAction.REJECTED),
        ("momentum", DecisionAction.HELD),
    ]
    assert btc_since_20[0].indicators == {}
    assert [d.ts_ms for d in first_two] == [10, 20]


def test_decisions_say_which_run_and_mode_took_them(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        decisions = DecisionRepository(session)
        for ts_ms, mode, run_id in (
            (1, RunMode.BACKTEST, "bt-1"),
            (2, RunMode.PAPER, "paper-7"),
            (3, RunMode.BACKTEST, "bt-2"),
            (4, RunMode.LIVE, None),
        ):
            decisions.append(
                ts_ms=ts_ms,
                strategy="grid",
                symbol="BTC/USDT",
                signal="BUY",
                reason="level 3",
                action_taken=DecisionAction.REJECTED,
                mode=mode,
                run_id=run_id,
            )

    with sessions() as session:
        decisions = DecisionRepository(session)
        backtests = decisions.history(mode=RunMode.BACKTEST)
        second_run = decisions.history(run_id="bt-2")
        everything = decisions.history()

    assert [(d.ts_ms, d.run_id) for d in backtests] == [(1, "bt-1"), (3, "bt-2")]
    assert [d.ts_ms for d in second_run] == [3]
    assert [d.mode for d in everything] == [
        RunMode.BACKTEST,
        RunMode.PAPER,
        RunMode.BACKTEST,
        RunMode.LIVE,
    ]
    assert everything[3].run_id is None


def test_decisions_store_nan_indicators_as_null(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        DecisionRepository(session).append(
            ts_ms=1,
            strategy="momentum",
            symbol="BTC/USDT",
            signal="NONE",
            reason="warm-up",
            action_taken=DecisionAction.HELD,
            mode=RunMode.PAPER,
            indicators={"rsi": math.nan, "ema": [1.5, math.inf]},
        )
    with sessions() as session:
        (stored,) = DecisionRepository(session).history()
    assert stored.indicators == {"rsi": None, "ema": [1.5, None]}


@pytest.mark.parametrize(
    "statement", ["UPDATE decisions SET reason = 'rewritten'", "DELETE FROM decisions"]
)
def test_decisions_refuse_update_and_delete(
    engine: Engine, sessions: sessionmaker[Session], statement: str
) -> None:
    with sessions.begin() as session:
        DecisionRepository(session).append(
            ts_ms=1,
            strategy="grid",
            symbol="BTC/USDT",
            signal="BUY_LEVEL",
            reason="level 3 reached",
            action_taken=DecisionAction.EXECUTED,
            mode=RunMode.PAPER,
        )

    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)

    with sessions() as session:
        (stored,) = DecisionRepository(session).history()
    assert stored.reason == "level 3 reached"


def test_decisions_refuse_an_unknown_action(engine: Engine) -> None:
    insert = sa.text(
        "INSERT INTO decisions (ts_ms, strategy, symbol, signal, reason, indicators, "
        "risk_checks, action_taken) VALUES (1, 's', 'X/Y', 'N', 'r', '{}', '{}', 'MAYBE')"
    )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert)


# --- strategy_state --------------------------------------------------------------------


def test_strategy_state_is_kept_per_symbol_and_replaced_on_save(
    sessions: sessionmaker[Session],
) -> None:
    levels = [{"price": 41_000.0, "side": "buy", "status": "open", "order_id": "grid-3"}]
    with sessions.begin() as session:
        states = StrategyStateRepository(session)
        states.save("grid", {"levels": levels, "inventory": 0.1}, ts_ms=1, symbol="BTC/USDT")
        states.save("grid", {"levels": [], "inventory": 2.0}, ts_ms=1, symbol="ETH/USDT")
        states.save("grid", {"round_trips": 4}, ts_ms=1)
    with sessions.begin() as session:
        StrategyStateRepository(session).save(
            "grid", {"levels": [], "inventory": 0.0}, ts_ms=2, symbol="ETH/USDT"
        )

    with sessions() as session:
        states = StrategyStateRepository(session)
        btc = states.load("grid", symbol="BTC/USDT")
        whole = states.load("grid")
        missing = states.load("momentum")
        everything = states.load_all("grid")

    assert btc == {"levels": levels, "inventory": 0.1}
    assert whole == {"round_trips": 4}
    assert missing is None
    assert everything == {
        "BTC/USDT": {"levels": levels, "inventory": 0.1},
        "ETH/USDT": {"levels": [], "inventory": 0.0},
        WHOLE_STRATEGY: {"round_trips": 4},
    }


# --- orders ------------------------------------------------------------------------------


def test_order_keeps_every_transition_in_order(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        orders = OrderRepository(session)
        orders.insert(**order_values(), reason="grid level 3")
        orders.record_transition(
            "grid-1", ts_ms=2_000, to_state="NEW", event="ORDER_ACCEPTED", venue_order_id="v-9"
        )
        orders.record_transition(
            "grid-1",
            ts_ms=3_000,
            to_state="PARTIALLY_FILLED",
            event="ORDER_FILLED",
            filled_qty=0.005,
            avg_fill_price=42_000.0,
        )
        orders.record_transition(
            "grid-1",
            ts_ms=3_000,
            to_state="FILLED",
            event="ORDER_FILLED",
            filled_qty=0.0125,
            avg_fill_price=42_000.25,
        )

    with sessions() as session:
        order = OrderRepository(session).load("grid-1")

    assert order is not None
    assert (order.state, order.filled_qty, order.avg_fill_price) == ("FILLED", 0.0125, 42_000.25)
    assert order.venue_order_id == "v-9"
    assert (order.created_ts_ms, order.updated_ts_ms) == (1_000, 3_000)
    assert (order.qty, order.price, order.stop_price, order.reduce_only) == (
        0.0125,
        42_000.5,
        None,
        False,
    )
    assert [(t.from_state, t.to_state, t.event) for t in order.transitions] == [
        (None, "PENDING", CREATED_EVENT),
        ("PENDING", "NEW", "ORDER_ACCEPTED"),
        ("NEW", "PARTIALLY_FILLED", "ORDER_FILLED"),
        ("PARTIALLY_FILLED", "FILLED", "ORDER_FILLED"),
    ]
    assert order.transitions[0].reason == "grid level 3"


def test_order_insert_refuses_a_duplicate_client_order_id_and_keeps_the_transaction(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orders = OrderRepository(session)
        orders.insert(**order_values())
        with pytest.raises(DuplicateRecord, match="grid-1"):
            orders.insert(**order_values(qty=5.0))
        orders.insert(**order_values(client_order_id="grid-2"))

    with sessions() as session:
        orders = OrderRepository(session)
        first = orders.load("grid-1")
        second = orders.load("grid-2")
    assert first is not None
    assert first.qty == 0.0125
    assert len(first.transitions) == 1
    assert second is not None


def test_order_transition_of_an_unknown_order_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(RecordNotFound, match="nope"):
        OrderRepository(session).record_transition("nope", ts_ms=1, to_state="NEW", event="X")


def test_order_load_returns_none_for_an_unknown_order(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert OrderRepository(session).load("nope") is None


def test_order_and_its_transitions_roll_back_together(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        orders = OrderRepository(session)
        orders.insert(**order_values())
        orders.record_transition("grid-1", ts_ms=2, to_state="NEW", event="ORDER_ACCEPTED")
        session.rollback()
    with sessions() as session:
        assert OrderRepository(session).load("grid-1") is None
        assert session.execute(sa.text("SELECT count(*) FROM order_transitions")).scalar_one() == 0


# --- fills -----------------------------------------------------------------------------


def test_fill_round_trips_every_column(sessions: sessionmaker[Session]) -> None:
    values = fill_values()
    with sessions.begin() as session:
        fill_id = FillRepository(session).insert(**values)
    with sessions() as session:
        stored = FillRepository(session).get("binance", "t-1")
    assert stored is not None
    assert stored.id == fill_id
    assert {name: getattr(stored, name) for name in values} == values
    assert stored.linked_fill_id is None


def test_duplicate_trade_id_is_refused_and_the_first_fill_kept(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fills = FillRepository(session)
        fills.insert(**fill_values())
        with pytest.raises(DuplicateRecord, match="t-1"):
            fills.insert(**fill_values(price=1.0, notes="replayed"))
        # Same trade id from another exchange is another trade.
        fills.insert(**fill_values(exchange="bybit"))

    with sessions() as session:
        fills = FillRepository(session)
        kept = fills.get("binance", "t-1")
        other = fills.get("bybit", "t-1")
    assert kept is not None
    assert (kept.price, kept.notes) == (42_000.5, "first level")
    assert other is not None


def test_grid_round_trip_links_the_closing_fill_to_the_opening_one(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fills = FillRepository(session)
        opening = fills.insert(**fill_values())
        fills.insert(
            **fill_values(
                trade_id="t-2", side="sell", price=42_210.5, linked_fill_id=opening, pnl_usd=2.2
            )
        )
    with sessions() as session:
        closing = FillRepository(session).get("binance", "t-2")
    assert closing is not None
    assert (closing.linked_fill_id, closing.pnl_usd) == (opening, 2.2)


def test_fill_linked_to_a_missing_fill_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(IntegrityError):
        FillRepository(session).insert(**fill_values(linked_fill_id=999))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trade_ids=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=12))
def test_repeated_fill_messages_book_each_trade_once(
    sessions: sessionmaker[Session], trade_ids: list[str]
) -> None:
    # Each example runs in its own transaction, rolled back, so the database starts empty.
    with sessions() as session:
        fills = FillRepository(session)
        for position, trade_id in enumerate(trade_ids):
            try:
                fills.insert(**fill_values(trade_id=trade_id, ts_ms=position, client_order_id="o"))
            except DuplicateRecord:
                continue
        booked = [fill.trade_id for fill in fills.for_order("o")]
        session.rollback()
    assert booked == list(dict.fromkeys(trade_ids))
