"""Shared steps of the Stars payment tests: a bot that sells VIP, paying, and a database
lock taken from outside the bot (a second SQLite connection holding BEGIN EXCLUSIVE)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import StarPayment, Subscription
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.clocks import START
from tests.helpers.factories import subscription_of

USER, FRIEND = 6161, 6262
BUSY_MS = 1000  # how long the bot's writes wait for a lock in these tests (10 s normally)


async def selling(factory: Callable[..., Any], **settings: Any) -> Harness:
    """A bot selling 30 days for 50 Stars, with USER and FRIEND registered; the settle job
    runs only when a test runs it (its every-minute slot would race the test's steps)."""
    settings.setdefault("jobs", {"subscriptions.settle_payments": {"enabled": False}})
    h: Harness = await factory(
        clock=ManualClock(START), vip_stars_price=50, vip_stars_days=30, **UNPACED, **settings
    )
    h.sandbox.set_limits(FloodLimits(private=None))
    # The start-up catch-up runs in the background: let it finish, or a job it runs could
    # meet the test's database lock and retry (a retry's backoff moves the manual clock).
    await h.services.runner.caught_up()
    h.sandbox.world.user(ADMIN, "Admin")  # the admin opened the chat with the bot
    for user_id in (USER, FRIEND):
        await h.reply(user_id, "/start")
    # Start-up catch-up (e.g. analytics.quick_stats' 09:00 slot) is over before a test locks
    # the database: its retries would sleep on the manual clock and move the time on.
    async with asyncio.timeout(10):
        await h.services.runner.caught_up()
    return h


async def invoice(h: Harness, user_id: int = USER) -> SentMessage:
    """``/subscribe``'s invoice (another message may reach the user meanwhile: a notice the
    outbox delivers after a job, such as "your VIP has ended")."""
    world = h.sandbox.world
    before = len(world.to(user_id))
    world.send_text(user_id, "/subscribe")

    def sent() -> SentMessage | None:
        new = world.to(user_id)[before:]
        return next((m for m in new if m.method == "sendInvoice"), None)

    found: SentMessage = await h.wait(sent)
    return found


async def pay(h: Harness, user_id: int = USER) -> str:
    """Pay a fresh invoice; the charge id Telegram gives the payment."""
    world = h.sandbox.world
    paid = len(world.payments)
    world.pay(user_id, await invoice(h, user_id))
    await h.wait(lambda: len(world.payments) > paid)
    charge: str = world.payments[-1]["successful_payment"]["telegram_payment_charge_id"]
    return charge


async def charge_row(h: Harness, charge_id: str) -> StarPayment | None:
    async with h.services.db.session() as session:
        query = select(StarPayment).where(StarPayment.charge_id == charge_id)
        return await session.scalar(query)


async def subscription(h: Harness, user_id: int = USER) -> Subscription | None:
    return await subscription_of(h.services.db, user_id)


async def short_busy_timeout(h: Harness) -> None:
    """The bot's connections wait BUSY_MS for a lock instead of 10 s (new connections)."""

    def pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        cursor.close()

    engine = h.services.db.engine
    event.listen(engine.sync_engine, "connect", pragma)
    await engine.dispose()


class DatabaseLock:
    """Another process's view of the bot's SQLite file: holding ``BEGIN EXCLUSIVE`` makes
    every write of the bot fail with "database is locked" once its busy timeout ran out."""

    __slots__ = ("_connection", "path")

    def __init__(self, h: Harness) -> None:
        self.path = h.services.settings.database_url.removeprefix("sqlite+aiosqlite:///")
        self._connection: sqlite3.Connection | None = None

    async def take(self) -> None:
        def take() -> sqlite3.Connection:
            connection = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            connection.execute("BEGIN EXCLUSIVE")
            return connection

        self._connection = await asyncio.to_thread(take)

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.to_thread(connection.execute, "ROLLBACK")
            await asyncio.to_thread(connection.close)
