"""The backtest_runs table and its repository, on SQLite and PostgreSQL; migration 0002."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quantbot.logs.redaction import MASK, default_redactor
from quantbot.storage import (
    DuplicateRecord,
    RecordNotFound,
    create_engine_for,
    current_revision,
    downgrade,
    upgrade,
)
from quantbot.storage.models import Base
from quantbot.storage.repositories.backtest_runs import BacktestRunRepository

CONFIG = {"venue": {"fee_pct": 0.1, "slippage_pct": 0.02}, "capital": 10_000}
SECRET = "Zq8Wm3Tn6Yb1Lp4V"


def start(session: Session, run_id: str = "run-1", *, started_ts_ms: int = 1_000) -> None:
    BacktestRunRepository(session).start(
        run_id,
        started_ts_ms=started_ts_ms,
        strategies=["ema_cross", "grid"],
        symbols=["BTC/USDT", "ETH/USDT"],
        timeframe="1m",
        period_start_ts_ms=1_704_067_200_000,
        period_end_ts_ms=1_735_689_600_000,
        config=CONFIG,
    )


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_a_started_run_is_stored_with_its_config_and_no_outcome(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        start(session)

    with sessions() as session:
        record = BacktestRunRepository(session).get("run-1")

    assert record is not None
    assert record.strategies == ["ema_cross", "grid"]
    assert record.symbols == ["BTC/USDT", "ETH/USDT"]
    assert (record.timeframe, record.started_ts_ms) == ("1m", 1_000)
    assert (record.period_start_ts_ms, record.period_end_ts_ms) == (
        1_704_067_200_000,
        1_735_689_600_000,
    )
    assert record.config == CONFIG
    assert (record.finished_ts_ms, record.summary, record.report_path) == (None, None, None)


def test_finishing_a_run_stores_its_summary_and_report_path(
    sessions: sessionmaker[Session],
) -> None:
    summary = {"final_equity": 10_512.25, "overall": {"sharpe": math.nan, "sqn": 1.5}}
    with sessions.begin() as session:
        start(session)
        BacktestRunRepository(session).finish(
            "run-1", finished_ts_ms=2_000, summary=summary, report_path="out/report.html"
        )

    with sessions() as session:
        record = BacktestRunRepository(session).get("run-1")

    assert record is not None
    assert record.finished_ts_ms == 2_000
    assert record.summary == {"final_equity": 10_512.25, "overall": {"sharpe": None, "sqn": 1.5}}
    assert record.report_path == "out/report.html"


def test_a_second_start_of_the_same_run_is_refused_and_the_transaction_survives(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        start(session)
        with pytest.raises(DuplicateRecord, match="run_id=run-1"):
            start(session, started_ts_ms=5_000)
        start(session, "run-2", started_ts_ms=2_000)

    with sessions() as session:
        records = BacktestRunRepository(session).recent()
    assert [record.run_id for record in records] == ["run-2", "run-1"]
    assert records[1].started_ts_ms == 1_000


def test_finishing_a_run_never_started_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(RecordNotFound, match="run_id=ghost"):
        BacktestRunRepository(session).finish("ghost", finished_ts_ms=1, summary={})


def test_recent_lists_the_latest_started_first_up_to_the_limit(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        for run_id, started in (("a", 30), ("b", 10), ("c", 20)):
            start(session, run_id, started_ts_ms=started)

    with sessions() as session:
        repository = BacktestRunRepository(session)
        assert [record.run_id for record in repository.recent()] == ["a", "c", "b"]
        assert [record.run_id for record in repository.recent(limit=1)] == ["a"]
        assert repository.get("nope") is None


@pytest.fixture
def registered_secret() -> Iterator[str]:
    default_redactor().add_secret(SECRET)
    try:
        yield SECRET
    finally:
        default_redactor().clear()


def test_a_secret_in_the_config_never_reaches_the_table(
    sessions: sessionmaker[Session], registered_secret: str
) -> None:
    with sessions.begin() as session:
        BacktestRunRepository(session).start(
            "run-s",
            started_ts_ms=1,
            strategies=[],
            symbols=[],
            timeframe="1h",
            period_start_ts_ms=0,
            period_end_ts_ms=1,
            config={"exchange": {"api_secret": registered_secret, "note": registered_secret}},
        )

    with sessions() as session:
        record = BacktestRunRepository(session).get("run-s")
    assert record is not None
    assert registered_secret not in str(record.config)
    assert record.config["exchange"]["api_secret"] == MASK


def test_migration_0002_adds_and_removes_only_backtest_runs(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine_for(db_url)
    try:
        assert "backtest_runs" in tables(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []

        downgrade(db_url, "0001")
        assert current_revision(db_url) == "0001"
        remaining = tables(engine)
        assert "backtest_runs" not in remaining
        assert set(Base.metadata.tables) - {"backtest_runs"} <= remaining

        upgrade(db_url, "0002")
        assert current_revision(db_url) == "0002"
        assert "backtest_runs" in tables(engine)
    finally:
        engine.dispose()
