"""VIP subscriptions paid with Telegram Stars: one row per payment charge.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vip_star_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("charge_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_star_payments")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_vip_star_payments_charge_id")),
    )
    op.create_index(
        op.f("ix_vip_star_payments_user_id"), "vip_star_payments", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_vip_star_payments_user_id"), table_name="vip_star_payments")
    op.drop_table("vip_star_payments")
