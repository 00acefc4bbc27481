"""Settings read from the environment and `.env`, validated once at start-up.

Every field is documented in `.env.example`. A bad value stops the process with
one line naming the setting (see :func:`describe_errors`), never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class JobOverride(BaseModel):
    """What settings may change about one declared job."""

    schedule: str | None = None
    enabled: bool = True
    timeout: float | None = Field(default=None, gt=0)
    catchup: float | None = Field(default=None, ge=0)


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


class RetentionSettings(BaseModel):
    """How long finished records live before ``cleanup.daily`` removes them."""

    job_runs_days: int = Field(default=30, ge=1, le=3650)
    job_runs_keep_last: int = Field(default=20, ge=0, le=100_000)
    outbox_days: int = Field(default=14, ge=1, le=3650)
    media_days: int = Field(default=14, ge=1, le=3650)
    redis_idle_days: int = Field(default=30, ge=1, le=3650)
    batch_size: int = Field(default=500, ge=1, le=100_000)


class MonitoringSettings(BaseModel):
    """Thresholds of ``monitoring.health``; an incident opens when one is crossed."""

    missed_grace_seconds: int = Field(default=300, ge=0)
    outbox_stall_minutes: int = Field(default=10, ge=1)
    error_rate_per_check: int = Field(default=20, ge=1)


class ModerationSettings(BaseModel):
    """Rules of the automatic checks on /suggest and of the review that follows."""

    max_text_length: int = Field(default=4096, ge=1, le=4096)
    max_caption_length: int = Field(default=1024, ge=1, le=1024)
    media_types: list[Literal["photo", "video"]] = Field(default=["photo", "video"])
    allow_links: bool = False
    blocked_words: list[str] = Field(default_factory=list)
    blocked_patterns: list[str] = Field(default_factory=list)
    max_pending_per_author: int = Field(default=3, ge=1, le=1000)
    max_per_day: int = Field(default=5, ge=1, le=10_000)
    reject_reasons: list[str] = Field(
        default=["off-topic", "low quality", "spam"], min_length=1, max_length=6
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


class Settings(BaseSettings):
    """All configuration of one Companion process."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = "sqlite+aiosqlite:///./data/companion.sqlite3"
    redis_url: str | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "UTC"
    channel_id: int | None = None
    vip_chat_id: int | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    media_dir: Path = Path("./data/media")
    http_port: int | None = Field(default=None, ge=1, le=65535)

    # Telegram's published limits; the rate limiter stays inside them.
    rate_global_per_second: float = Field(default=30.0, gt=0)
    rate_private_per_second: float = Field(default=1.0, gt=0)
    rate_group_per_minute: float = Field(default=20.0, gt=0)
    rate_private_burst: int = Field(default=3, ge=1, le=100)
    rate_paid_per_second: float = Field(default=1000.0, gt=0)
    rate_margin_seconds: float = Field(default=0.01, ge=0, le=5)
    allow_paid_broadcast: bool = False
    outbox_batch_size: int = Field(default=200, ge=1, le=10_000)
    outbox_concurrency: int = Field(default=64, ge=1, le=2_000)
    outbox_max_attempts: int = Field(default=6, ge=1, le=100)
    outbox_retry_seconds: float = Field(default=2.0, gt=0)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_poll_seconds: float = Field(default=0.5, gt=0, le=60)

    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    # Who reviews /suggest submissions (default: ADMIN_IDS), and their group chat if any.
    moderator_ids: Annotated[tuple[int, ...], NoDecode] = ()
    moderation_chat_id: int | None = None
    jobs: dict[str, JobOverride] = Field(default_factory=dict)
    feeds: list[FeedSource] = Field(default_factory=list)
    # Seconds one feed download may take before the backup URL is tried.
    feed_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Hours a one-person VIP invite link stays valid (capped at the subscription's end).
    vip_invite_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    # /subscribe: price in Telegram Stars (0 = not on sale) of VIP_STARS_DAYS days of access.
    vip_stars_price: int = Field(default=0, ge=0, le=100_000)
    vip_stars_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("admin_ids", "moderator_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: Any) -> Any:
        if isinstance(value, int):
            return (value,)
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.split(",") if part.strip()]
        bad = [part for part in parts if not part.lstrip("-").isdigit()]
        if bad:
            raise ValueError(f"expected comma-separated Telegram user ids, got {bad[0]!r}")
        return tuple(int(part) for part in parts)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL: {value!r}") from None
        backend = url.get_backend_name()
        if backend not in _ASYNC_DRIVERS:
            raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
        if "+" not in url.drivername:
            url = url.set(drivername=_ASYNC_DRIVERS[backend])
        return url.render_as_string(hide_password=False)

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_redis_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:port/db")
        return value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("channel_id", "vip_chat_id", "http_port", "moderation_chat_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    @property
    def moderators(self) -> tuple[int, ...]:
        return self.moderator_ids or self.admin_ids

    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None


class ConfigError(Exception):
    """Configuration that cannot be run; the message is one line per problem."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (and `.env`), raising :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line per invalid setting, named as it is written in the environment."""
    lines = []
    for error in exc.errors():
        name = "__".join(str(part) for part in error["loc"] if not isinstance(part, int))
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{name.upper() or 'settings'}: {message}")
    return "\n".join(lines)
