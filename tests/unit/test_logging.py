"""Log lines carry context and never the token."""

from __future__ import annotations

import structlog
from structlog.testing import capture_logs

from bot.core.kernel.logging import _redact_secrets


def test_contextvars_reach_the_line() -> None:
    """Bound update_id/chat_id appear on lines logged inside the block."""
    structlog.configure(processors=[structlog.contextvars.merge_contextvars])
    with (
        capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs,
        structlog.contextvars.bound_contextvars(update_id=5, chat_id=9),
    ):
        structlog.get_logger().info("hello")
    assert logs[0]["update_id"] == 5 and logs[0]["chat_id"] == 9


def test_secrets_are_redacted() -> None:
    """A key named token is replaced before rendering."""
    assert _redact_secrets(None, "info", {"event": "x", "token": "abc"})["token"] == "***"
