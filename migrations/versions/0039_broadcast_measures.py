"""What a broadcast achieved: variants and buttons, opt-outs and clicks.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | Sequence[str] | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("broadcasts", "broadcast_drafts"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("variants", sa.JSON(), nullable=True))
            batch.add_column(sa.Column("buttons", sa.JSON(), nullable=True))
    op.create_table(
        "broadcast_optouts",
        sa.Column("broadcast_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", "user_id", name=op.f("pk_broadcast_optouts")),
    )
    op.create_table(
        "broadcast_clicks",
        sa.Column("broadcast_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("button", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "broadcast_id", "user_id", "button", name=op.f("pk_broadcast_clicks")
        ),
    )


def downgrade() -> None:
    op.drop_table("broadcast_clicks")
    op.drop_table("broadcast_optouts")
    for table in ("broadcast_drafts", "broadcasts"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("buttons")
            batch.drop_column("variants")
