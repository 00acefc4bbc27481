"""Tables of the missions module: the catalogue, daily assignments, streaks."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base

TITLE_MAX = 80
DESCRIPTION_MAX = 300


class AssignmentStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    MISSED = "missed"


class Mission(Base):
    """One entry of the catalogue; retired missions stay (assignments refer to them)."""

    __tablename__ = "missions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX))
    points: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime]
    # The title and description in other languages: {"uk": {"title": ..., "description": ...}};
    # a reader whose language is missing reads ``title`` and ``description``.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )

    def title_in(self, language: str) -> str:
        return (self.translations or {}).get(language, {}).get("title") or self.title

    def description_in(self, language: str) -> str:
        found = (self.translations or {}).get(language, {}).get("description")
        return found or self.description


class MissionAssignment(Base):
    """A user's mission for one local day; at most one per user and day."""

    __tablename__ = "mission_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "day"),
        Index("ix_mission_assignments_day_status", "day", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default=AssignmentStatus.OPEN)
    assigned_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # The end of ``day`` in the user's zone when the mission was issued: the deadline, which
    # a later change of zone does not move (None: issued before it was stored).
    ends_at: Mapped[datetime | None]


class Streak(Base):
    """Consecutive days with a completed mission, as of ``last_completed_day``."""

    __tablename__ = "streaks"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    current: Mapped[int] = mapped_column(Integer, default=0)
    best: Mapped[int] = mapped_column(Integer, default=0)
    last_completed_day: Mapped[date | None] = mapped_column(Date)
