"""A database that does not answer for a few seconds: updates are handled again until it
does, the user is answered (and told to try again only after that), and a broadcast's
progress message keeps going. The outage is a real lock on the bot's SQLite file, taken
from another connection, as a long maintenance write would."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.core.kernel.clock import ManualClock
from bot.modules.content.models import Post
from tests.conftest import ADMIN
from tests.e2e.conftest import CHANNEL, UNPACED, Harness
from tests.helpers.clocks import START
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


class LockAfterFirstPost:
    """The database goes away right after the bot committed its first post: as the bot's
    connection goes back to the pool after that commit, another connection takes the
    exclusive lock, held ``seconds`` (every write of the bot fails meanwhile)."""

    def __init__(self, h: Harness, seconds: float) -> None:
        self.path = h.services.settings.database_url.removeprefix("sqlite+aiosqlite:///")
        self.seconds = seconds
        self.holder: sqlite3.Connection | None = None
        self.taken = 0
        event.listen(h.services.db.engine.sync_engine, "checkin", self._checked_in)

    def _checked_in(self, _dbapi_connection: Any, _record: Any) -> None:
        if self.taken or not self._posts():
            return
        self.taken += 1
        # Another writer (a heartbeat, a job) may hold the lock a moment on a loaded machine:
        # wait for it. The bot's next write waits for this checkin to return either way.
        holder = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        self.holder = holder
        asyncio.get_running_loop().call_later(self.seconds, self.release)

    def _posts(self) -> int:
        with contextlib.closing(sqlite3.connect(self.path, timeout=2)) as reader:
            (count,) = reader.execute("SELECT count(*) FROM posts").fetchone()
        return int(count)

    def release(self) -> None:
        holder, self.holder = self.holder, None
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()


async def test_an_update_that_committed_part_of_its_work_is_not_run_again(
    harness_factory: Callable[..., Any],
) -> None:
    """/post now stores the post (one transaction), then the database stops answering
    before the post is queued (the second): the update is not handled again (a new try
    would store a second post), the admin is told it was partly done, and once the
    database is back the post stored is published once."""
    h = await harness_factory(clock=ManualClock(START), **UNPACED)
    async with asyncio.timeout(10):  # no start-up job run meets the lock
        await h.services.runner.caught_up()
    await short_busy_timeout(h)
    await h.idle()
    world, outage = h.sandbox.world, LockAfterFirstPost(h, seconds=2.5)
    world.send_text(ADMIN, "/post now Hello channel")
    await world.wait_until(lambda: world.to(ADMIN), timeout=15)
    await asyncio.sleep(4.0)  # past the lock and the retries it would have had (3.5 s)
    await h.idle()
    assert outage.taken == 1 and outage.holder is None
    [notice] = [m.text or "" for m in world.to(ADMIN)]
    assert "part of it was done" in notice and "ref " in notice
    # Queued by this run, or already by the job's every-minute slot on a slow machine.
    assert await h.run_job("content.publish_due") in (
        "queued 1 post for the channel",
        "queued 0 posts for the channel",
    )
    await world.wait_until(lambda: world.to(CHANNEL), timeout=15)
    await h.idle()
    async with h.services.db.session() as session:
        posts = list(await session.scalars(select(Post)))
    assert [p.text for p in posts] == ["Hello channel"]
    assert [m.text for m in world.to(CHANNEL)] == ["Hello channel"]
