"""Settings read from the environment and `.env`, validated once at start-up.

Every field is documented in `.env.example`. A bad value stops the process with
one line naming the setting (see :func:`describe_errors`), never a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.kernel.locales import languages
from bot.core.kernel.parse import ID_MAX, ascii_int
from bot.core.kernel.redaction import BotToken

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's rule for secret_token
# The webhook's only authentication: long enough that guessing it is hopeless (32 characters
# of 64 symbols are 192 bits). `openssl rand -hex 32` makes one.
SECRET_MIN = 32
MAKE_SECRET = "make one with: openssl rand -hex 32"
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


class RetentionSettings(BaseModel):
    """How long finished records live before ``cleanup.daily`` removes them."""

    job_runs_days: int = Field(default=30, ge=1, le=3650)
    job_runs_keep_last: int = Field(default=20, ge=0, le=100_000)
    outbox_days: int = Field(default=14, ge=1, le=3650)
    media_days: int = Field(default=14, ge=1, le=3650)
    redis_idle_days: int = Field(default=30, ge=1, le=3650)
    batch_size: int = Field(default=500, ge=1, le=100_000)
    # Clicks on a broadcast's buttons and its opt-outs (a campaign's figures).
    campaign_days: int = Field(default=365, ge=1, le=3650)
    # Done and missed mission assignments (an open one is kept); streaks are not affected.
    assignments_days: int = Field(default=400, ge=1, le=3650)
    # The days each user was active (user_days): audiences' seen:, the engagement figures
    # (their longest window is 30 days, hence the floor).
    activity_days: int = Field(default=70, ge=31, le=3650)
    # The console's audit log.
    audit_days: int = Field(default=90, ge=1, le=3650)
    # How often one user may ask /mydata for their data (minutes).
    mydata_every_minutes: int = Field(default=10, ge=1, le=10_080)


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
    telegram_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    database_url: str = "sqlite+aiosqlite:///./data/companion.sqlite3"
    redis_url: str | None = None
    redis_retry_seconds: float = Field(default=5.0, gt=0, le=300)
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "UTC"
    # The language of users whose Telegram language has no catalogue (and of jobs' texts).
    default_language: str = "en"
    channel_id: int | None = None
    vip_chat_id: int | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    media_dir: Path = Path("./data/media")
    http_port: int | None = Field(default=None, ge=1, le=65535)
    # The address the HTTP server (/healthz, /metrics, the console) listens on.
    http_listen: str = "127.0.0.1"
    # The console's public address (https://host/console/), for the Mini App button and
    # login links; the console itself is served whenever HTTP_PORT is set.
    console_url: str | None = None
    # The oldest Telegram initData (its auth_date) the console accepts, in seconds.
    console_auth_max_age: int = Field(default=3600, ge=10, le=7 * 86400)

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
    outbox_claim_seconds: float = Field(default=2.0, gt=0, le=60)
    outbox_stop_grace_seconds: float = Field(default=5.0, ge=0, le=120)
    instance_heartbeat_seconds: float = Field(default=1.0, gt=0, le=60)
    instance_stale_seconds: float = Field(default=5.0, gt=0, le=600)
    # Updates of one chat that may wait for their turn; beyond it, chatter is dropped.
    updates_chat_backlog: int = Field(default=20, ge=1, le=10_000)

    # Several processes: long polling by the holder of a lease in the database (the default;
    # the others take over within POLLING_LEASE_SECONDS when it dies; renewed every third of
    # it, one statement each), or, with WEBHOOK_URL, a webhook served by every replica on
    # WEBHOOK_LISTEN:WEBHOOK_PORT.
    polling_lease_seconds: float = Field(default=2.4, ge=1, le=300)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    jobs: dict[str, JobOverride] = Field(default_factory=dict)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: Any) -> Any:
        return split_ids(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in languages():
            raise ValueError(f"no catalogue for {value!r}; available: {', '.join(languages())}")
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

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:port/db")
        return value

    @field_validator("instance_stale_seconds")
    @classmethod
    def _stale_after_beats(cls, value: float, info: ValidationInfo) -> float:
        beat = info.data.get("instance_heartbeat_seconds")
        if beat is not None and value < 3 * beat:
            raise ValueError(
                f"must be at least 3 heartbeats (INSTANCE_HEARTBEAT_SECONDS={beat:g}), or a "
                "slow heartbeat would let another process take over live work"
            )
        return value

    @field_validator(
        "bot_token",
        "redis_url",
        "channel_id",
        "vip_chat_id",
        "http_port",
        "console_url",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return empty_is_none(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("Telegram posts only to https:// URLs (http:// on loopback only)")
        return value

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError(
                "Telegram opens Mini Apps over https:// only (http:// on loopback only, for "
                "tests): e.g. https://bot.example.org/console/"
            )
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                "expected the console's address, e.g. https://bot.example.org/console/"
            )
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        if not path.endswith("/console/"):
            raise ValueError(
                "must end with /console/ (the path the bot serves the console at; a reverse "
                "proxy passes it on unchanged)"
            )
        return f"{parts.scheme}://{parts.netloc}{path}"

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if not _SECRET.fullmatch(secret):
            raise ValueError(
                "only A-Z, a-z, 0-9, _ and -, at most 256 characters (Telegram's rule); "
                + MAKE_SECRET
            )
        if len(secret) < SECRET_MIN:
            raise ValueError(
                f"{len(secret)} characters is too short to protect the webhook: at least "
                f"{SECRET_MIN}; {MAKE_SECRET}"
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_URL needs WEBHOOK_SECRET (every replica the same), so that only "
                "Telegram can post updates"
            )
        return self

    @model_validator(mode="after")
    def _console_needs_port(self) -> Settings:
        if self.console_url and self.http_port is None:
            raise ValueError(
                "CONSOLE_URL needs HTTP_PORT: the console is served by the bot's HTTP server "
                "(HTTP_LISTEN:HTTP_PORT), behind a reverse proxy that terminates TLS"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def of(self, part: type[P]) -> P:
        """These settings as ``part``: a module's settings (``bot/modules/<name>/settings.py``),
        which the application's settings compose (``bot/settings.py``)."""
        if not isinstance(self, part):
            raise TypeError(f"{type(self).__name__} does not compose {part.__name__}")
        return self

    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None

    def secrets(self) -> list[str]:
        """What logs and stored texts must never show: every ``SecretStr`` setting (the token,
        marked :class:`BotToken` so that its public id stays readable, a webhook secret), every
        setting whose name ends in ``TOKEN``, ``SECRET``, ``PASSWORD`` or ``KEY`` (a module's
        too, nested ones included), and the passwords in the server URLs."""
        found = _secret_values(self)
        token = self.token()
        found = [BotToken(s) if s == token else s for s in found]
        for url in (self.database_url, self.redis_url):
            try:
                found.append((make_url(url).password or "") if url else "")
            except ArgumentError:
                continue
        return [secret for secret in found if secret]


_SECRET_SUFFIXES = ("token", "secret", "password", "key")


def _secret_values(value: Any, name: str = "") -> list[str]:
    """The secrets a setting holds: a ``SecretStr``, or text under a name that says secret;
    a model's fields, a mapping's values and a list's items are searched under their names."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, str):
        return [value] if name.lower().endswith(_SECRET_SUFFIXES) else []
    if isinstance(value, BaseModel):
        return [
            s for key in type(value).model_fields for s in _secret_values(getattr(value, key), key)
        ]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in _secret_values(item, str(key))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _secret_values(item, name)]
    return []


P = TypeVar("P", bound=Settings)


def split_ids(value: Any) -> Any:
    """``1, 2`` (a setting naming Telegram users) as a tuple of ids; a clear error else."""
    if isinstance(value, int):
        return (value,)
    if not isinstance(value, str):
        return value
    parts = [part.strip() for part in value.split(",") if part.strip()]
    ids = [ascii_int(part, -ID_MAX, ID_MAX) for part in parts]
    bad = [part for part, value in zip(parts, ids, strict=True) if value is None]
    if bad:
        raise ValueError(f"expected comma-separated Telegram user ids, got {bad[0]!r}")
    return tuple(value for value in ids if value is not None)


def empty_is_none(value: Any) -> Any:
    """An optional setting given empty (``KEY=`` in a .env file) is not set."""
    return None if value == "" else value


class ConfigError(Exception):
    """Configuration that cannot be run; the message is one line per problem."""


def load_settings(model: type[P], **overrides: Any) -> P:
    """Read the settings ``model`` (the application's, which composes the kernel's and every
    module's) from the environment and `.env`, raising :class:`ConfigError` that names
    every bad setting at once."""
    settings, errors = read_settings(model, **overrides)
    if errors:
        raise ConfigError("\n".join(errors))
    return settings


_UNPARSABLE = re.compile(r'error parsing value for field "(\w+)"')


def read_settings(model: type[P], **overrides: Any) -> tuple[P, list[str]]:
    """Settings and one line per problem; each bad setting is replaced by its default so
    the others are still checked (``check`` reports every mistake in one go)."""
    errors: list[str] = []
    fixed: dict[str, Any] = {}
    for _ in range(len(model.model_fields) + 2):
        try:
            return model(**{**overrides, **fixed}), errors
        except SettingsError as exc:  # a JSON value that does not parse (FEEDS=[{...)
            match = _UNPARSABLE.search(str(exc))
            if match is None or match.group(1) in fixed:
                raise ConfigError(f"settings: {exc}") from None
            name = match.group(1)
            errors.append(f"{name.upper()}: not valid JSON ({exc.__cause__ or exc})")
            fixed[name] = _default(model, name)
        except ValidationError as exc:
            errors.extend(describe_errors(exc).splitlines())
            for error in exc.errors():
                # a whole-settings rule (no field named) names the setting it is about first
                name = str(error["loc"][0]) if error["loc"] else _rule_about(error["msg"])
                fixed[name] = _default(model, name)
    raise ConfigError("\n".join(errors) or "settings: cannot be read")


def _rule_about(message: str) -> str:
    """The setting a whole-settings rule's ``message`` is about (its URL is dropped)."""
    return "console_url" if "CONSOLE_URL" in message else "webhook_url"


def _default(model: type[Settings], name: str) -> Any:
    field = model.model_fields[name]
    return field.get_default(call_default_factory=True)


def unknown_keys(
    model: type[Settings], env_file: str | Path = ".env"
) -> tuple[list[str], list[str]]:
    """Keys nothing reads: those in ``env_file`` that no setting of ``model`` reads, with the
    closest name (errors: a typo there would otherwise go live, e.g. ``ADMIN_ID=1`` and a
    bot with no admins), and environment variables one letter away from a setting
    (warnings: the process environment holds many variables that are not the bot's)."""
    known = {name.upper() for name in model.model_fields}
    nested = {name.upper() for name, f in model.model_fields.items() if _nested(f.annotation)}
    errors: list[str] = []
    path = Path(env_file)
    keys = list(dotenv_values(path)) if path.is_file() else []
    for key in keys:
        top = key.upper().split("__", 1)[0]
        if top in known and (top == key.upper() or top in nested):
            continue
        errors.append(f"{key} (in {path}): no such setting{_suggest(key, known)}")
    warnings: list[str] = []
    for key in os.environ:
        upper = key.upper()
        if (
            upper in known
            or upper.split("__", 1)[0] in nested
            or upper in {k.upper() for k in keys}
        ):
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.88)
        if close:
            warnings.append(f"{key} (environment): no such setting; did you mean {close[0]}?")
    return errors, warnings


def _nested(annotation: Any) -> bool:
    """Whether a setting is written as ``NAME__KEY=...`` (a model or a mapping)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return get_origin(annotation) is dict


def _suggest(key: str, known: set[str]) -> str:
    close = difflib.get_close_matches(key.upper(), known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


# Settings whose value is never shown in an error (it is, or may hold, a secret).
_UNSHOWN = {"bot_token", "webhook_secret", "database_url", "redis_url"}


def describe_errors(exc: ValidationError) -> str:
    """One line per invalid setting, named as it is written (``HTTP_PORT``,
    ``MODERATION__MAX_PER_DAY``, ``FEEDS[0].url`` inside a JSON value), with the value it
    was given (never a secret's)."""
    lines = []
    for error in exc.errors():
        name = _written(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        given = error.get("input")
        secret = bool(error["loc"]) and str(error["loc"][0]) in _UNSHOWN
        if isinstance(given, str | int | float) and not secret and repr(given) not in message:
            message += f" (got {given!r})"
        lines.append(f"{name or 'SETTINGS'}: {message}")
    return "\n".join(lines)


def _written(loc: tuple[int | str, ...]) -> str:
    """``("moderation", "max_per_day")`` -> ``MODERATION__MAX_PER_DAY`` (the environment's
    way), ``("feeds", 0, "url")`` -> ``FEEDS[0].url`` (inside the JSON a user wrote)."""
    written, in_json = "", False
    for part in loc:
        if isinstance(part, int):
            written, in_json = f"{written}[{part}]", True
        elif not written:
            written = part.upper()
        else:
            written += f".{part}" if in_json else f"__{part.upper()}"
    return written
