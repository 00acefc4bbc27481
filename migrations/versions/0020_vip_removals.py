"""VIP removals Telegram must confirm (retried with backoff), the membership check's
last look at each ended subscriber, and the period each Stars charge bought.

Revision ID: 0020
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vip_removals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_removals")),
        sa.UniqueConstraint("user_id", name=op.f("uq_vip_removals_user_id")),
    )
    op.create_index(op.f("ix_vip_removals_due_at"), "vip_removals", ["due_at"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("checked_at", sa.DateTime(), nullable=True))
    # Charges granted before this revision have no recorded period: a refund of one takes
    # back its days as before, within the subscription it was granted in.
    with op.batch_alter_table("vip_star_payments") as batch:
        batch.add_column(sa.Column("period_ends_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vip_star_payments") as batch:
        batch.drop_column("period_ends_at")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("checked_at")
    op.drop_index(op.f("ix_vip_removals_due_at"), table_name="vip_removals")
    op.drop_table("vip_removals")
