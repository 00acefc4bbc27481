"""When the bot first started on this database: earlier job slots are not missed.

An existing database is taken to have started with its first job run, so an upgrade
keeps catching up what fell while it was down.

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003"  # job_runs, read below


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.execute(
        "INSERT INTO installation (id, started_at) SELECT 1, MIN(started_at) FROM job_runs"
        " HAVING MIN(started_at) IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("installation")
