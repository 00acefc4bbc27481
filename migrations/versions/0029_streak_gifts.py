"""Telegram gifts for streak milestones: one row per (user, milestone), claimed before the
gift is sent, with the month and price it counts against the monthly budget.

Revision ID: 0029
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "streak_gifts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("milestone", sa.Integer(), nullable=False),
        sa.Column("gift_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("month", sa.String(7), nullable=True),
        sa.Column("star_count", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("user_id", "milestone"),
    )
    op.create_index("ix_streak_gifts_status", "streak_gifts", ["status"])
    op.create_index("ix_streak_gifts_month", "streak_gifts", ["month"])


def downgrade() -> None:
    op.drop_index("ix_streak_gifts_month", table_name="streak_gifts")
    op.drop_index("ix_streak_gifts_status", table_name="streak_gifts")
    op.drop_table("streak_gifts")
