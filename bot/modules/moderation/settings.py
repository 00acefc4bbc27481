"""The moderation module's settings: who reviews, where, and by which rules.

``MODERATOR_IDS`` (default: ``ADMIN_IDS``), ``MODERATION_CHAT_ID`` (their group, if any)
and ``MODERATION__<RULE>`` (the automatic checks on /suggest and the review that follows).
The application's settings compose this class (``bot/settings.py``); the module reads it
with ``services.settings.of(ModerationSettings)``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.core.kernel import Settings, empty_is_none, split_ids
from bot.core.people import N_


class ModerationRules(BaseModel):
    """Rules of the automatic checks on /suggest and of the review that follows."""

    max_text_length: int = Field(default=4096, ge=1, le=4096)
    max_caption_length: int = Field(default=1024, ge=1, le=1024)
    media_types: list[Literal["photo", "video"]] = Field(default=["photo", "video"])
    allow_links: bool = False
    blocked_words: list[str] = Field(default_factory=list)
    blocked_patterns: list[str] = Field(default_factory=list)
    max_pending_per_author: int = Field(default=3, ge=1, le=1000)
    max_per_day: int = Field(default=5, ge=1, le=10_000)
    # The defaults are translated where they are shown (see cards.reason_text).
    reject_reasons: list[str] = Field(
        default=[N_("off-topic"), N_("low quality"), N_("spam")], min_length=1, max_length=6
    )
    sla_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    backlog_alert: int = Field(default=20, ge=1)
    slot_minutes: int = Field(default=60, ge=1, le=24 * 60)
    retention_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("blocked_patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"blocked pattern {pattern!r} is not a regex: {exc}") from None
        return value

    @field_validator("reject_reasons")
    @classmethod
    def _short_reasons(cls, value: list[str]) -> list[str]:
        if any(not 0 < len(reason.strip()) <= 40 for reason in value):
            raise ValueError("each reject reason needs 1 to 40 characters")
        return value


class ModerationSettings(Settings):
    """The settings the moderation module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    moderation: ModerationRules = Field(default_factory=ModerationRules)
    # Who reviews /suggest submissions (default: ADMIN_IDS), and their group chat if any.
    moderator_ids: Annotated[tuple[int, ...], NoDecode] = ()
    moderation_chat_id: int | None = None

    @field_validator("moderator_ids", mode="before")
    @classmethod
    def _split_moderator_ids(cls, value: Any) -> Any:
        return split_ids(value)

    @field_validator("moderation_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: Any) -> Any:
        return empty_is_none(value)

    @property
    def moderators(self) -> tuple[int, ...]:
        return self.moderator_ids or self.admin_ids
