"""The console's reads at scale: a job's newest runs by (job, id).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_job_runs_job_id", "job_runs", ["job", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_runs_job_id", table_name="job_runs")
