"""A full disk, on a real bot against the sandbox: reads are answered, a write gets "try
again later", the admins are told once, /healthz says so; then space comes back and the
bot recovers by itself, with nothing it acknowledged lost and the file intact.

The fault is injected at the database, not in the bot's code: SQLite's ``PRAGMA
max_page_count`` on every connection of the bot's engine (new ones through a connect
listener, the pooled ones replaced), set to the file's page count once the free pages are
used up, so a write that needs a new page is refused with SQLITE_FULL ("database or disk
is full"), as on a full disk. Raising it is space coming back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, MutableMapping
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, select, text
from structlog.testing import capture_logs

from bot.core.context import services_of
from bot.modules.moderation.models import Submission
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness, settle
from tests.helpers.chat import answer, told
from tests.helpers.moderation import AUTHOR, moderated_bot
from tests.helpers.servers import free_port

pytestmark = pytest.mark.sqlite_only  # the fault is SQLite's max_page_count

READER = 81_101  # a user who only reads while the disk is full
UKRAINIAN = 81_102
CANNOT_SAVE = "I can't save that right now"
# Longer than a page in UTF-8 (two bytes a letter): storing it needs new pages.
LONG = "Пропозиція " + "ї" * 3_000
NO_LIMIT = 1_000_000_000
DISK_FULL_LINE = "database disk full: writes are refused, reads still answered; probing for space"


class PageLimit:
    """``PRAGMA max_page_count`` on every connection of the bot's database."""

    def __init__(self, h: Harness) -> None:
        self.engine = h.services.db.engine
        self.path = h.services.settings.database_url.removeprefix("sqlite+aiosqlite:///")
        self.limit = NO_LIMIT
        event.listen(self.engine.sync_engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={self.limit}")
        cursor.close()

    async def fill(self) -> int:
        """The disk is full: the free pages are used up (by a table of filler, from another
        connection), and no connection of the bot may add a page; the page count."""
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as filler:
            filler.execute("CREATE TABLE IF NOT EXISTS test_filler (b BLOB)")
            filler.commit()
            (pages,) = filler.execute("PRAGMA page_count").fetchone()
            self.limit = int(pages)
            # The pooled connections are opened again with the limit before the filling,
            # so that none of the bot's writes grows the file meanwhile.
            await self.engine.dispose()
            filler.execute(f"PRAGMA max_page_count={self.limit}")
            for size in (2_000, 200, 20):  # big rows first, then what is left of a page
                with contextlib.suppress(sqlite3.OperationalError):
                    while True:
                        filler.execute("INSERT INTO test_filler VALUES (zeroblob(?))", (size,))
                        filler.commit()
        return self.limit

    async def free(self) -> None:
        """Space comes back: the limit is lifted on the connections opened from now on (the
        pooled ones are replaced, as space returning is seen by every new write)."""
        self.limit = NO_LIMIT
        await self.engine.dispose()

    def integrity(self) -> str:
        """``PRAGMA integrity_check``'s answer, and no table the probe left behind."""
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as reader:
            query = "SELECT name FROM sqlite_master WHERE name LIKE 'companion_disk_probe%'"
            assert reader.execute(query).fetchall() == []
            return str(reader.execute("PRAGMA integrity_check").fetchone()[0])


async def _healthz(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, json.loads(await response.text())


async def _writing_job(context: Any) -> None:
    """A job whose write needs new pages."""
    async with services_of(context.application).db.session() as session:
        await session.execute(text("INSERT INTO test_filler VALUES (zeroblob(20000))"))


async def _logged(logs: list[MutableMapping[str, Any]], event: str) -> None:
    for _ in range(750):  # 15 s at most: a hang guard only
        if any(entry["event"] == event for entry in logs):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never logged: {event}")


def _full(h: Harness) -> bool:
    return h.services.db.disk.full


def _texts(h: Harness, chat_id: int, needle: str) -> list[str]:
    return [m.text or "" for m in h.sandbox.world.to(chat_id) if needle in (m.text or "")]


async def test_a_full_disk_is_ridden_out_and_recovered_from_without_a_restart(
    harness_factory: Callable[..., Any],
) -> None:
    port = free_port()
    h = await moderated_bot(harness_factory, http_port=port, vip_stars_price=50, vip_stars_days=30)
    h.services.db.disk.every = 0.2  # probe for space often (10 s in production)
    world = h.sandbox.world
    world.user(UKRAINIAN, language_code="uk")
    await settle(h)
    for user in (READER, AUTHOR, UKRAINIAN):
        await answer(h, user, "/start", "")
    balance = await h.reply(READER, "/balance")
    [invoice] = [m for m in await h.say(READER, "/subscribe") if m.method == "sendInvoice"]
    await answer(h, AUTHOR, "/suggest Before the disk filled up", "waits for review")
    await h.idle()
    assert (await _healthz(port))[0] == 200

    limit = PageLimit(h)
    with capture_logs() as logs:
        await limit.fill()

        # A write that needs a page is refused: the author is told to try later, at once.
        await answer(h, AUTHOR, f"/suggest {LONG}", CANNOT_SAVE)
        alert = await told(h, ADMIN, "disk is full")
        assert "docs/disk-full.md" in alert
        # Reads are answered as before; more refused writes do not tell the admins again.
        assert await h.reply(READER, "/balance") == balance
        assert "/balance" in await h.reply(READER, "/help")
        await answer(h, UKRAINIAN, f"/suggest {LONG}", "Не можу зберегти")
        await answer(h, AUTHOR, f"/suggest {LONG}", CANNOT_SAVE)
        # A payment is refused before the charge: it could not be stored when it arrived.
        world.pay(READER, invoice)
        [checkout] = await h.wait(
            lambda: [a for a in world.callback_answers if a.get("pre_checkout")]
        )
        assert checkout["ok"] in (False, "false") and CANNOT_SAVE in checkout["error_message"]
        # A job that meets the full disk is one log line, not an alert the outbox can't keep.
        assert h.app.job_queue is not None
        h.app.job_queue.run_once(_writing_job, 0)
        await _logged(logs, "a job met the full disk")
        status, body = await _healthz(port)
        assert status == 503 and body["database"] == "disk full", body
        assert any("database refuses writes: disk full" in r for r in body["reasons"]), body
        assert _full(h)
        assert limit.integrity() == "ok"
        assert len(_texts(h, ADMIN, "disk is full")) == 1

        # Space comes back: the probe finds it, the admins are told, writes work again.
        await limit.free()
        back = await told(h, ADMIN, "accepts writes again")
        assert "was full for" in back
        assert not _full(h)
        status, body = await _healthz(port)
        assert status == 200 and "database" not in body, body
        await answer(h, AUTHOR, f"/suggest {LONG}", "waits for review")
        await h.idle()
        assert len(_texts(h, ADMIN, "disk is full")) == 1
        assert len(_texts(h, ADMIN, "accepts writes again")) == 1

    # The episode's log: one error line at its start, one line at its end, no other error.
    errors = [e["event"] for e in logs if e["log_level"] in ("error", "critical")]
    assert errors == [DISK_FULL_LINE], errors
    assert [e["event"] for e in logs].count("database accepts writes again") == 1

    # What was acknowledged is there; what was refused was never stored; the file is whole.
    async with h.services.db.session() as session:
        stored = list(await session.scalars(select(Submission.text).order_by(Submission.id)))
    assert stored == ["Before the disk filled up", LONG]
    assert world.payments == []
    assert limit.integrity() == "ok"
