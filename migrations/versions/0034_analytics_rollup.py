"""Engagement analytics: who used the bot on which day (``user_days``), and the daily
roll-up made from it (``analytics_engagement``).

Revision ID: 0034
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("day", "user_id", name=op.f("pk_user_days")),
    )
    op.create_table(
        "analytics_engagement",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_analytics_engagement")),
    )


def downgrade() -> None:
    op.drop_table("analytics_engagement")
    op.drop_table("user_days")
