"""Users are a core concept: every module addresses them, none owns them."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import BigInteger, Boolean, Index, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import USER_ID_MAX, Base, ascii_int, insert_and_get, rowcount
from bot.core.people.zones import zone_of

SOURCE_MAX = 64
# Telegram's own alphabet of start parameters: what a t.me/<bot>?start= link can carry.
SOURCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
REFERRAL_SOURCE = "ref"


class User(Base):
    """A Telegram user who has talked to the bot."""

    __tablename__ = "users"
    # Users per source as they stood at a day's end (the engagement roll-up), from the index.
    __table_args__ = (Index("ix_users_source_created_at", "source", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(128), default="")
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))  # /language; NULL: language_code
    referrer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    # The user's own zone (an IANA name or ``UTC+05:45``, see zones.py); NULL: ``TIMEZONE``.
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    # The start link the user first came through: its ``/start`` payload, ``ref`` for a
    # friend's invite; set once at registration, NULL when they came without one.
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX))


def parse_referrer(payload: str | None, user_id: int) -> int | None:
    """The inviter named by a ``ref_<id>`` start payload; None if invalid or self."""
    if not payload or not payload.startswith("ref_"):
        return None
    referrer = ascii_int(payload.removeprefix("ref_"), 1, USER_ID_MAX)
    return None if referrer in (None, user_id) else referrer


def parse_source(payload: str | None, referrer_id: int | None) -> str | None:
    """The source a new user's ``/start`` payload names: ``ref`` when a friend invited
    them, the payload itself when it is a start parameter (1 to 64 of ``A-Z a-z 0-9 _ -``)
    and not an invite, None otherwise (no payload, an invalid invite, anything else)."""
    if referrer_id is not None:
        return REFERRAL_SOURCE
    if not payload or payload.startswith("ref_") or len(payload) > SOURCE_MAX:
        return None
    return payload if SOURCE_CHARS.issuperset(payload) else None


async def register(
    session: AsyncSession,
    *,
    user_id: int,
    first_name: str,
    username: str | None,
    language_code: str | None,
    payload: str | None,
    now: datetime,
) -> tuple[User, bool]:
    """Create the user on first contact (idempotent); True when new.

    The referrer is recorded only for a new user, when the payload names a Telegram
    user id (the inviter may not be known yet: their own first ``/start`` can be handled
    at the same moment, or later), and never for self-referral or a two-user cycle; so is
    the source (:func:`parse_source`), which later ``/start`` payloads never overwrite.
    """
    user = await session.get(User, user_id)
    if user is None:
        referrer_id = await _valid_referrer(session, parse_referrer(payload, user_id), user_id)
        stored, created = await insert_and_get(
            session,
            User,
            id=user_id,
            first_name=first_name,
            username=username,
            language_code=language_code,
            referrer_id=referrer_id,
            source=parse_source(payload, referrer_id),
            reachable=True,
            created_at=now,
            last_seen_at=now,
        )
        if created:  # else the same user's other update (or process) created it just now
            return stored, True
        user = stored
    user.first_name, user.username, user.last_seen_at = first_name, username, now
    user.language_code = language_code or user.language_code
    if not user.reachable:
        user.reachable, user.unreachable_reason = True, None
    return user, False


async def _valid_referrer(
    session: AsyncSession, referrer_id: int | None, user_id: int
) -> int | None:
    """``referrer_id`` unless it names a known user who was invited by ``user_id`` (a
    cycle). An inviter not known yet is kept: the referrals module rewards them only once
    they register, and never if they do not."""
    if referrer_id is None:
        return None
    inviter = await session.get(User, referrer_id)
    if inviter is not None and inviter.referrer_id == user_id:
        return None
    return referrer_id


async def set_reachable(
    session: AsyncSession, user_id: int, reachable: bool, reason: str | None = None
) -> bool:
    """Mark a user (un)reachable; True when this changed their state."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.reachable.is_not(reachable))
        .values(reachable=reachable, unreachable_reason=None if reachable else reason)
    )
    return bool(rowcount(result))


async def count_users(
    session: AsyncSession, *, reachable_only: bool = False, before: datetime | None = None
) -> int:
    """Registered users (``before``: those who had registered by then)."""
    query = select(func.count()).select_from(User)
    if before is not None:
        query = query.where(User.created_at < before)
    if reachable_only:
        query = query.where(User.reachable.is_(True))
    return int(await session.scalar(query) or 0)


async def count_new_users(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Users who registered in ``[start, end)``."""
    query = select(func.count()).where(User.created_at >= start, User.created_at < end)
    return int(await session.scalar(query) or 0)


async def count_invited(session: AsyncSession, referrer_id: int) -> int:
    """How many users joined through ``referrer_id``'s invite link."""
    query = select(func.count()).select_from(User).where(User.referrer_id == referrer_id)
    return int(await session.scalar(query) or 0)


async def set_timezone(session: AsyncSession, user_id: int, zone: str | None) -> bool:
    """Store a user's zone (None: follow ``TIMEZONE``); False for an unknown user."""
    result = await session.execute(update(User).where(User.id == user_id).values(timezone=zone))
    return bool(rowcount(result))


async def timezone_of(session: AsyncSession, user_id: int) -> str | None:
    """The zone a user chose, or None (unset, or no such user)."""
    zone: str | None = await session.scalar(select(User.timezone).where(User.id == user_id))
    return zone


async def zone_for(session: AsyncSession, user_id: int, default: tzinfo) -> tzinfo:
    """The zone a user reads times in: the one they chose, else ``default`` (``TIMEZONE``)."""
    return zone_of(await timezone_of(session, user_id), default)
