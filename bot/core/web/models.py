"""The console's tables: sessions, one-time login tokens and the audit log.

Every process serving the console shares them (a session made by one works on another).
Tokens are stored as their SHA-256, never as themselves: the table alone opens nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class ConsoleSession(Base):
    """A browser's session: the cookie's hash, whose it is, its CSRF token, its end."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ConsoleLogin(Base):
    """A one-time login link's token (its hash): one admin, a few minutes, used once."""

    __tablename__ = "console_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class ConsoleAudit(Base):
    """One action taken in the console: who, what, on what, when, and how it ended."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(16))  # ok | refused | error
    detail: Mapped[str | None] = mapped_column(String(300))
