"""structlog set up once: console lines for humans, JSON lines for machines.

Context (``update_id``, ``chat_id``, ``job``) travels in contextvars, so every
line logged while handling an update or running a job carries it.

Secrets never reach the output: the bot token sits in every Bot API URL, and
python-telegram-bot and httpx log those URLs at DEBUG (PTB also puts the token
into the text of ``InvalidToken``). So every line is redacted as the very last
step, after it was rendered: message, arguments, exception text and traceback,
whatever the logger and the level (the rule: ``redaction.py``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from bot.core.kernel.redaction import MASK, redact

_SECRET_KEYS = frozenset({"token", "bot_token", "password", "secret"})


class RedactingFilter(logging.Filter):
    """For any stdlib handler: the record's message and exception text, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # structlog's own: redacted by its processors
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string must not print the raw args
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def _redact_secrets(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    for key in _SECRET_KEYS & event_dict.keys():
        event_dict[key] = MASK
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def _redact_line(_logger: WrappedLogger, _name: str, line: Any) -> Any:
    """The rendered line (traceback included), redacted: the last step of every record."""
    return redact(line) if isinstance(line, str) else line


def configure_logging(
    level: str = "INFO",
    fmt: str = "console",
    secrets: Iterable[str] = (),
    *,
    file: Path | None = None,
) -> None:
    """Configure structlog and route the standard library's loggers through it; to
    standard error, or appended to ``file`` (the sandbox: the terminal is the chat).
    ``secrets`` are what :data:`redact` masks from now on (``Settings.secrets()``)."""
    redact.set(secrets)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler: logging.Handler
    if file is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    handler.setFormatter(_formatter(fmt, shared))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _quiet_libraries(level)
    sys.excepthook = _log_uncaught


def _formatter(fmt: str, shared: list[Processor]) -> logging.Formatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _identity,
            renderer,
            _redact_line,
        ],
    )


def _quiet_libraries(level: str) -> None:
    """httpx logs a line per request (one per send), useful only when debugging."""
    logging.getLogger("httpx").setLevel(logging.INFO if level == "DEBUG" else logging.WARNING)
    for name in ("httpcore", "apscheduler", "alembic", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An exception nobody caught is logged (redacted) instead of printed raw."""
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, exc, tb))


def _identity(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    return event_dict


def get_logger(name: str, **initial: Any) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name, **initial)
    return logger
