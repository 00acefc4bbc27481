"""One row per admin announcement; its messages are outbox rows keyed ``broadcast:<id>:<user>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    total: Mapped[int] = mapped_column(Integer, default=0)
    # The tally once nothing is waiting, paused or with the sender any more (it cannot change
    # then): listing broadcasts counts the outbox rows of running ones only.
    final: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The audience it was sent to (``bot/core/people/audience.py``), None: every reachable user.
    audience: Mapped[str | None] = mapped_column(Text, default=None)
    # When (``when.py``): None, sent at once; else at:/local: and every:. A repeated broadcast
    # is a series of rows: the first's id, this one's number in it (0 first), the instant its
    # first occurrence was planned from, and when the next one is queued (None: no more).
    schedule: Mapped[str | None] = mapped_column(Text, default=None)
    series_id: Mapped[int | None] = mapped_column(Integer, default=None)
    occurrence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    anchor: Mapped[datetime | None] = mapped_column(default=None)
    next_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # Variants (``measure.py``): the texts split across the audience, ``text`` being the first;
    # None: one text. Buttons: ``[{"label": ..., "url": ...}]`` under every copy, counted.
    variants: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)


class BroadcastDraft(Base):
    """A broadcast the admin saw counted and previewed and has not confirmed yet: the Send
    button takes it (deletes it and queues the broadcast in one transaction, so a second
    press sends nothing), Cancel drops it. Kept in the database, so a restart keeps it."""

    __tablename__ = "broadcast_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    reach: Mapped[int] = mapped_column(Integer, default=0)  # as counted when drafted
    schedule: Mapped[str | None] = mapped_column(Text, default=None)
    variants: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)


class BroadcastOptOut(Base):
    """A recipient who pressed "No more announcements" under a copy of this broadcast."""

    __tablename__ = "broadcast_optouts"

    broadcast_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime]


class BroadcastClick(Base):
    """A recipient's first press of one of a broadcast's buttons (counted once per user)."""

    __tablename__ = "broadcast_clicks"

    broadcast_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    button: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime]
