"""Audit rows say which run wrote them: ``run_id`` and ``mode`` on decisions and breaker events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Backtests, paper and live trading write ``decisions`` and ``circuit_breaker_events``
into the same tables; ``mode`` (``backtest``, ``paper``, ``live``) and ``run_id`` keep
them apart, so that the live runtime reading its own breaker history never sees a
backtest's trips. Rows written before this revision all came from backtests, which is
what the server default gives them: ``decisions`` refuses UPDATE, so the default is the
only way to fill the column. Their run id stays unknown (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_TABLES = ("decisions", "circuit_breaker_events")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("run_id", sa.String(), nullable=True))
        op.add_column(
            table, sa.Column("mode", sa.String(), nullable=False, server_default="backtest")
        )
        op.create_index(op.f(f"ix_{table}_run_id"), table, ["run_id"])
        op.create_index(op.f(f"ix_{table}_mode"), table, ["mode"])


def downgrade() -> None:
    for table in _TABLES:
        op.drop_index(op.f(f"ix_{table}_mode"), table_name=table)
        op.drop_index(op.f(f"ix_{table}_run_id"), table_name=table)
        op.drop_column(table, "mode")
        op.drop_column(table, "run_id")
