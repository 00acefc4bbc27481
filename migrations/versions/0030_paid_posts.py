"""Paid channel posts: a post's price in Stars (sent as paid media), and each purchase of
one, recorded once per (user, payload).

Revision ID: 0030
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("stars", sa.Integer(), nullable=True))
    op.create_table(
        "paid_media_purchases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "payload"),
    )
    op.create_index("ix_paid_media_purchases_payload", "paid_media_purchases", ["payload"])


def downgrade() -> None:
    op.drop_index("ix_paid_media_purchases_payload", table_name="paid_media_purchases")
    op.drop_table("paid_media_purchases")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("stars")
