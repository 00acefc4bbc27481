"""What a Telegram message offers as a submission."""

from __future__ import annotations

from telegram import Message

from bot.modules.moderation.checks import Draft


def draft_of(message: Message, body: str) -> Draft:
    """The submission a message carries; media is named by its Bot API type."""
    entities = (*message.entities, *message.caption_entities)
    links = any(entity.type in ("url", "text_link", "mention") for entity in entities)
    if message.photo:
        size = message.photo[-1]
        return Draft("photo", body, size.file_unique_id, size.file_id, links)
    attachment = message.effective_attachment
    if message.text is not None or attachment is None:
        return Draft("text", body, None, None, links)
    kind = "video" if message.video else type(attachment).__name__.lower()
    unique = getattr(attachment, "file_unique_id", None)
    return Draft(kind, body, unique, getattr(attachment, "file_id", None), links)
