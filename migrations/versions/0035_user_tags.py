"""Tags admins set on users (``/tag``), for audiences: ``user_tags``.

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_tags",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "tag", name=op.f("pk_user_tags")),
    )
    op.create_index(op.f("ix_user_tags_tag"), "user_tags", ["tag"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_user_tags_tag"), table_name="user_tags")
    op.drop_table("user_tags")
