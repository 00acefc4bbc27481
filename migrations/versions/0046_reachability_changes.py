"""Reachability history: each time a user blocks or unblocks the bot, so that a past day's
report counts the users reachable that day, not those reachable now.

Revision ID: 0046
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | Sequence[str] | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reachability_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reachability_changes")),
    )
    op.create_index(
        op.f("ix_reachability_changes_at"), "reachability_changes", ["at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reachability_changes_at"), table_name="reachability_changes")
    op.drop_table("reachability_changes")
