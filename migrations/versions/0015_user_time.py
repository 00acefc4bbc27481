"""Each user's own time: a time zone per user and the next due time of their messages.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0001"  # users


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    op.create_table(
        "user_schedules",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("minute", sa.SmallInteger(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_user_schedules")),
    )
    op.create_index(
        "ix_user_schedules_kind_due", "user_schedules", ["kind", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_user_schedules_kind_due", table_name="user_schedules")
    op.drop_table("user_schedules")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("timezone")
