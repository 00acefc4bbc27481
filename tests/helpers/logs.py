"""Log records the bot wrote during a test, whatever logged them (structlog or stdlib)."""

from __future__ import annotations

import logging


class ErrorRecords(logging.Handler):
    """Every log record at ERROR or above; added to the root logger by a test."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self, allowed: tuple[str, ...] = ()) -> list[str]:
        """The records since the last take, but those whose event is ``allowed``."""
        taken, self.records = self.records, []
        return [
            f"logged {r.levelname}: {r.getMessage()[:300]}"
            for r in taken
            if event(r) not in allowed
        ]


def event(record: logging.LogRecord) -> str:
    """The event of a structlog record (its message: the event dict), else the message."""
    return str(record.msg.get("event")) if isinstance(record.msg, dict) else record.getMessage()
