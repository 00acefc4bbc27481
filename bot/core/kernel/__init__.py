"""The kernel: what every layer above stands on, and nothing of Telegram, people or delivery.

Settings, the database (and its SQLite driver), the clock, the caches (Redis behind a
breaker), the event bus and the unit of work, metrics, logging and the redaction of secrets
(``redact``), retention, the locales
shipped, the parsing of numbers people type, and :class:`Kernel`, all of it built in one
place (:func:`build_kernel`). This ``__init__`` is the package's public face: code outside
``bot/core/kernel/`` imports from here (an import-linter contract says so). Two parts are
imported only where they are used, never through the face: ``rediscache`` (Redis, with
``REDIS_URL``) and ``migrate`` (Alembic, when a migration runs).
"""

from bot.core.kernel.breaker import CircuitBreaker
from bot.core.kernel.build import Kernel, build_kernel
from bot.core.kernel.cache import KEY_PREFIX, Cache, MemoryCache
from bot.core.kernel.child import DEVNULL, PIPE, run_child
from bot.core.kernel.clock import Clock, local_time
from bot.core.kernel.commits import committed, counting_commits
from bot.core.kernel.db import (
    Base,
    Database,
    UTCDateTime,
    dialect_insert,
    ensure_sqlite_directory,
    get_or_insert,
    insert_and_get,
    insert_for,
    insert_ignoring,
    insert_missing,
    rowcount,
)
from bot.core.kernel.events import (
    ChatMigrated,
    E,
    Event,
    EventBus,
    Handler,
    JobFailed,
    MessageDelivered,
    MessageFailed,
    MessageKind,
    TxHandler,
    UserBecameReachable,
    UserBecameUnreachable,
    UserRegistered,
    UserZoneChanged,
)
from bot.core.kernel.locales import DOMAIN, LOCALES, SOURCE, languages
from bot.core.kernel.logging import configure_logging, get_logger
from bot.core.kernel.metrics import Metrics, exposition
from bot.core.kernel.parse import ID_MAX, SERIAL_MAX, USER_ID_MAX, ascii_int
from bot.core.kernel.redaction import MASK, BotToken, redact
from bot.core.kernel.retention import (
    Purged,
    Purger,
    PurgeRequest,
    PurgerRegistry,
    delete_in_batches,
)
from bot.core.kernel.settings import (
    DEFAULT_API_BASE_URL,
    ConfigError,
    JobOverride,
    Settings,
    empty_is_none,
    load_settings,
    read_settings,
    split_ids,
    unknown_keys,
)
from bot.core.kernel.tasks import cancel_and_wait
from bot.core.kernel.uow import UnitOfWork

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEVNULL",
    "DOMAIN",
    "ID_MAX",
    "KEY_PREFIX",
    "LOCALES",
    "MASK",
    "PIPE",
    "SERIAL_MAX",
    "SOURCE",
    "USER_ID_MAX",
    "Base",
    "BotToken",
    "Cache",
    "ChatMigrated",
    "CircuitBreaker",
    "Clock",
    "ConfigError",
    "Database",
    "E",
    "Event",
    "EventBus",
    "Handler",
    "JobFailed",
    "JobOverride",
    "Kernel",
    "MemoryCache",
    "MessageDelivered",
    "MessageFailed",
    "MessageKind",
    "Metrics",
    "PurgeRequest",
    "Purged",
    "Purger",
    "PurgerRegistry",
    "Settings",
    "TxHandler",
    "UTCDateTime",
    "UnitOfWork",
    "UserBecameReachable",
    "UserBecameUnreachable",
    "UserRegistered",
    "UserZoneChanged",
    "ascii_int",
    "build_kernel",
    "cancel_and_wait",
    "committed",
    "configure_logging",
    "counting_commits",
    "delete_in_batches",
    "dialect_insert",
    "empty_is_none",
    "ensure_sqlite_directory",
    "exposition",
    "get_logger",
    "get_or_insert",
    "insert_and_get",
    "insert_for",
    "insert_ignoring",
    "insert_missing",
    "languages",
    "load_settings",
    "local_time",
    "read_settings",
    "redact",
    "rowcount",
    "run_child",
    "split_ids",
    "unknown_keys",
]
