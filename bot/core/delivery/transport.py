"""How one outbox row becomes Bot API calls: split long texts, upload local photos.

Every call goes through PTB's bot with ``rate_limit_args={"lane": "bulk"}``, so the
rate limiter paces it behind interactive replies.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from telegram import (
    InputFile,
    InputPaidMedia,
    InputPaidMediaPhoto,
    InputPaidMediaVideo,
    Message,
)
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from bot.core.delivery.split import MAX_CAPTION, split_caption, split_text

BULK_ARGS: dict[str, Any] = {"lane": "bulk"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# ``_send_raw`` calls sendMessage through ``do_api_request`` on purpose (see there).
warnings.filterwarnings(
    "ignore", r"Please use 'Bot\.sendMessage' instead", PTBUserWarning, __name__
)


class UnknownMethod(Exception):
    """The row names a Bot API method this bot does not know."""


class Transport:
    """Sends one outbox row's payload to a chat; returns the id of the last message sent."""

    __slots__ = ("bot", "media_dir", "paid")

    def __init__(self, bot: ExtBot[Any], media_dir: Path, *, paid: bool = False) -> None:
        self.bot, self.media_dir, self.paid = bot, media_dir.resolve(), paid

    async def send(self, method: str, chat_id: int, payload: dict[str, Any]) -> int | None:
        params = dict(payload)
        if self.paid and method.startswith("send"):  # deleteMessage, editMessageText: no
            params["allow_paid_broadcast"] = True
        if method == "sendMessage":
            return await self._send_text(chat_id, params)
        if method == "sendPhoto":
            return await self._send_photo(chat_id, params)
        if method == "sendPaidMedia":  # a row keeps its media as JSON; PTB wants objects
            params["media"] = [self._paid_media(item) for item in params.get("media", [])]
        return await self._call(method, chat_id, params)

    def _paid_media(self, item: dict[str, Any]) -> InputPaidMedia:
        """``{"type": "photo"|"video", "media": <file_id, URL or MEDIA_DIR file>}``."""
        kind = InputPaidMediaVideo if item.get("type") == "video" else InputPaidMediaPhoto
        return kind(media=self._photo(str(item.get("media", ""))))

    async def _send_text(self, chat_id: int, params: dict[str, Any]) -> int | None:
        """Consecutive messages; buttons go under the last one."""
        parts = split_text(str(params.pop("text", "")), html=_html(params))
        markup = params.pop("reply_markup", None)
        message_id = None
        for index, part in enumerate(parts):
            extra = {"reply_markup": markup} if markup and index == len(parts) - 1 else {}
            message_id = await self._call("sendMessage", chat_id, {**params, **extra, "text": part})
        return message_id

    async def _send_photo(self, chat_id: int, params: dict[str, Any]) -> int | None:
        params["photo"] = self._photo(str(params.get("photo", "")))
        caption = params.pop("caption", None)
        parts = split_caption(str(caption), MAX_CAPTION, html=_html(params)) if caption else []
        first = {"caption": parts[0]} if parts else {}
        message_id = await self._call("sendPhoto", chat_id, {**params, **first})
        text_params = {
            k: v for k, v in params.items() if k in ("parse_mode", "allow_paid_broadcast")
        }
        for part in parts[1:]:
            message_id = await self._call("sendMessage", chat_id, {**text_params, "text": part})
        return message_id

    def _photo(self, photo: str) -> InputFile | str:
        """A file under ``MEDIA_DIR`` is uploaded; anything else is a file_id or URL."""
        if not photo or "://" in photo:
            return photo
        path = (self.media_dir / photo).resolve()
        if path.is_relative_to(self.media_dir) and path.is_file():
            return InputFile(path.read_bytes(), filename=path.name)
        return photo

    async def _call(self, method: str, chat_id: int, params: dict[str, Any]) -> int | None:
        if method == "sendMessage":
            return await self._send_raw(method, chat_id, params)
        func = getattr(self.bot, _CAMEL.sub("_", method).lower(), None)
        if func is None or not method[:1].islower():
            raise UnknownMethod(method)
        result = await func(chat_id=chat_id, **params, rate_limit_args=BULK_ARGS)
        return result.message_id if isinstance(result, Message) else None

    async def _send_raw(self, method: str, chat_id: int, params: dict[str, Any]) -> int | None:
        """The bulk lane's common call without building PTB's ``Message`` from the answer
        (a quarter of a send's CPU at a high rate): only its id is kept. Errors are PTB's
        exceptions, as for any other call."""
        api_kwargs = {"chat_id": chat_id, **params}
        result = await self.bot.do_api_request(method, api_kwargs, rate_limit_args=BULK_ARGS)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return int(message_id) if message_id is not None else None


def _html(params: dict[str, Any]) -> bool:
    """Whether a row's text is Telegram HTML (cut between tags and entities, see split)."""
    return str(params.get("parse_mode") or "").upper() == "HTML"
