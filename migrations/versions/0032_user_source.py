"""The start link a user first came through (``users.source``): a ``/start`` payload, or
``ref`` for a friend's invite; NULL for the users who came without one (and everyone before).

Revision ID: 0032
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("source", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_users_source_created_at"), "users", ["source", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_users_source_created_at"), table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("source")
