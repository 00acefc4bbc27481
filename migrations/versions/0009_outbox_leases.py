"""Owned outbox leases: instances with a heartbeat, claims with an owner and a token.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
    )
    op.create_index(op.f("ix_instances_heartbeat_at"), "instances", ["heartbeat_at"], unique=False)
    op.add_column("outbox", sa.Column("claimed_by", sa.String(length=32), nullable=True))
    op.add_column("outbox", sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_outbox_claimed_by"), "outbox", ["claimed_by"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_claimed_by"), table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_token")
        batch.drop_column("claimed_by")
    op.drop_index(op.f("ix_instances_heartbeat_at"), table_name="instances")
    op.drop_table("instances")
