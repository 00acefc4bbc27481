"""Replies in the user's language through the real bot: Telegram's language_code, /language,
bulk messages rendered per recipient, menus per language, the admins' report."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.core.jobs import JobContext
from bot.core.kernel.clock import ManualClock
from bot.core.people.users import User
from bot.modules.analytics.service import compute
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer, told
from tests.helpers.clocks import MORNING
from tests.helpers.jobs import installed_days_before

# Flood limits lifted: each test exchanges many messages with one user in seconds.
pytestmark = pytest.mark.lifted_limits

UK_USER, EN_USER, REGION_USER = 7001, 7002, 7003
DEFAULT_MENU = '{"type": "default"}'


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> Harness:
    harness: Harness = await harness_factory(clock=ManualClock(MORNING), **UNPACED)
    return harness


async def _run(h: Harness, name: str) -> str | None:
    """A declared job's function, run the way the runner runs a manual trigger."""
    spec = h.services.jobs.get(name)
    assert spec is not None
    return await spec.func(
        JobContext(h.services, h.app.bot, name, "manual", h.services.clock.now())
    )


async def _press(h: Harness, user_id: int, message: SentMessage, data: str) -> str:
    """Press a button; the text of the callback's answer."""
    world = h.sandbox.world
    before = len(world.callback_answers)
    world.press(user_id, message, data)
    await h.wait(lambda: len(world.callback_answers) > before)
    return str(world.callback_answers[before].get("text", ""))


async def _arrives(h: Harness, user_id: int, expect: str) -> str:
    """Wait for a message to ``user_id`` containing ``expect`` (bulk ones come via the outbox)."""
    world = h.sandbox.world
    found = await h.wait(
        lambda: next((m.text for m in world.to(user_id) if expect in (m.text or "")), None),
        timeout=20,
    )
    return str(found)


async def test_a_ukrainian_user_reads_ukrainian_throughout(bot: Harness) -> None:
    """language_code=uk: /start, /mission, Done, /balance, a broadcast and a subscription
    reminder are all in Ukrainian, while the admin who acts reads English."""
    bot.sandbox.world.user(UK_USER, language_code="uk")
    assert "Вітаємо в Companion" in await bot.reply(UK_USER, "/start")
    (mission,) = await bot.say(UK_USER, "/mission")
    assert "🎯 Місія на сьогодні:" in (mission.text or "")
    for line in (mission.text or "").splitlines():  # the seeded mission itself too
        assert not _ENGLISH_WORD.search(line), line
    assert [b["text"] for b in mission.buttons()] == ["✅ Готово"]
    done = await _press(bot, UK_USER, mission, mission.buttons()[0]["callback_data"])
    assert done.startswith("+") and "бал" in done
    await bot.wait(lambda: mission.edits == 1)
    assert "✅ Місію виконано" in (mission.text or "") and "1 день поспіль" in (mission.text or "")
    balance = await bot.reply(UK_USER, "/balance")
    assert "💰 Бали:" in balance and "🔥 Серія: 1 день" in balance and "місія" in balance
    assert "Broadcasting" in ((await bot.broadcast(ADMIN, "Big news")).text or "")
    assert await _arrives(bot, UK_USER, "Big news") == "📣 Оголошення\n\nBig news"
    await answer(bot, ADMIN, f"/grant {UK_USER} 2d", "subscribed until")
    await _arrives(bot, UK_USER, "Приєднуйтеся до VIP-чату")
    assert await _run(bot, "subscriptions.remind") == "reminded 1 (3 days) and 0 (1 day)"
    reminder = await _arrives(bot, UK_USER, "VIP-підписка завершується")
    assert "менш ніж за 3 дні" in reminder and "Попросіть адміністратора" in reminder


async def test_switching_with_language_changes_the_next_bulk_message(bot: Harness) -> None:
    """An English user picks Українська with /language: the answer, /help, the next
    broadcast and the next daily mission are Ukrainian; switching back, English again."""
    bot.sandbox.world.user(EN_USER, language_code="en")
    assert "Welcome to Companion" in await bot.reply(EN_USER, "/start")
    (menu,) = await bot.say(EN_USER, "/language")
    assert [b["text"] for b in menu.buttons()] == ["✅ English", "Українська"]
    assert (
        await _press(bot, EN_USER, menu, "lang:set:uk") == "Готово: мова спілкування — Українська."
    )
    await bot.wait(lambda: menu.edits == 1)
    assert "Команди, якими ви можете скористатися:" in await bot.reply(EN_USER, "/help")
    await bot.broadcast(ADMIN, "Festival")
    assert await _arrives(bot, EN_USER, "Festival") == "📣 Оголошення\n\nFestival"
    await _run(bot, "missions.send_daily")
    await _arrives(bot, EN_USER, "🎯 Місія на сьогодні:")
    (menu,) = await bot.say(EN_USER, "/language")
    assert "Мова спілкування: Українська" in (menu.text or "")
    assert (
        await _press(bot, EN_USER, menu, "lang:set:en") == "Done: I will write to you in English."
    )
    await bot.broadcast(ADMIN, "Second")
    assert await _arrives(bot, EN_USER, "Second") == "📣 Announcement\n\nSecond"


async def test_region_codes_menus_and_a_forged_button(bot: Harness) -> None:
    """uk-UA reads Ukrainian; the command menu is published in English by default and in
    Ukrainian for clients set to Ukrainian; a forged language button changes nothing."""
    world = bot.sandbox.world
    world.user(REGION_USER, language_code="uk-UA")
    assert "Вітаємо в Companion" in await bot.reply(REGION_USER, "/start")
    start_en = {"command": "start", "description": "register and see what this bot does"}
    start_uk = {"command": "start", "description": "зареєструватися й дізнатися, що вміє бот"}
    admin_menu = json.dumps({"chat_id": ADMIN, "type": "chat"}, sort_keys=True) + "|uk"
    await bot.wait(lambda: admin_menu in world.commands)  # published after polling starts
    assert start_en in world.commands[DEFAULT_MENU]
    assert start_uk in world.commands[f"{DEFAULT_MENU}|uk"]
    assert start_en in world.commands[f"{DEFAULT_MENU}|en"]
    admin_commands = {c["command"] for c in world.commands[admin_menu]}
    assert {"start", "broadcast", "runjob"} <= admin_commands, admin_commands
    (menu,) = await bot.say(REGION_USER, "/language")
    refused = await _press(bot, REGION_USER, menu, "lang:set:xx")
    assert refused == "Ця мова недоступна. Надішліть /language ще раз."
    async with bot.services.db.session() as session:
        assert await session.scalar(select(User.language).where(User.id == REGION_USER)) is None


async def test_the_admins_report_is_in_each_admins_language(
    harness_factory: Callable[..., Any],
) -> None:
    """An admin who chose Ukrainian gets the daily report's caption and chart in Ukrainian
    (a chart drawn for their language), another admin the English ones."""
    other = 2
    h: Harness = await harness_factory(
        clock=ManualClock(MORNING + timedelta(hours=1)), admin_ids=f"{ADMIN},{other}", **UNPACED
    )
    h.sandbox.set_limits(FloodLimits(private=None))
    await h.reply(ADMIN, "/start")
    (menu,) = await h.say(ADMIN, "/language")
    await _press(h, ADMIN, menu, "lang:set:uk")
    assert (await _run(h, "analytics.daily_report") or "").startswith("no report for 2026-11-20")
    await installed_days_before(h.services, 2)  # a bot that ran all of yesterday
    await _run(h, "analytics.daily_report")
    async with h.services.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("report:"))
        )
        reports = {row.chat_id: row.payload for row in rows}
    assert reports[ADMIN]["caption"].startswith("Щоденний звіт за")
    assert reports[ADMIN]["photo"].endswith("-uk.png")
    assert reports[other]["caption"].startswith("Daily report for")
    assert reports[other]["photo"].endswith("-en.png")


async def test_the_sweeper_writes_each_users_mission_in_their_language(
    harness_factory: Callable[..., Any],
) -> None:
    """Two users due at the same 08:00, one Ukrainian and one English: the sweep's one batch
    queues each mission in its recipient's language, and /missiontime answers in it."""
    clock = ManualClock(datetime(2026, 11, 21, 7, 50, tzinfo=UTC))
    h: Harness = await harness_factory(clock=clock, **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    h.sandbox.world.user(UK_USER, language_code="uk")
    for user_id in (UK_USER, EN_USER):
        await h.reply(user_id, "/start")
    assert "Тепер ваші місії приходять о 08:00" in await h.reply(UK_USER, "/missiontime 08:00")
    assert "now arrive at 08:00" in await h.reply(EN_USER, "/missiontime 08:00")
    clock.advance(timedelta(minutes=15))
    await h.sweep()
    assert "✅ Готово" in str((await _message(h, UK_USER, "🎯 Місія на сьогодні:")).reply_markup)
    assert "✅ Done" in str((await _message(h, EN_USER, "🎯 Today's mission:")).reply_markup)


async def _message(h: Harness, user_id: int, expect: str) -> SentMessage:
    world = h.sandbox.world
    found: SentMessage = await h.wait(
        lambda: next((m for m in world.to(user_id) if expect in (m.text or "")), None),
        timeout=20,
    )
    return found


# Words of an English label or a raw figure key (``suggestions_pending``) in a reply.
_RAW_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_ENGLISH_WORD = re.compile(r"\b(?:[A-Za-z]{3,})\b")


async def test_a_ukrainian_admins_stats_has_every_figure_labelled_in_ukrainian(
    bot: Harness,
) -> None:
    """Every figure of /stats (analytics', missions', subscriptions', moderation's) is under
    a Ukrainian label: no raw key, no English word, the median a duration."""
    bot.sandbox.world.user(ADMIN, language_code="uk")
    await bot.reply(ADMIN, "/start")
    text = await bot.reply(ADMIN, "/stats")
    figures = text.splitlines()[1:]
    assert len(figures) >= 12, text
    for line in figures:
        assert not _RAW_KEY.search(line), line
        assert not _ENGLISH_WORD.search(line), line
    assert "Медіанний час до рішення" in text and "Пропозицій чекають на розгляд: 0" in text


async def test_every_figure_a_module_counts_has_a_label(bot: Harness) -> None:
    """What /stats counts (analytics' own figures and every module's provider's) is declared
    with a label on its Module."""
    services = bot.services
    now, tz = services.clock.now(), services.settings.tz
    async with services.db.session() as session:
        figures = await compute(session, services.stats, now.date(), tz, now)
    assert len(figures) >= 12 and set(figures) <= services.stats.labelled()


async def test_a_ukrainian_admins_jobs_reads_ukrainian(bot: Harness) -> None:
    """/jobs for a Ukrainian admin: schedules, next runs (with the weekday), statuses,
    durations and trigger words in Ukrainian; only job names and cron expressions stay."""
    bot.sandbox.world.user(ADMIN, language_code="uk")
    await bot.reply(ADMIN, "/start")
    await answer(bot, ADMIN, "/runjob cleanup.optimize", "cleanup.optimize")

    def finished() -> bool:
        texts = [m.text or "" for m in bot.sandbox.world.to(ADMIN)]
        return sum("cleanup.optimize" in text for text in texts) >= 2

    await bot.wait(finished, 30)
    listing = await bot.reply(ADMIN, "/jobs")
    lines = listing.splitlines()[1:]
    assert len(lines) >= 16
    for line in lines:
        words = line.split(" — ", 1)[1]  # after "• <job name>"
        assert not _ENGLISH_WORD.search(words.replace("/runjob", "")), line
    quick = next(line for line in lines if "analytics.quick_stats" in line)
    assert "періодичність: 15 хвилин" in quick, quick
    optimize = next(line for line in lines if "cleanup.optimize" in line)
    assert "0 4 * * 0" in optimize and "нд 2026-11-22 04:00" in optimize, optimize
    assert "останній: " in optimize and " с, о " in optimize, optimize
    history = await bot.reply(ADMIN, "/jobhistory cleanup.optimize")
    assert "вручну" in history and "manual" not in history


async def test_a_mission_added_with_a_ukrainian_text_reaches_ukrainian_readers(
    bot: Harness,
) -> None:
    """/addmission with a `uk:` line: the Ukrainian reader gets it in Ukrainian, the English
    one in English; a language the bot does not ship is refused and adds nothing."""
    for retired in range(1, 13):  # only the new mission can be assigned
        await answer(bot, ADMIN, f"/retiremission {retired}", "retired")
    refused = await bot.reply(ADMIN, "/addmission 10 Drink tea | Make a cup.\nfr: Thé | Une tasse.")
    assert "uk" in refused and "en" in refused
    added = await bot.reply(
        ADMIN,
        "/addmission 10 Drink tea | Make a cup of tea.\nuk: Випийте чаю | Заваріть чашку чаю.",
    )
    assert added.startswith("Added mission #13: Drink tea") and "Also in: uk." in added
    bot.sandbox.world.user(UK_USER, language_code="uk")
    (uk_mission,) = await bot.say(UK_USER, "/mission")
    assert "Випийте чаю" in (uk_mission.text or "") and "Заваріть чашку чаю." in (
        uk_mission.text or ""
    )
    (en_mission,) = await bot.say(EN_USER, "/mission")
    assert "Drink tea" in (en_mission.text or "") and "Випийте" not in (en_mission.text or "")


async def test_a_job_summary_is_read_in_each_admins_language(
    harness_factory: Callable[..., Any],
) -> None:
    """A Ukrainian admin runs a job: its summary is stored in every language, so they read
    it in Ukrainian and another admin's /jobhistory shows it in English."""
    other = 2
    h: Harness = await harness_factory(
        clock=ManualClock(MORNING + timedelta(hours=1)), admin_ids=f"{ADMIN},{other}", **UNPACED
    )
    h.sandbox.set_limits(FloodLimits(private=None))
    h.sandbox.world.user(ADMIN, language_code="uk")
    await h.reply(ADMIN, "/start")
    await answer(h, ADMIN, "/runjob referrals.process", "referrals.process")
    finished = await told(h, ADMIN, "referrals.process", "0 ")
    assert "виплачено 0 прострочених винагород за запрошення" in finished, finished
    english = await h.reply(other, "/jobhistory referrals.process")
    assert "paid 0 overdue referral rewards" in english, english
