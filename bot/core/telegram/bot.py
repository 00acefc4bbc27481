"""Direct replies that always fit: texts and captions split the way the outbox splits them.

Telegram refuses a text over 4096 UTF-16 units (a caption over 1024) outright, so a
reply that grew with the data (``/jobhistory 50`` after a day of errors) would reach
the user as nothing at all. ``CompanionBot`` cuts such a text into consecutive
messages (at line breaks, then spaces; buttons under the last one), so no handler has
to think about it. Lists that can grow without bound should still page or
:func:`shorten` what they show: splitting is the safety net, not the design.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.core.delivery import MAX_CAPTION, MAX_TEXT, split_caption, split_text, utf16_len
from bot.core.people import _, number

# Telegram's answer to an edit that changes nothing (PTB keeps only its first letter's case).
NOT_MODIFIED = "message is not modified"


def shorten(text: str, limit: int, *, html: bool = False) -> str:
    """``text`` cut to ``limit`` UTF-16 units, with a note saying how long it really was
    (``html``: Telegram HTML, cut between tags and entities, open tags closed)."""
    if utf16_len(text) <= limit:
        return text
    note = "… " + _("(truncated: {count} characters in all)").format(count=number(len(text)))
    head = split_text(text, max(limit - utf16_len(note), 2), html=html)[0]
    return head + (escape(note) if html else note)


def fit_lines(head: str, lines: Sequence[str], limit: int = MAX_TEXT) -> str:
    """``head`` then as many of ``lines`` as fit in one message of ``limit`` UTF-16 units;
    when some are left out, a last line says how many ("… and 12 more"), so a list cut
    to fit never looks complete."""
    used, kept = utf16_len(head), 0
    for line in lines:
        if used + 1 + utf16_len(line) > limit:
            break
        used, kept = used + 1 + utf16_len(line), kept + 1
    while kept < len(lines):
        tail = _("… and {count} more").format(count=number(len(lines) - kept))
        if used + 1 + utf16_len(tail) <= limit or kept == 0:
            return "\n".join([head, *lines[:kept], tail])
        kept -= 1
        used -= 1 + utf16_len(lines[kept])
    return "\n".join([head, *lines])


def preview(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis when it was longer
    (a list item: a suggestion, a queued post)."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


class CompanionBot(ExtBot[Any]):
    """PTB's bot whose ``send_message``, ``edit_message_text`` and ``send_photo`` split
    what does not fit into several messages instead of failing."""

    __slots__ = ()

    async def send_message(
        self, chat_id: int | str, text: str, *args: Any, **kwargs: Any
    ) -> Message:
        if utf16_len(text) <= MAX_TEXT:
            return await super().send_message(chat_id, text, *args, **kwargs)
        parts = split_text(text, html=self._html(args[:1], kwargs))
        return await self._send_parts(chat_id, parts, args, kwargs)

    def _html(self, positional: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether the call's text is Telegram HTML (its ``parse_mode``, else the default)."""
        default = self.defaults.parse_mode if self.defaults else None
        mode = positional[0] if positional else kwargs.get("parse_mode", default)
        return str(mode or "").upper() == ParseMode.HTML.upper()

    async def edit_message_text(self, text: str, *args: Any, **kwargs: Any) -> Message | bool:
        """The message becomes the first part; the rest follow as new messages. A message
        that already shows this text and these buttons (the same button pressed twice) is
        left as it is: Telegram's "message is not modified" is the edit's aim, not an error.
        """
        try:
            return await self._edit_text(text, args, kwargs)
        except BadRequest as exc:
            if NOT_MODIFIED not in exc.message.lower():
                raise
            return True

    async def _edit_text(
        self, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Message | bool:
        chat_id, html = kwargs.get("chat_id"), self._html((), kwargs)
        if utf16_len(text) <= MAX_TEXT or chat_id is None or args:
            short = shorten(text, MAX_TEXT, html=html)
            return await super().edit_message_text(short, *args, **kwargs)
        first, *rest = split_text(text, html=html)
        markup = kwargs.pop("reply_markup", None)
        edited = await super().edit_message_text(first, **kwargs)
        extra = _text_options(kwargs)
        await self._send_parts(chat_id, rest, (), {**extra, "reply_markup": markup})
        return edited

    async def send_photo(
        self, chat_id: int | str, photo: Any, *args: Any, **kwargs: Any
    ) -> Message:
        caption = kwargs.get("caption")
        if not caption or utf16_len(caption) <= MAX_CAPTION or args:
            return await super().send_photo(chat_id, photo, *args, **kwargs)
        first, *rest = split_caption(caption, html=self._html((), kwargs))
        markup = kwargs.pop("reply_markup", None)
        await super().send_photo(chat_id, photo, **{**kwargs, "caption": first})
        extra = _text_options(kwargs)
        return await self._send_parts(chat_id, rest, (), {**extra, "reply_markup": markup})

    async def _send_parts(
        self, chat_id: int | str, parts: list[str], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Message:
        """Each part as its own message: buttons under the last, a quote on the first."""
        markup = kwargs.pop("reply_markup", None)
        sent: Message | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            options = {**kwargs, "reply_markup": markup} if last else dict(kwargs)
            if index:
                options.pop("reply_parameters", None)
                options.pop("reply_to_message_id", None)
            sent = await super().send_message(chat_id, part, *args, **options)
        assert sent is not None  # split_text always returns at least one part
        return sent


def _text_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a follow-up text message keeps of the original call."""
    keep = (
        "parse_mode",
        "disable_notification",
        "protect_content",
        "message_thread_id",
        "rate_limit_args",
        "read_timeout",
        "write_timeout",
        "connect_timeout",
        "pool_timeout",
    )
    return {key: kwargs[key] for key in keep if key in kwargs}
