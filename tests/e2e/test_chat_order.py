"""Two webhook replicas behind a load balancer that hands each call to the next replica:
one chat's updates are still handled one at a time and in ``update_id`` order, whichever
replica received them; a replica killed while holding a chat's turn holds it no longer
than the turn's lease."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.core.kernel.db import Database
from bot.core.people.user_times import UserSchedule
from bot.core.telegram.intake import SECRET_HEADER
from bot.core.telegram.received import STRANDED_AFTER, ReceivedUpdate
from bot.modules.notifications.models import NotificationPrefs
from bot.sandbox import SandboxServer, SentMessage
from tests.conftest import database_url, upgrade_fresh
from tests.helpers.processes import stop
from tests.helpers.servers import free_port

SECRET = "companion-order_secret-42-0123456789abcdef"
PATH = "/telegram"
# ``python -m bot run`` as on a machine of its own (the host name is the first argument):
# a replica killed there is not seen dead by the others, whose wait is the turn's lease.
_ON_HOST = (
    "import runpy, socket, sys; host = sys.argv[1]; socket.gethostname = lambda: host; "
    "sys.argv = ['bot', 'run']; runpy.run_module('bot', run_name='__main__', alter_sys=True)"
)


class Balancer:
    """A load balancer: each call goes to the next replica in turn (round robin), so a
    chat's next update usually reaches another replica than its last; a replica that does
    not answer (killed) is skipped, as a balancer's health check would."""

    def __init__(self, replicas: list[str]) -> None:
        self.replicas = replicas
        self.port = free_port()
        self.calls = 0
        self._next = itertools.cycle(range(len(replicas)))
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        server = web.Application()
        server.router.add_post(PATH, self._forward)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        headers["Content-Type"] = "application/json"
        self.calls += 1
        for _ in self.replicas:
            target = self.replicas[next(self._next)]
            try:
                async with self._http.post(target, data=body, headers=headers) as answer:
                    return web.Response(status=answer.status)
            except aiohttp.ClientError:
                continue  # not answering: the next one
        return web.Response(status=502)


async def start_replica(
    cwd: Path,
    sandbox: SandboxServer,
    url: str,
    balancer: Balancer,
    port: int,
    host: str,
    **settings: str,
) -> asyncio.subprocess.Process:
    """``python -m bot run`` with a webhook on ``port`` behind ``balancer``, as on ``host``,
    with ``settings`` in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_IDS", "REDIS_URL")}
    env.update(
        BOT_TOKEN="123:order",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
        WEBHOOK_URL=balancer.url,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        **settings,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _ON_HOST,
        host,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def cluster(
    cwd: Path, sandbox: SandboxServer, url: str, **settings: str
) -> tuple[Balancer, list[asyncio.subprocess.Process]]:
    """A balancer and two replicas behind it (on hosts ``a`` and ``b``), both listening."""
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}{PATH}" for port in ports])
    await balancer.start()
    replicas = [
        await start_replica(cwd, sandbox, url, balancer, port, f"host-{name}.invalid", **settings)
        for port, name in zip(ports, "ab", strict=True)
    ]
    for port in ports:  # each replica answers (its webhook server is up)
        await _listening(port)
    return balancer, replicas


async def _listening(port: int) -> None:
    async with asyncio.timeout(60):  # a hang guard: a replica starts in a few seconds
        while True:
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return


async def mission_minutes(url: str, users: list[int]) -> dict[int, int | None]:
    """Each user's mission time as stored (minutes after midnight; None: the default)."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(UserSchedule.user_id, UserSchedule.minute).where(
                    UserSchedule.user_id.in_(users), UserSchedule.kind == "mission"
                )
            )
            stored = {int(user): minute for user, minute in rows}
    finally:
        await db.dispose()
    return {user: stored.get(user) for user in users}


def answered_times(sandbox: SandboxServer, user: int) -> list[str]:
    """The times the bot's "missions now arrive at" answers to ``user`` named, in order."""
    marker = "Your missions now arrive at "
    return [
        (m.text or "")[len(marker) :][:5]
        for m in sandbox.world.to(user)
        if (m.text or "").startswith(marker)
    ]


async def bursts(sandbox: SandboxServer, users: list[int], first: str, second: str) -> None:
    """Each user sends ``/missiontime first`` then at once ``/missiontime second``; wait until
    both are answered (a hang guard)."""
    world = sandbox.world
    before = {u: len(answered_times(sandbox, u)) for u in users}
    for user in users:
        world.send_text(user, f"/missiontime {first}")
        world.send_text(user, f"/missiontime {second}")

    def done() -> bool:
        marker = "Your missions now arrive at "
        said = Counter(m.chat_id for m in world.messages if (m.text or "").startswith(marker))
        return all(said[u] >= before[u] + 2 for u in users)

    await world.wait_until(done, timeout=600)


async def registered(sandbox: SandboxServer, users: list[int]) -> None:
    world = sandbox.world
    for user in users:
        world.send_text(user, "/start")

    def welcomed() -> bool:
        seen = {m.chat_id for m in world.messages if (m.text or "").startswith("Welcome")}
        return seen.issuperset(users)

    await world.wait_until(welcomed, timeout=300)


async def test_each_chat_handled_in_order_across_two_replicas(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """30 users each send "/missiontime 08:30" and at once "/missiontime 09:00", delivered
    alternately to the two replicas: every user's answers come in that order and their
    mission time is 09:00; then once more with "07:15" and "10:45"."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    users = list(range(53_000, 53_030))
    balancer, replicas = await cluster(tmp_path, sandbox, url)
    try:
        await registered(sandbox, users)
        await bursts(sandbox, users, "08:30", "09:00")
        assert {u: answered_times(sandbox, u) for u in users} == {
            u: ["08:30", "09:00"] for u in users
        }
        assert set((await mission_minutes(url, users)).values()) == {9 * 60}
        await bursts(sandbox, users, "07:15", "10:45")
        assert {u: answered_times(sandbox, u)[2:] for u in users} == {
            u: ["07:15", "10:45"] for u in users
        }
        assert set((await mission_minutes(url, users)).values()) == {10 * 60 + 45}
        assert balancer.calls >= 4 * len(users)
    finally:
        for process in replicas:
            with contextlib.suppress(ProcessLookupError):
                await stop(process)
        await balancer.stop()


async def test_replica_killed_holding_turns_is_replaced_within_the_lease(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """kill -9 of one replica (on another host) in the middle of bursts: the other handles
    every chat again, those whose turn the dead one held once the turn's lease ran out,
    in order (each user's last answer and stored time are their last message's)."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    users = list(range(54_000, 54_020))
    balancer, replicas = await cluster(tmp_path, sandbox, url)
    world = sandbox.world
    try:
        await registered(sandbox, users)
        for user in users:
            world.send_text(user, "/missiontime 08:30")
            world.send_text(user, "/missiontime 09:00")
        await world.wait_until(lambda: any(answered_times(sandbox, u) for u in users), 60)
        replicas[0].send_signal(signal.SIGKILL)
        await replicas[0].wait()
        for user in users:  # the chats the dead replica may have held are answered again
            world.send_text(user, "/missiontime 11:15")
        await world.wait_until(
            lambda: all(answered_times(sandbox, u)[-1:] == ["11:15"] for u in users), 120
        )
        assert set((await mission_minutes(url, users)).values()) == {11 * 60 + 15}
        for user in users:  # what was answered came in the order it was sent
            said = answered_times(sandbox, user)
            assert said == sorted(said, key=["08:30", "09:00", "11:15"].index), said
    finally:
        for process in replicas:
            with contextlib.suppress(ProcessLookupError):
                await stop(process)
        await balancer.stop()


async def test_button_pressed_twice_fast_flips_twice_in_order(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """20 users each press "Reminders" under /notifications twice at once, the presses
    delivered to alternate replicas: each press sees the other's result (answered "off",
    then "on"), and every user's reminders end where they began (on)."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    users = list(range(55_000, 55_020))
    world = sandbox.world
    balancer, replicas = await cluster(tmp_path, sandbox, url)
    try:
        await registered(sandbox, users)
        for user in users:
            world.send_text(user, "/notifications")
        menus = await world.wait_until(
            lambda: (found := _menus(sandbox, users)) and len(found) == len(users) and found,
            timeout=120,
        )
        presses = {
            user: [world.press(user, menus[user], "notif:toggle:reminders") for _ in range(2)]
            for user in users
        }
        wanted = {query for pair in presses.values() for query in pair}
        await world.wait_until(
            lambda: wanted <= {a.get("callback_query_id") for a in world.callback_answers},
            timeout=180,
        )
        said = {a["callback_query_id"]: str(a.get("text", "")) for a in world.callback_answers}
        assert {u: [said[q].split(": ")[-1] for q in presses[u]] for u in users} == {
            u: ["off", "on"] for u in users
        }
        db = Database(url)
        try:
            async with db.session() as session:
                stored = await session.execute(
                    select(NotificationPrefs.user_id, NotificationPrefs.reminders).where(
                        NotificationPrefs.user_id.in_(users)
                    )
                )
                reminders = dict(stored.all())
        finally:
            await db.dispose()
        assert reminders == dict.fromkeys(users, True)
    finally:
        for process in replicas:
            with contextlib.suppress(ProcessLookupError):
                await stop(process)
        await balancer.stop()


def _menus(sandbox: SandboxServer, users: list[int]) -> dict[int, SentMessage]:
    """Each user's /notifications message (the one with the toggle buttons)."""
    found: dict[int, SentMessage] = {}
    for message in sandbox.world.messages:
        if message.chat_id in users and "notif:toggle" in str(message.reply_markup or ""):
            found[message.chat_id] = message
    return found


async def test_an_update_a_dead_replica_recorded_and_never_took_is_answered(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A replica recorded a user's /start (Telegram was answered, so it never comes again)
    and was killed before taking it; the user writes nothing more. A live replica finds it
    once it has waited STRANDED_AFTER and answers it, once."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    user = 56_000
    sandbox.world.user(user)
    body = {
        "update_id": 900_000_001,
        "message": {
            "message_id": 1,
            "date": int(time.time()) - 60,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            "chat": {"id": user, "type": "private", "first_name": "Left"},
            "from": {"id": user, "is_bot": False, "first_name": "Left"},
        },
    }
    db = Database(url)
    try:
        async with db.session() as session:
            session.add(
                ReceivedUpdate(
                    update_id=body["update_id"],
                    received_at=datetime.now(UTC) - STRANDED_AFTER - timedelta(seconds=5),
                    chat_id=user,
                    lane=0,
                    payload=json.dumps(body),
                )
            )
    finally:
        await db.dispose()
    port = free_port()
    balancer = Balancer([f"http://127.0.0.1:{port}{PATH}"])
    await balancer.start()
    replica = await start_replica(tmp_path, sandbox, url, balancer, port, "host-c.invalid")
    try:
        await _listening(port)
        welcomed = await sandbox.world.wait_until(
            lambda: [m for m in sandbox.world.to(user) if (m.text or "").startswith("Welcome")],
            timeout=50,  # a hang guard: the replica looks every 10 s
        )
        assert len(welcomed) == 1
    finally:
        with contextlib.suppress(ProcessLookupError):
            await stop(replica)
        await balancer.stop()
    assert len([m for m in sandbox.world.to(user) if (m.text or "").startswith("Welcome")]) == 1
