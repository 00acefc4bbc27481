"""Updates received behind a webhook keep their chat, kind and body until handled, so a
replica holding the chat's turn handles them in order.

Revision ID: 0048
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0048"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("received_updates") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("lane", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_received_updates_turn", "received_updates", ["chat_id", "lane", "update_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_received_updates_turn", table_name="received_updates")
    with op.batch_alter_table("received_updates") as batch:
        batch.drop_column("handled_at")
        batch.drop_column("payload")
        batch.drop_column("lane")
        batch.drop_column("chat_id")
