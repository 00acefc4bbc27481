"""Finding a person by what an admin types (a user id or a @username), and what the bot
knows of them: the People page's search and profile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import USER_ID_MAX, ascii_int
from bot.core.people import User, count_invited, language_of, zone_for

FOUND_MAX = 20
_USERNAME = re.compile(r"@?([A-Za-z0-9_]{1,32})", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class Query:
    """A search: by ``user_id``, or by ``username`` (lower case, without the ``@``)."""

    user_id: int | None = None
    username: str | None = None


def parse_query(text: str) -> Query | None:
    """``123456789`` -> that id; ``@name`` or ``name`` -> that username (case ignored);
    None for anything else (digits that are no user id, spaces, other characters, nothing)."""
    text = text.strip()
    if _DIGITS.fullmatch(text):
        user_id = ascii_int(text, 1, USER_ID_MAX)
        return Query(user_id=user_id) if user_id is not None else None
    match = _USERNAME.fullmatch(text)
    return Query(username=match.group(1).lower()) if match else None


async def find(session: AsyncSession, query: Query, limit: int = FOUND_MAX) -> list[User]:
    """The user with that id; or the users whose username is that one (first) or starts
    with it, at most ``limit``."""
    if query.user_id is not None:
        user = await session.get(User, query.user_id)
        return [user] if user is not None else []
    name = query.username or ""
    lowered = func.lower(User.username)
    prefix = name.replace("_", "\\_") + "%"
    exact = (lowered == name).desc()
    rows = await session.scalars(
        select(User)
        .where(or_(lowered == name, lowered.like(prefix, escape="\\")))
        .order_by(exact, User.username, User.id)
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class Profile:
    """A user as the console shows them: who, which language and zone, since when."""

    user: User
    language: str  # the one they read: their /language choice, else Telegram's
    zone: tzinfo  # the one their times are in: their /timezone, else TIMEZONE
    invited: int  # users who joined through their link


async def profile(session: AsyncSession, user_id: int, default_zone: tzinfo) -> Profile | None:
    """What the bot knows of ``user_id``; None for someone who never started it."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    return Profile(
        user,
        await language_of(session, user_id),
        await zone_for(session, user_id, default_zone),
        await count_invited(session, user_id),
    )
