"""Paid broadcasts: ``broadcast_paid``, a broadcast's Stars cap and what its paid lane spent.

Revision ID: 0037
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcast_paid",
        sa.Column("broadcast_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cap_stars", sa.Integer(), nullable=False),
        sa.Column("spent_millistars", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", name=op.f("pk_broadcast_paid")),
    )


def downgrade() -> None:
    op.drop_table("broadcast_paid")
