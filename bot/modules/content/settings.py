"""The content module's settings: the feeds channel posts are imported from
(``FEEDS``, ``FEED_TIMEOUT_SECONDS``, ``FEED_MAX_NEW_PER_RUN``, ``FEED_MAX_ITEMS``,
``FEED_SEEN_DAYS``) and where their downloads may go (``FEED_ALLOW_HTTP``,
``FEED_ALLOW_PRIVATE``). The application's settings compose this class (``bot/settings.py``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.core.kernel import Settings
from bot.modules.content.feed_address import AddressPolicy, Network, parse_networks


class FeedSource(BaseModel):
    """One feed to import channel posts from, with an optional backup URL."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[\w.-]+$")
    url: str
    backup_url: str | None = None

    @field_validator("url", "backup_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """The shape of a URL; whether it may be fetched is the policy's (``feeds``)."""
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"feed URL must start with https://, got {value!r}")
        return value


class ContentSettings(Settings):
    """The settings the content module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    # Declared before FEEDS, which is checked against them.
    # Plain http:// feeds (and redirects to http://); off: a feed is read over TLS or not at all.
    feed_allow_http: bool = False
    # Addresses or networks that are not public but that feeds may reach (a LAN, a test server).
    feed_allow_private: Annotated[tuple[Network, ...], NoDecode] = ()
    feeds: Annotated[list[FeedSource], NoDecode] = Field(default_factory=list)
    # Seconds one feed download may take before the backup URL is tried.
    feed_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # New items of one feed queued per import run (the newest); the others are marked seen.
    feed_max_new_per_run: int = Field(default=5, ge=1, le=100)
    # Items read of one feed document (the newest); the rest are ignored and counted.
    feed_max_items: int = Field(default=500, ge=1, le=10_000)
    # Days an item no longer in its feed is remembered as seen before the row is purged.
    feed_seen_days: int = Field(default=90, ge=1, le=3650)

    @property
    def feed_policy(self) -> AddressPolicy:
        """Where feed downloads may go."""
        return AddressPolicy(self.feed_allow_http, self.feed_allow_private)

    @field_validator("feed_allow_private", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            value = ",".join(str(part) for part in value)
        return parse_networks(value) if isinstance(value, str) else value

    @field_validator("feeds", mode="before")
    @classmethod
    def _feeds_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value) if value.strip() else []
        except ValueError as exc:
            raise ValueError(f"not valid JSON ({exc}); expected a list of {{name, url}}") from None

    @field_validator("feeds")
    @classmethod
    def _fetchable(cls, feeds: list[FeedSource], info: ValidationInfo) -> list[FeedSource]:
        """Each URL within FEED_ALLOW_HTTP and FEED_ALLOW_PRIVATE (as far as it can be told
        without a DNS lookup: an address written in the URL)."""
        policy = AddressPolicy(
            bool(info.data.get("feed_allow_http", False)), info.data.get("feed_allow_private", ())
        )
        for index, feed in enumerate(feeds):
            for field, url in (("url", feed.url), ("backup_url", feed.backup_url)):
                if url is not None and (problem := policy.url_problem(url)):
                    raise ValueError(f"feed {feed.name!r} {field} (FEEDS[{index}]): {problem}")
        return feeds
