"""Companion: an event-driven Telegram bot that runs as one process."""

import os

# Opt in to python-telegram-bot's future API: durations (RetryAfter.retry_after, ...)
# are timedeltas. Set before telegram is imported anywhere in the process.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
