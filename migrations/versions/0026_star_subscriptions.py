"""Renewing Stars subscriptions: one row per subscriber (its first charge, last charge,
paid end and whether Telegram renews it), and the period end each renewing charge pays for.

Revision ID: 0026
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vip_star_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("first_charge_id", sa.String(length=255), nullable=False),
        sa.Column("last_charge_id", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_star_subscriptions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_vip_star_subscriptions_user_id")),
    )
    with op.batch_alter_table("vip_star_payments") as batch:
        batch.add_column(sa.Column("subscription_expires_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vip_star_payments") as batch:
        batch.drop_column("subscription_expires_at")
    op.drop_table("vip_star_subscriptions")
