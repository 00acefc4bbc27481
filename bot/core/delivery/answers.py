"""One claimed row, sent: Telegram's answer decides what becomes of it.

403 -> the user is unreachable (never retried, their later rows skipped), migrated
group -> new chat id and resend, 5xx/time-outs -> backoff, 400 -> failed. Who is
unreachable is remembered here as a shortcut, refreshed from the database for the
users of every claim and forgotten as soon as a user becomes reachable again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.core.delivery import claims, paid
from bot.core.delivery.claims import Claimed, Outcome
from bot.core.delivery.outbox import OutboxStatus
from bot.core.delivery.transport import Transport, UnknownMethod
from bot.core.kernel import ChatMigrated as ChatMigratedEvent
from bot.core.kernel import UserBecameReachable, UserBecameUnreachable, get_logger, redact
from bot.core.people import users

if TYPE_CHECKING:
    from bot.core.delivery.posting import Posting

log = get_logger(__name__)
MAX_BACKOFF = 3600.0
UNREACHABLE = "recipient unreachable"


class Deliverer:
    """Sends rows through the bulk lane and turns each answer into an :class:`Outcome`."""

    __slots__ = ("posting", "transport", "unreachable")

    def __init__(self, posting: Posting, bot: ExtBot[Any]) -> None:
        settings = posting.settings
        self.posting = posting
        self.transport = Transport(bot, settings.media_dir, paid=settings.allow_paid_broadcast)
        self.unreachable: set[int] = set()
        posting.bus.subscribe(UserBecameReachable, self._reachable_again)

    async def _reachable_again(self, event: UserBecameReachable) -> None:
        self.unreachable.discard(event.user_id)

    async def refresh(self, session: AsyncSession, rows: list[Claimed]) -> None:
        """Learn, for the users of ``rows``, exactly who is unreachable now (a user who
        unblocked the bot or pressed /start, in this process or another, is forgotten)."""
        wanted = {row.user_id for row in rows if row.user_id is not None}
        self.unreachable -= wanted
        self.unreachable |= await claims.unreachable_among(session, wanted)

    async def deliver(self, row: Claimed) -> Outcome:
        """Send ``row`` and decide its fate from Telegram's answer."""
        if row.user_id is not None and row.user_id in self.unreachable:
            return self._final(row, row.chat_id, OutboxStatus.SKIPPED, UNREACHABLE, tried=False)
        chat_id, payload = row.chat_id, row.payload
        for _ in range(3):  # a group can migrate once, a paid send fall back; allow a spare
            try:
                message_id = await self.transport.send(row.method, chat_id, payload)
            except ChatMigrated as exc:
                self._error("migrated")
                await self._migrated(chat_id, int(exc.new_chat_id))
                chat_id = int(exc.new_chat_id)
                continue
            except Forbidden as exc:
                self._error("forbidden")
                await self._blocked(row, chat_id, exc.message)
                return self._final(row, chat_id, OutboxStatus.FAILED, exc.message)
            except BadRequest as exc:
                self._error("bad_request")
                if paid.FLAG in payload and paid.BALANCE_TOO_LOW in exc.message.lower():
                    await self.posting.outbox.paid.refused(row)
                    payload = paid.unpaid(payload)  # the free rate, at once
                    continue
                return self._final(row, chat_id, OutboxStatus.FAILED, exc.message)
            except (TimedOut, NetworkError) as exc:
                self._error("timed_out" if isinstance(exc, TimedOut) else "network")
                return self.retry(row, chat_id, f"{type(exc).__name__}: {exc.message}")
            except (TelegramError, UnknownMethod, TypeError) as exc:
                self._error("other")
                return self._final(row, chat_id, OutboxStatus.FAILED, repr(exc))
            return Outcome(row, OutboxStatus.SENT, chat_id, self.posting.clock.now(), message_id)
        return self._final(row, chat_id, OutboxStatus.FAILED, "chat migrated or refused repeatedly")

    def _final(
        self, row: Claimed, chat_id: int, status: OutboxStatus, error: str, *, tried: bool = True
    ) -> Outcome:
        error = redact(error)  # stored as last_error: an answer may echo a secret
        return Outcome(row, status, chat_id, self.posting.clock.now(), error=error, tried=tried)

    def retry(self, row: Claimed, chat_id: int, error: str) -> Outcome:
        """Pending again after a backoff, or failed when this was the last attempt."""
        settings, error = self.posting.settings, redact(error)
        tried = row.attempts + 1
        if tried >= settings.outbox_max_attempts:
            return self._final(row, chat_id, OutboxStatus.FAILED, f"gave up: {error}")
        delay = min(MAX_BACKOFF, settings.outbox_retry_seconds * 2 ** (tried - 1))
        now = self.posting.clock.now()
        retry_at = now + timedelta(seconds=delay)
        return Outcome(row, OutboxStatus.PENDING, chat_id, now, error=error, retry_at=retry_at)

    def _error(self, kind: str) -> None:
        self.posting.metrics.telegram_errors.labels(kind).inc()

    async def _blocked(self, row: Claimed, chat_id: int, reason: str) -> None:
        """A private chat refused us: the user is unreachable until they come back."""
        user_id = row.user_id if row.user_id is not None else chat_id
        if chat_id <= 0 or user_id != chat_id:
            return
        reason = redact(reason)
        self.unreachable.add(user_id)
        if len(self.unreachable) > 100_000:  # the database remembers; this is a shortcut
            self.unreachable = {user_id}
        async with self.posting.db.session() as session:
            changed = await users.set_reachable(session, user_id, False, reason)
            await claims.skip_pending_for_chat(session, chat_id, UNREACHABLE)
        if changed:
            await self.posting.bus.publish(UserBecameUnreachable(user_id, reason))

    async def _migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self.posting.db.session() as session:
            await claims.move_chat(session, old_chat_id, new_chat_id)
        log.info("chat migrated", old_chat_id=old_chat_id, new_chat_id=new_chat_id)
        await self.posting.bus.publish(ChatMigratedEvent(old_chat_id, new_chat_id))
