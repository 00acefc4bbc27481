"""The default time the rows on a kind's default were computed with.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedule_defaults",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("minute", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_schedule_defaults")),
    )


def downgrade() -> None:
    op.drop_table("schedule_defaults")
