"""kill -9 at every step of a Stars payment's path, then a restart: the charge is granted
exactly once.

``successful_payment`` is sent once. A real bot process pays for VIP through the sandbox
and is killed with SIGKILL just before Telegram answers one of the calls of the payment's
path (the ``getUpdates`` that delivers it, the one that acknowledges it, the invite link,
the messages to the payer); a second process on the same database finishes the work.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer
from bot.sandbox.world import World
from tests.conftest import ADMIN
from tests.e2e.conftest import VIP
from tests.helpers.processes import kill, start_bot, stop
from tests.helpers.stars import USER

JSON = dict[str, Any]
pytestmark = pytest.mark.own_database  # the killed bots run on a SQLite file of their own

SETTINGS = {
    "VIP_STARS_PRICE": "50",
    "VIP_STARS_DAYS": "30",
    "VIP_CHAT_ID": str(VIP),
    "ADMIN_IDS": str(ADMIN),
    # the waiting charges are settled every second after a restart (every minute normally)
    "JOBS__SUBSCRIPTIONS_SETTLE_PAYMENTS__SCHEDULE": "every 1s",
    # a killed process's claim on the payer's messages runs out in a second (60 s normally)
    "OUTBOX_LEASE_SECONDS": "1",
}
# The calls that belong to the payment's path: the updates, and what concerns the payer.
PAYER_METHODS = ("sendMessage", "createChatInviteLink", "getChatMember", "getChat")


def _about_payer(method: str, params: JSON) -> bool:
    if method in ("getUpdates", "createChatInviteLink"):  # the link: only the payer's grant
        return True
    return method in PAYER_METHODS and str(params.get("chat_id")) == str(USER)


def _outcome(database: Path) -> tuple[list[tuple[str, str]], list[str]]:
    with sqlite3.connect(database) as db:
        payments = db.execute("SELECT charge_id, state FROM vip_star_payments").fetchall()
        query = "SELECT ends_at FROM subscriptions WHERE user_id = ?"
        ends = [row[0] for row in db.execute(query, (USER,))]
    return payments, ends


def _charge(world: World) -> str:
    return str(world.payments[-1]["successful_payment"]["telegram_payment_charge_id"])


def _links(world: World) -> list[Any]:
    return [m for m in world.to(USER) if "t.me/+" in m.text]


async def _pay_and_kill_at(folder: Path, step: int | None) -> list[str]:
    """Pay for VIP with a bot process that is SIGKILLed just before Telegram answers its
    ``step``-th call of the payment's path (None: never); then a second process finishes.
    The path's calls, as the first process made them."""
    await asyncio.to_thread(folder.mkdir)
    sandbox = SandboxServer()
    await sandbox.start()
    try:
        return await _run(folder, sandbox, step)
    finally:
        await sandbox.stop()


async def _run(folder: Path, sandbox: SandboxServer, step: int | None) -> list[str]:
    world = sandbox.world
    world.chat(VIP, "supergroup", "VIP")
    world.user(ADMIN, "Admin")
    database = folder / "bot.sqlite3"
    url = f"sqlite+aiosqlite:///{database}"
    await asyncio.to_thread(upgrade, url)
    first = await start_bot(folder, sandbox.base_url, url, **SETTINGS)
    path: list[str] = []

    def watching(method: str) -> Callable[[JSON], None]:
        def hook(params: JSON) -> None:
            if world.payments and first.returncode is None and _about_payer(method, params):
                path.append(method)
                if len(path) == step:
                    os.kill(first.pid, signal.SIGKILL)

        return hook

    try:
        world.send_text(USER, "/start")
        await world.wait_until(lambda: world.to(USER), 30)
        world.send_text(USER, "/subscribe")
        await world.wait_until(lambda: [m for m in world.to(USER) if m.method == "sendInvoice"], 30)
        [sent] = [m for m in world.to(USER) if m.method == "sendInvoice"]
        for method in ("getUpdates", *PAYER_METHODS):
            sandbox.before[method] = watching(method)
        world.pay(USER, sent)
        paid_at = datetime.now(UTC)
        if step is None:
            await world.wait_until(lambda: _links(world), 60)
            await asyncio.sleep(1.0)  # the path's last calls (the receipt) are counted too
            return path
        async with asyncio.timeout(30):
            await first.wait()  # killed at that step
    finally:
        sandbox.before.clear()
        await kill(first)
    second = await start_bot(folder, sandbox.base_url, url, **SETTINGS)
    try:
        granted = [(_charge(world), "granted")]
        await world.wait_until(lambda: _outcome(database)[0] == granted, 90)
        await world.wait_until(lambda: _links(world), 60)
    finally:
        await stop(second)
    payments, ends = _outcome(database)
    assert payments == granted, f"step {step} ({path}): {payments}"
    [end] = ends
    bought = datetime.fromisoformat(end).replace(tzinfo=UTC) - paid_at
    assert timedelta(days=30, minutes=-2) < bought < timedelta(days=30, minutes=2), (
        f"step {step} ({path}): the subscription ends {bought} after the payment"
    )
    return path


@pytest.mark.timeout(900)  # two bot processes per step of the path
async def test_kill_9_at_every_step_of_a_payment_loses_nothing(tmp_path: Path) -> None:
    """The payment's path, measured once; then for each of its calls, a bot killed with
    SIGKILL just before Telegram answers it and a second bot started: every time the charge
    is stored and granted exactly once (30 days, not 0, not 60), and the payer gets a link."""
    path = await _pay_and_kill_at(tmp_path / "reference", None)
    assert path.count("getUpdates") >= 2 and "createChatInviteLink" in path, path
    for step in range(1, len(path) + 1):
        await _pay_and_kill_at(tmp_path / f"step{step}", step)
