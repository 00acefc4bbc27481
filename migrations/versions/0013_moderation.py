"""Moderation: submissions suggested by users, their review cards, banned authors;
channel posts may carry a video (an approved suggestion).

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("video", sa.String(length=255), nullable=True))
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("author_name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("publish_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("dm_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("dm_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    op.create_index("ix_submissions_state_created_at", "submissions", ["state", "created_at"])
    op.create_index("ix_submissions_author_state", "submissions", ["author_id", "state"])
    op.create_index("ix_submissions_content_hash", "submissions", ["content_hash"])
    op.create_index(op.f("ix_submissions_post_id"), "submissions", ["post_id"])
    op.create_table(
        "moderation_cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cards")),
        sa.UniqueConstraint("submission_id", "chat_id", name="uq_moderation_cards_submission_chat"),
    )
    op.create_index(
        "ix_moderation_cards_chat_message", "moderation_cards", ["chat_id", "message_id"]
    )
    op.create_table(
        "moderation_bans",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("banned_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_moderation_bans")),
    )


def downgrade() -> None:
    op.drop_table("moderation_bans")
    op.drop_index("ix_moderation_cards_chat_message", table_name="moderation_cards")
    op.drop_table("moderation_cards")
    op.drop_index(op.f("ix_submissions_post_id"), table_name="submissions")
    op.drop_index("ix_submissions_content_hash", table_name="submissions")
    op.drop_index("ix_submissions_author_state", table_name="submissions")
    op.drop_index("ix_submissions_state_created_at", table_name="submissions")
    op.drop_table("submissions")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("video")
