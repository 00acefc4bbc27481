"""Jobs: job_runs (one row per claimed slot) and job_state (pause, failure streak).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "scheduled_for", name=op.f("uq_job_runs_job")),
    )
    op.create_index("ix_job_runs_status_started", "job_runs", ["status", "started_at"])
    op.create_table(
        "job_state",
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_alert_at", sa.DateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_state")),
    )


def downgrade() -> None:
    op.drop_table("job_state")
    op.drop_index("ix_job_runs_status_started", table_name="job_runs")
    op.drop_table("job_runs")
