"""No secret reaches the database, whichever table or code path writes it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quantbot.core import RunMode
from quantbot.logs.redaction import MASK, default_redactor
from quantbot.storage.models import Decision
from quantbot.storage.repositories import (
    AppStateRepository,
    ConfigurationHistoryRepository,
    DecisionAction,
    DecisionRepository,
    FillRepository,
    OrderRepository,
    StrategyStateRepository,
)

SECRET = "kP9vR2mX7qL4wZ8n"


@pytest.fixture
def registered_secret() -> Iterator[str]:
    default_redactor().add_secret(SECRET)
    try:
        yield SECRET
    finally:
        default_redactor().clear()


def stored_texts(engine: Engine) -> dict[str, list[str]]:
    """Every text and JSON column of the written tables, read back as text."""
    columns = {
        "decisions": ["reason", "indicators", "risk_checks"],
        "configuration_history": ["configuration", "notes"],
        "strategy_state": ["state"],
        "app_state": ["value"],
        "fills": ["notes"],
        "order_transitions": ["reason"],
    }
    texts: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table, names in columns.items():
            table_clause = sa.table(table, *(sa.column(name) for name in names))
            query = sa.select(*(sa.cast(table_clause.c[name], sa.Text) for name in names))
            texts[table] = [
                value for row in connection.execute(query) for value in row if value is not None
            ]
    return texts


def test_registered_secret_is_masked_in_every_table(
    engine: Engine, sessions: sessionmaker[Session], registered_secret: str
) -> None:
    leak = f"exchange said: invalid key {registered_secret}"
    with sessions.begin() as session:
        DecisionRepository(session).append(
            ts_ms=1,
            strategy="grid",
            symbol="BTC/USDT",
            signal="BUY_LEVEL",
            reason=leak,
            action_taken=DecisionAction.REJECTED,
            mode=RunMode.PAPER,
            indicators={"note": leak},
            risk_checks={"venue": [leak]},
        )
        ConfigurationHistoryRepository(session).record(
            {"exchanges": {"binance": {"api_key_env": "BINANCE_KEY", "echo": registered_secret}}},
            ts_ms=1,
            run_id="run-1",
            notes=leak,
        )
        StrategyStateRepository(session).save("grid", {"last_error": leak}, ts_ms=1)
        AppStateRepository(session).set("last_error", leak, ts_ms=1)
        OrderRepository(session).insert(
            client_order_id="grid-1",
            exchange="binance",
            strategy="grid",
            symbol="BTC/USDT",
            side="buy",
            order_type="limit",
            qty=1.0,
            price=10.0,
            state="PENDING",
            ts_ms=1,
            reason=leak,
        )
        FillRepository(session).insert(
            ts_ms=1,
            exchange="binance",
            trade_id="t-1",
            strategy="grid",
            symbol="BTC/USDT",
            side="buy",
            order_type="limit",
            price=10.0,
            qty=1.0,
            cost_usd=10.0,
            fee_qty=0.01,
            fee_currency="USDT",
            fee_usd=0.01,
            notes=leak,
        )

    texts = stored_texts(engine)

    assert all(texts.values()), texts
    for table, values in texts.items():
        for value in values:
            assert registered_secret not in value, table
    assert all(MASK in " ".join(values) for values in texts.values()), texts
    # Names of where secrets live are not secrets: the configuration stays readable.
    with sessions() as session:
        latest = ConfigurationHistoryRepository(session).latest()
    assert latest is not None
    assert latest.configuration["exchanges"]["binance"] == {
        "api_key_env": "BINANCE_KEY",
        "echo": MASK,
    }


def test_secret_named_json_keys_are_masked_and_the_document_stays_valid(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        StrategyStateRepository(session).save(
            "funding",
            {
                "api_secret": 123456789,
                "headers": {"X-MBX-APIKEY": "abcdef123456"},
                "last_request": "Authorization: Bearer zyxwvu987654",
                "levels": [1.5],
            },
            ts_ms=1,
        )
    with sessions() as session:
        state = StrategyStateRepository(session).load("funding")
    assert state is not None
    assert state["api_secret"] == MASK
    assert state["headers"] == {"X-MBX-APIKEY": MASK}
    assert state["last_request"] == f"Authorization: Bearer {MASK}"
    assert state["levels"] == [1.5]


def test_raw_sql_and_executemany_are_redacted_too(engine: Engine, registered_secret: str) -> None:
    row = {
        "ts_ms": 1,
        "strategy": "grid",
        "symbol": "BTC/USDT",
        "signal": "NONE",
        "indicators": {},
        "risk_checks": {},
        "action_taken": "HELD",
    }
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Decision),
            [
                {**row, "reason": f"first {registered_secret}"},
                {**row, "reason": f"second {registered_secret}"},
            ],
        )
        connection.execute(
            sa.text("INSERT INTO app_state (key, value, updated_ts_ms) VALUES (:key, :value, 1)"),
            {"key": "raw", "value": json.dumps({"message": f"token={registered_secret}"})},
        )
        reasons = (
            connection.execute(sa.select(Decision.reason).order_by(Decision.id)).scalars().all()
        )
        raw = connection.execute(sa.text("SELECT CAST(value AS TEXT) FROM app_state")).scalar_one()

    assert reasons == [f"first {MASK}", f"second {MASK}"]
    assert registered_secret not in raw
    assert MASK in raw


def test_unregistered_secret_shapes_are_masked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        DecisionRepository(session).append(
            ts_ms=1,
            strategy="grid",
            symbol="BTC/USDT",
            signal="NONE",
            reason="GET /api/v3/order?apiKey=AbCdEf123456&symbol=BTCUSDT failed",
            action_taken=DecisionAction.HELD,
            mode=RunMode.PAPER,
        )
    with sessions() as session:
        (stored,) = DecisionRepository(session).history()
    assert "AbCdEf123456" not in stored.reason
    assert f"apiKey={MASK}" in stored.reason
