"""Gamification: missions, assignments, streaks, the points ledger, referral rewards.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOGUE = [
    ("Morning stretch", "Stretch for five minutes before breakfast.", 10, "health"),
    ("Glass of water", "Drink a full glass of water right now.", 5, "health"),
    ("Ten-minute walk", "Take a ten-minute walk outside, phone in your pocket.", 15, "health"),
    ("Read a chapter", "Read one chapter of a book you have been meaning to finish.", 20, "mind"),
    ("New word", "Learn a new word and use it in a sentence today.", 10, "mind"),
    ("Tidy one drawer", "Clear out and tidy one drawer or shelf.", 15, "home"),
    ("Call a friend", "Call or message a friend you have not talked to in a while.", 20, "social"),
    ("Say thank you", "Thank someone for something specific they did.", 10, "social"),
    ("Three good things", "Write down three good things that happened today.", 10, "mind"),
    ("Screen-free hour", "Spend one hour without any screen.", 25, "health"),
    ("Cook something new", "Cook a meal or snack you have never made before.", 25, "home"),
    ("Plan tomorrow", "Write the three most important things to do tomorrow.", 10, "mind"),
]


def upgrade() -> None:
    missions = op.create_table(
        "missions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
    )
    op.create_index(op.f("ix_missions_active"), "missions", ["active"])
    op.create_table(
        "mission_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mission_assignments_mission_id_missions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_assignments")),
        sa.UniqueConstraint("user_id", "day", name=op.f("uq_mission_assignments_user_id")),
    )
    op.create_index("ix_mission_assignments_day_status", "mission_assignments", ["day", "status"])
    op.create_table(
        "streaks",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("best", sa.Integer(), nullable=False),
        sa.Column("last_completed_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_streaks")),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("user_id", "reason", "reference", name=op.f("uq_transactions_user_id")),
    )
    op.create_index("ix_transactions_user_id_id", "transactions", ["user_id", "id"])
    op.create_table(
        "balances",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("streak_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_balances")),
    )
    op.create_table(
        "referral_rewards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invitee_id", sa.BigInteger(), nullable=False),
        sa.Column("inviter_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_rewards")),
        sa.UniqueConstraint("invitee_id", name=op.f("uq_referral_rewards_invitee_id")),
    )
    op.create_index(op.f("ix_referral_rewards_inviter_id"), "referral_rewards", ["inviter_id"])
    op.create_index(op.f("ix_referral_rewards_paid_at"), "referral_rewards", ["paid_at"])
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        missions,
        [
            {
                "title": t,
                "description": d,
                "points": p,
                "kind": k,
                "active": True,
                "created_at": now,
            }
            for t, d, p, k in CATALOGUE
        ],
    )


def downgrade() -> None:
    for table in (
        "referral_rewards",
        "balances",
        "transactions",
        "streaks",
        "mission_assignments",
        "missions",
    ):
        op.drop_table(table)
