"""Backtest runs: one row per backtest with its configuration and summary.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Written out in full, like 0001: a migration is history and keeps creating this exact
table after the models move on. Names follow the models' naming convention.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "backtest_runs"


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    json_type = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    return sa.Column(name, json_type, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("started_ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_ts_ms", sa.BigInteger(), nullable=True),
        _json("strategies"),
        _json("symbols"),
        sa.Column("timeframe", sa.String(), nullable=False),
        sa.Column("period_start_ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("period_end_ts_ms", sa.BigInteger(), nullable=False),
        _json("config"),
        _json("summary", nullable=True),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f(f"pk_{_TABLE}")),
    )
    op.create_index(op.f(f"ix_{_TABLE}_started_ts_ms"), _TABLE, ["started_ts_ms"])


def downgrade() -> None:
    op.drop_table(_TABLE)
