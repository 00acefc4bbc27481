"""Broadcasts at a time, at each recipient's local time, and repeated: when, and the series.

Revision ID: 0038
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("schedule", sa.Text(), nullable=True))
        batch.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("occurrence", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("anchor", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("next_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_broadcasts_next_at"), ["next_at"], unique=False)
    with op.batch_alter_table("broadcast_drafts") as batch:
        batch.add_column(sa.Column("schedule", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcast_drafts") as batch:
        batch.drop_column("schedule")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_index(batch.f("ix_broadcasts_next_at"))
        batch.drop_column("next_at")
        batch.drop_column("anchor")
        batch.drop_column("occurrence")
        batch.drop_column("series_id")
        batch.drop_column("schedule")
