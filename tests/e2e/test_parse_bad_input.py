"""Hostile numbers through the real bot: Unicode digits and out-of-range times get clear answers
and change nothing (``'²'.isdigit()`` is true and ``int('²')`` raises)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.core.kernel.db import Base
from bot.core.people import users
from bot.sandbox import SandboxServer
from bot.sandbox.terminal import sandbox_command
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START

# Flood limits lifted: one admin sends many commands in a row (pacing is tested elsewhere).
pytestmark = pytest.mark.lifted_limits

USER = 4242
# Tables that change on their own while the bot runs (job bookkeeping, health, snapshots,
# who used the bot today).
BACKGROUND = {"job_runs", "job_state", "incidents", "analytics_daily", "user_days"}
# No scheduled job (nor its start-up catch-up) may queue messages while a test counts rows.
QUIET_JOBS = {
    name: {"enabled": False}
    for name in (
        "missions.send_daily",
        "missions.expire",
        "subscriptions.remind",
        "subscriptions.expire",
        "content.publish_due",
        "content.import_feed",
        "referrals.process",
        "economy.reconcile",
        "analytics.quick_stats",
        "analytics.daily_report",
        "cleanup.daily",
        "cleanup.optimize",
        "monitoring.health",
    )
}


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> Harness:
    """A bot in Europe/Berlin selling VIP for Stars, with one registered user."""
    h: Harness = await harness_factory(
        clock=ManualClock(START),
        timezone="Europe/Berlin",
        vip_stars_price=50,
        jobs=QUIET_JOBS,
        **UNPACED,
    )
    await h.reply(USER, "/start")
    async with asyncio.timeout(10):  # start-up bookkeeping (catch-up, first start) is done
        await h.services.runner.caught_up()
    return h


async def counts(h: Harness) -> dict[str, int]:
    """Rows per table, background bookkeeping aside: 'nothing changed' is equality of these."""
    async with h.services.db.session() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name not in BACKGROUND
        }


async def test_start_with_unicode_digit_payload_registers_and_answers(bot: Harness) -> None:
    """/start ref_² registers the user without a referrer and welcomes them."""
    assert "Welcome to Companion" in await bot.reply(5001, "/start ref_²")
    assert "Welcome to Companion" in await bot.reply(5002, f"/start ref_{USER}")
    assert "Welcome to Companion" in await bot.reply(5003, "/start ref_١٢")
    async with bot.services.db.session() as session:
        first, second, third = [await session.get(users.User, i) for i in (5001, 5002, 5003)]
    assert first is not None and first.referrer_id is None
    assert second is not None and second.referrer_id == USER
    assert third is not None and third.referrer_id is None


async def test_done_button_with_unicode_digits_is_answered_and_changes_nothing(
    bot: Harness,
) -> None:
    """Pressing a button with data mission:done:¹² stops the spinner with 'not valid'."""
    [mission] = await bot.say(USER, "/mission")
    before = await counts(bot)
    world = bot.sandbox.world
    for data in ("mission:done:¹²", "mission:done:١", f"mission:done:{2**40}"):
        answered = len(world.callback_answers)
        world.press(USER, mission, data)
        await bot.wait(lambda n=answered: len(world.callback_answers) > n)
        assert "not valid" in world.callback_answers[answered]["text"]
    assert await counts(bot) == before and mission.edits == 0


BAD_ADMIN_COMMANDS = [
    ("/jobhistory content.publish_due ²", "Usage: /jobhistory"),
    ("/jobhistory content.publish_due ١٢", "Usage: /jobhistory"),
    ("/jobhistory x ²", "Unknown job 'x'"),
    ("/cancelpost ²", "Usage: /cancelpost"),
    ("/cancelpost 99999999999", "Usage: /cancelpost"),
    ("/retiremission ²", "Usage: /retiremission"),
    ("/retiremission ١", "Usage: /retiremission"),
    ("/addmission ² Walk | Walk a mile.", "whole number from 1 to 1000"),
    ("/grant ² 30d", "Usage: /grant"),
    (f"/grant {USER} ³⁰d", "is not a duration"),
    (f"/grant {USER} ３０d", "is not a duration"),
    ("/post 0001-01-01T00:00 Ancient news", "out of range"),
    ("/post ٢٠٢٦-١٢-٠١T09:00 News", "is not a time"),
    ("/post +²h News", "is not a time"),
]


async def test_admin_commands_with_bad_numbers_answer_and_change_nothing(bot: Harness) -> None:
    """Every admin command given Unicode digits or an out-of-range value answers clearly
    (/post 0001-01-01T00:00 in Europe/Berlin used to raise OverflowError)."""
    before = await counts(bot)
    for command, expected in BAD_ADMIN_COMMANDS:
        await answer(bot, ADMIN, command, expected)
    assert await counts(bot) == before


async def test_quiet_with_unicode_digits_gets_the_usage(bot: Harness) -> None:
    """/quiet 22-٠٨ is refused with the usage (it used to set 22-08) and stores nothing."""
    before = await counts(bot)
    for text in ("/quiet ²-8", "/quiet 22-٠٨"):
        assert "Usage" in await answer(bot, USER, text, "/quiet")
    assert await counts(bot) == before


async def test_invoice_with_unicode_digits_is_refused_at_pre_checkout(bot: Harness) -> None:
    """A pre-checkout query whose payload holds '¹' is answered 'not valid'; nothing is paid."""
    [invoice] = await bot.say(USER, "/subscribe")
    world = bot.sandbox.world
    before = await counts(bot)
    forged = dataclasses.replace(invoice, params={**invoice.params, "payload": "vip:¹:30:50"})
    world.pay(USER, forged)
    await bot.wait(lambda: any(a.get("pre_checkout") for a in world.callback_answers))
    [refusal] = [a for a in world.callback_answers if a.get("pre_checkout")]
    assert refusal["ok"] in (False, "false") and "not valid" in str(refusal["error_message"])
    assert world.payments == [] and await counts(bot) == before


@pytest.mark.parametrize(
    "line",
    [":as ² hi", ":as ١٢ hi", ":press ²", ":press 1 ²", ":block ¹", ":fault x", ":fault nan"],
)
async def test_sandbox_terminal_lines_with_bad_numbers_print_their_usage(line: str) -> None:
    """A ':' line with Unicode digits or a non-number prints that command's usage and does
    nothing (int('²') and float('x') used to end the terminal chat)."""
    server, printed = SandboxServer(), []
    assert sandbox_command(line, server, printed.append) is True
    [answer] = printed
    assert answer.startswith(f"usage: {line.split()[0]}")
    assert server.fault_rate == 0.0 and await server.world.take_updates(0, 100, 0) == []
    assert server.world.users == {}
