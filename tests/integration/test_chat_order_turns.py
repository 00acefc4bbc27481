"""Each chat's turn across replicas, without processes: the replica that gets a chat's later
update first handles the earlier one another replica received before it, then its own; the
other then drops what was taken; a turn held by a replica that died waits for its lease."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Update

from bot.core.cluster.lease import Holder, LeaseKeeper
from bot.core.kernel.clock import SystemClock
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.core.telegram.received import (
    STRANDED_AFTER,
    InChatOrder,
    Stranded,
    first_time,
    record_arrival,
)

CHAT = 81_000


def _update(bot: Bot, update_id: int, text: str, *, press: bool = False) -> Update:
    user = {"id": CHAT, "is_bot": False, "first_name": "U"}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "text": text,
        "chat": {"id": CHAT, "type": "private", "first_name": "U"},
        "from": user,
    }
    body: dict[str, Any] = {"update_id": update_id}
    if press:
        body["callback_query"] = {"id": str(update_id), "from": user, "chat_instance": "c"}
        body["callback_query"]["message"] = message
        body["callback_query"]["data"] = text
    else:
        body["message"] = message
    return Update.de_json(body, bot)


def _replica(db: Database, name: str, handled: list[str]) -> InChatOrder:
    async def handle(update: Update) -> None:  # an earlier update, through every step
        handled.append(f"{name}:{update.update_id}")

    holder = Holder(f"host-{name}.invalid", 1, "1", name)
    return InChatOrder(db, SystemClock(), lambda _u: False, handle, holder=holder, ttl=1.0)


async def test_later_update_first_handles_the_earlier_one_then_its_own(
    migrated: Settings,
) -> None:
    """Replica b gets update 2 while update 1 (received by a) waits: b handles 1, then 2; a
    then drops 1. A button press keeps an order of its own: it does not wait for, nor
    handle, the chat's messages."""
    db = Database(migrated.database_url)
    bot = Bot("123:order")
    handled: list[str] = []
    try:
        arrive = record_arrival(db, SystemClock())
        first, second = _update(bot, 1, "/missiontime 08:30"), _update(bot, 2, "/mt 09:00")
        press = _update(bot, 3, "notif:toggle:reminders", press=True)
        for update in (first, second, press):
            await arrive(update)
        a, b = _replica(db, "a", handled), _replica(db, "b", handled)

        def own(name: str, update: Update) -> Any:
            async def proceed() -> None:
                handled.append(f"{name}:{update.update_id}")

            return proceed

        await b(press, own("b", press))
        await b(second, own("b", second))
        await a(first, own("a", first))
        await a(second, own("a", second))  # delivered twice: dropped
        assert handled == ["b:3", "b:1", "b:2"]
    finally:
        await db.dispose()


async def test_turn_held_by_a_dead_replica_elsewhere_waits_for_its_lease(
    migrated: Settings,
) -> None:
    """A replica on another host died holding the chat's turn (its lease row stays): the
    next update of the chat is handled once that lease has run out, not never."""
    db = Database(migrated.database_url)
    bot = Bot("123:order")
    handled: list[str] = []
    try:
        dead = LeaseKeeper(db, f"turn:{CHAT}:0", 1.0, Holder("host-x.invalid", 1, "1", "x"))
        assert await dead.acquire() is True
        update = _update(bot, 10, "/missiontime 07:00")
        await record_arrival(db, SystemClock())(update)

        async def proceed() -> None:
            handled.append("b:10")

        async with asyncio.timeout(30):  # a hang guard: the lease runs out in 1 s
            await _replica(db, "b", handled)(update, proceed)
        assert handled == ["b:10"]
        assert await dead.holder_of() is None  # the turn was given back (its row deleted)
    finally:
        await db.dispose()


async def test_an_update_a_dead_replica_recorded_and_never_took_is_handed_on(
    migrated: Settings,
) -> None:
    """A replica recorded an update (Telegram was answered) and died before taking it: once it
    has waited STRANDED_AFTER, a look puts it on a live replica's queue, once; an update that
    was taken, or one recorded only just now, is left alone."""
    db = Database(migrated.database_url)
    bot = Bot("123:order")
    queued: list[int] = []
    try:
        arrive = record_arrival(db, SystemClock())
        for update_id in (11, 12, 13):
            await arrive(_update(bot, update_id, f"/start {update_id}"))
        assert await first_time(db, 12, SystemClock().now())  # 12 was taken by its replica
        later = ShiftedClock(STRANDED_AFTER + timedelta(seconds=1))
        sweep = Stranded(db, SystemClock(), lambda update: queued.append(update.update_id))
        assert await sweep.look(bot) == 0  # just recorded: its replica may be on it
        sweep.clock = later
        assert await sweep.look(bot) == 2
        assert queued == [11, 13]
        assert await sweep.look(bot) == 0  # put on the queue once
        assert queued == [11, 13]
    finally:
        await db.dispose()


class ShiftedClock(SystemClock):
    """The system's time, ``ahead`` later."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return super().now() + self.ahead
