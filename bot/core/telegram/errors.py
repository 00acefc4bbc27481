"""What becomes of an exception that no handler caught.

Without this, PTB only logs it and the user is left with no answer (and a pressed
button spins until Telegram gives up). Here the user gets a short answer with a
reference, the traceback is logged with that reference, and the admins hear of
each kind of failure (exception type and the handler it escaped from) at most
once an hour, so a failure that repeats on every update does not flood them.

What the handler had written is not half kept: every write runs in
``Database.session()``, one transaction that an exception rolls back.
"""

from __future__ import annotations

import secrets
import traceback
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.core.alerts import to_admins
from bot.core.delivery import Priority
from bot.core.kernel import get_logger, redact
from bot.core.people import N_, _, ngettext

if TYPE_CHECKING:
    from telegram.ext import CallbackContext

    from bot.core.delivery import Posting

log = get_logger(__name__)

REPLY = N_("Something went wrong on our side (ref {ref}). The admins have been told.")
ALERT_QUIET = timedelta(hours=1)


def origin(error: BaseException) -> str:
    """Where ``error`` escaped from: the outermost frame in a feature module (the handler),
    else the outermost frame of the bot's own code, e.g. ``missions.handlers.done_pressed``."""
    fallback = "unknown"
    for frame, _line in traceback.walk_tb(error.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith("bot.modules."):
            return f"{module.removeprefix('bot.modules.')}.{frame.f_code.co_name}"
        if module.startswith("bot.") and fallback == "unknown":
            fallback = f"{module.removeprefix('bot.')}.{frame.f_code.co_name}"
    return fallback


class ErrorReporter:
    """PTB's error handler: answer the user, log with a reference, alert the admins."""

    __slots__ = ("_last_alert", "_quiet", "posting")

    def __init__(self, posting: Posting) -> None:
        self.posting = posting
        self._last_alert: dict[str, datetime] = {}
        self._quiet: Counter[str] = Counter()  # errors of a kind not alerted since the last

    async def __call__(self, update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        error = context.error
        if error is None:
            return
        ref, where = secrets.token_hex(3), origin(error)
        if isinstance(error, Forbidden):
            await self._refused(update, ref, where, error)
            return
        kind = f"{type(error).__name__} in {where}"
        log.error("unhandled error", ref=ref, where=where, exc_info=error)
        if isinstance(update, Update):
            await self._answer(update, context, ref)
        await self._alert(kind, ref, error)

    async def _refused(self, update: object, ref: str, where: str, error: Forbidden) -> None:
        """The chat refused the answer (the user blocked the bot while it was answering,
        or the bot left the group): a normal day, not a bug to alert on. Telegram's update
        about the block marks the user unreachable; a pressed button still gets its answer."""
        log.warning("the chat refused the answer", ref=ref, where=where, error=error.message)
        query = update.callback_query if isinstance(update, Update) else None
        if query is not None:
            try:
                await query.answer()
            except TelegramError as exc:
                log.warning("the press could not be answered", ref=ref, error=str(exc))

    async def _answer(
        self, update: Update, context: CallbackContext[Any, Any, Any, Any], ref: str
    ) -> None:
        """A pressed button is answered, a payment check refused, a message replied to."""
        text = _(REPLY).format(ref=ref)
        chat, user = update.effective_chat, update.effective_user
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.pre_checkout_query is not None:
                await update.pre_checkout_query.answer(ok=False, error_message=text)
            elif chat is not None and user is not None and update.effective_message is not None:
                await context.bot.send_message(chat.id, text)
        except TelegramError as exc:
            log.warning("the user could not be told about an error", ref=ref, error=str(exc))

    async def _alert(self, kind: str, ref: str, error: BaseException) -> None:
        now = self.posting.clock.now()
        last = self._last_alert.get(kind)
        if last is not None and now - last < ALERT_QUIET:
            self._quiet[kind] += 1
            return
        self._last_alert[kind] = now
        more = self._quiet.pop(kind, 0)
        detail = redact(str(error))[:500]

        def text() -> str:
            head = _("⚠️ Unhandled error (ref {ref}): {kind}").format(ref=ref, kind=kind)
            if not more:
                return f"{head}\n{detail}"
            tail = ngettext(
                "{count} more of this kind since the last alert (see the log).",
                "{count} more of this kind since the last alert (see the log).",
                more,
            )
            return f"{head}\n{detail}\n{tail.format(count=more)}"

        try:
            async with self.posting.db.session() as session:
                await to_admins(self.posting, session, f"error:{ref}", Priority.ALERT, text=text)
        except Exception:  # the database may be what failed; the log has it all
            del self._last_alert[kind]
            self._quiet[kind] += more
            log.exception("the admins could not be alerted", ref=ref)
