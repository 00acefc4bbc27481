"""The end of each daily mission, fixed when it is issued: the end of its day in the
user's zone of that moment (a later change of zone no longer moves it).

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Missions issued before this column keep the old rule (their day in the current zone).
    with op.batch_alter_table("mission_assignments") as batch:
        batch.add_column(sa.Column("ends_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mission_assignments") as batch:
        batch.drop_column("ends_at")
