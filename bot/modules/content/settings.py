"""The content module's settings: the feeds channel posts are imported from
(``FEEDS``, ``FEED_TIMEOUT_SECONDS``, ``FEED_MAX_NEW_PER_RUN``). The application's settings
compose this class (``bot/settings.py``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.core.kernel import Settings


class FeedSource(BaseModel):
    """One feed to import channel posts from, with an optional backup URL."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[\w.-]+$")
    url: str
    backup_url: str | None = None

    @field_validator("url", "backup_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"feed URL must start with http:// or https://, got {value!r}")
        return value


class ContentSettings(Settings):
    """The settings the content module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    feeds: Annotated[list[FeedSource], NoDecode] = Field(default_factory=list)
    # Seconds one feed download may take before the backup URL is tried.
    feed_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # New items of one feed queued per import run (the newest); the others are marked seen.
    feed_max_new_per_run: int = Field(default=5, ge=1, le=100)

    @field_validator("feeds", mode="before")
    @classmethod
    def _feeds_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value) if value.strip() else []
        except ValueError as exc:
            raise ValueError(f"not valid JSON ({exc}); expected a list of {{name, url}}") from None
