"""A database that does not answer for a few seconds: updates are handled again until it
does, the user is answered (and told to try again only after that), and a broadcast's
progress message keeps going. The outage is a real lock on the bot's SQLite file, taken
from another connection, as a long maintenance write would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.stars import DatabaseLock, short_busy_timeout

pytestmark = pytest.mark.sqlite_only  # the fault is a SQLite lock taken from outside
USER = 81_001


async def _locked_bot(harness_factory: Callable[..., Any]) -> tuple[Harness, DatabaseLock]:
    h: Harness = await harness_factory(**UNPACED)
    await short_busy_timeout(h)  # a write waits 1 s for the lock, then fails
    return h, DatabaseLock(h)


async def test_start_during_a_short_outage_is_answered_once_it_ends(
    harness_factory: Callable[..., Any],
) -> None:
    """/start while every write fails for ~2.5 s: retried, then the welcome, once."""
    h, lock = await _locked_bot(harness_factory)
    world = h.sandbox.world
    await lock.take()
    world.send_text(USER, "/start")
    await asyncio.sleep(2.5)  # the outage itself: the write lock is held this long
    assert world.to(USER) == []  # nothing yet: neither the welcome nor an error
    await lock.release()
    await world.wait_until(lambda: world.to(USER), timeout=15)
    await h.idle()
    texts = [m.text or "" for m in world.to(USER)]
    assert len(texts) == 1 and texts[0].startswith("Welcome"), texts


async def test_a_long_outage_ends_with_a_clear_answer(
    harness_factory: Callable[..., Any],
) -> None:
    """Writes failing longer than the retries last: the user is answered (with a reference),
    never left without an answer."""
    h, lock = await _locked_bot(harness_factory)
    world = h.sandbox.world
    await lock.take()
    try:
        world.send_text(USER, "/start")
        await world.wait_until(lambda: world.to(USER), timeout=30)
    finally:
        await lock.release()
    assert "Something went wrong" in (world.to(USER)[0].text or "")
