"""Free VIP trials (one per user, ever), promo codes and their redemptions.

Revision ID: 0027
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vip_trials",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_vip_trials")),
    )
    op.create_table(
        "vip_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_vip_codes_code")),
    )
    op.create_table(
        "vip_redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_redemptions")),
        sa.UniqueConstraint("code", "user_id", name="uq_vip_redemptions_code_user"),
    )
    op.create_index(op.f("ix_vip_redemptions_user_id"), "vip_redemptions", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_vip_redemptions_user_id"), table_name="vip_redemptions")
    op.drop_table("vip_redemptions")
    op.drop_table("vip_codes")
    op.drop_table("vip_trials")
