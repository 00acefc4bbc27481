"""Console sessions and one-time login tokens, kept in the database (every process of the
bot shares them); tokens are stored hashed, login tokens are used once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from bot.core.kernel import Database, PurgeRequest, delete_in_batches, insert_missing, rowcount
from bot.core.web.models import ConsoleLogin, ConsoleSession

SESSION_TTL = timedelta(hours=12)
LOGIN_TTL = timedelta(minutes=5)
TOKEN_MAX = 200  # a longer cookie or token is no token of ours


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: whose it is and the CSRF token its changes must carry."""

    user_id: int
    csrf: str


async def open_session(db: Database, user_id: int, now: datetime) -> tuple[str, Session]:
    """A new session for ``user_id``: the cookie's value and the session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = {
        "token_hash": digest(token),
        "user_id": user_id,
        "csrf": csrf,
        "created_at": now,
        "expires_at": now + SESSION_TTL,
    }
    async with db.session() as session:
        await session.execute(insert(ConsoleSession).values(row))
    return token, Session(user_id, csrf)


async def find_session(db: Database, token: str, now: datetime) -> Session | None:
    """The live session whose cookie is ``token``; None for an unknown or ended one."""
    if not token or len(token) > TOKEN_MAX:
        return None
    query = select(ConsoleSession.user_id, ConsoleSession.csrf).where(
        ConsoleSession.token_hash == digest(token), ConsoleSession.expires_at > now
    )
    async with db.session() as session:
        found = (await session.execute(query)).first()
    return None if found is None else Session(found.user_id, found.csrf)


async def close_session(db: Database, token: str) -> None:
    async with db.session() as session:
        await session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == digest(token))
        )


async def issue_login(db: Database, user_id: int, now: datetime) -> str:
    """A one-time login token for ``user_id``, valid for :data:`LOGIN_TTL`."""
    token = secrets.token_urlsafe(32)
    row = {
        "token_hash": digest(token),
        "user_id": user_id,
        "created_at": now,
        "expires_at": now + LOGIN_TTL,
    }
    async with db.session() as session:
        await session.execute(insert(ConsoleLogin).values(row))
    return token


async def spend_init_data(db: Database, signature: str, user_id: int, now: datetime) -> bool:
    """Record that the initData signed ``signature`` was traded for a session; False when it
    was traded before (a replay: a captured initData opens no second session). Kept as a used
    login token (by its hash) until the purge."""
    row = {
        "token_hash": digest("tma:" + signature),
        "user_id": user_id,
        "created_at": now,
        "expires_at": now + SESSION_TTL,
        "used_at": now,
    }
    async with db.session() as session:
        inserted = await insert_missing(session, ConsoleLogin, **row)
    return inserted


async def redeem_login(db: Database, token: str, now: datetime) -> int | None:
    """The user a live, unused login token was issued to, marking it used (one statement
    decides, so two tabs racing with one link get one session); None otherwise."""
    if not token or len(token) > TOKEN_MAX:
        return None
    hashed = digest(token)
    live = (
        ConsoleLogin.token_hash == hashed,
        ConsoleLogin.used_at.is_(None),
        ConsoleLogin.expires_at > now,
    )
    async with db.session() as session:
        user_id = await session.scalar(select(ConsoleLogin.user_id).where(*live))
        if user_id is None:
            return None
        used = await session.execute(update(ConsoleLogin).where(*live).values(used_at=now))
        return int(user_id) if rowcount(used) == 1 else None


async def purge_sessions(request: PurgeRequest) -> int:
    """Ended sessions and login tokens (used or not) once they expired."""
    sessions = await delete_in_batches(
        request.db,
        ConsoleSession.id,
        ConsoleSession.expires_at <= request.now,
        batch_size=request.batch_size,
    )
    logins = await delete_in_batches(
        request.db,
        ConsoleLogin.id,
        ConsoleLogin.expires_at <= request.now,
        batch_size=request.batch_size,
    )
    return sessions.rows + logins.rows
