"""Stars charges stored before granting (state, retries, refunds); revocable VIP links.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before this revision were recorded in their grant's transaction: granted.
    with op.batch_alter_table("vip_star_payments") as batch:
        batch.add_column(sa.Column("currency", sa.String(8), nullable=False, server_default="XTR"))
        batch.add_column(sa.Column("payload", sa.String(255), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("state", sa.String(16), nullable=False, server_default="granted")
        )
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.String(500), nullable=True))
        batch.add_column(sa.Column("granted_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("refunded_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_vip_star_payments_state"), ["state"])
    op.execute("UPDATE vip_star_payments SET granted_at = created_at")
    with op.batch_alter_table("vip_invite_links") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vip_invite_links") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("vip_star_payments") as batch:
        batch.drop_index(batch.f("ix_vip_star_payments_state"))
        for column in (
            "refunded_at",
            "granted_at",
            "last_error",
            "attempts",
            "state",
            "payload",
            "currency",
        ):
            batch.drop_column(column)
