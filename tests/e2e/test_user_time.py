"""Each user's own time through the real bot and the sandbox: zones, mission times, DST."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from sqlalchemy import event, select

from bot.core.kernel.clock import ManualClock
from bot.core.people import formatting, users
from bot.core.people.user_times import UserSchedule
from bot.modules.missions.models import MissionAssignment
from bot.sandbox import SentMessage, World
from bot.sandbox.world import bot_user
from tests.e2e.conftest import UNPACED, Harness, settle

# Flood limits lifted: these tests exchange several messages with one user at once.
pytestmark = pytest.mark.lifted_limits

MORNING = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 06:00 in Kyiv, 23:00 the day before in NY


async def _bot(factory: Callable[..., Any], start: datetime) -> tuple[Harness, ManualClock]:
    clock = ManualClock(start)
    harness: Harness = await factory(clock=clock, timezone="Europe/Kyiv", **UNPACED)
    await settle(harness)
    return harness, clock


def _missions_to(h: Harness, user_id: int) -> list[SentMessage]:
    return [m for m in h.sandbox.world.to(user_id) if "Today's mission" in (m.text or "")]


async def _due(h: Harness, user_id: int) -> datetime | None:
    async with h.services.db.session() as session:
        row = await session.get(UserSchedule, (user_id, "mission"))
        return None if row is None else row.due_at


async def test_two_users_in_different_zones_get_the_mission_at_their_own_eight(
    harness_factory: Callable[..., Any],
) -> None:
    """Kyiv and New York users who chose 08:00 each receive the mission at their own 08:00
    (06:00 and 13:00 UTC), once, and not before."""
    h, clock = await _bot(harness_factory, MORNING)
    for user_id, zone in ((11, "Europe/Kyiv"), (12, "America/New_York")):
        await h.reply(user_id, "/start")
        assert zone in await h.reply(user_id, f"/timezone {zone}")
        assert "08:00" in await h.reply(user_id, "/missiontime 08:00")
    while clock.now() < datetime(2026, 11, 21, 14, 0, tzinfo=UTC):
        clock.advance(timedelta(minutes=15))
        await h.sweep()
        if clock.now() == datetime(2026, 11, 21, 6, 0, tzinfo=UTC):
            await h.wait(lambda: len(_missions_to(h, 11)) == 1, timeout=15)
            assert _missions_to(h, 12) == []
    await h.wait(lambda: len(_missions_to(h, 12)) == 1, timeout=15)
    await settle(h)
    assert len(_missions_to(h, 11)) == 1 and len(_missions_to(h, 12)) == 1
    [done] = _missions_to(h, 12)[0].buttons()
    assert done["callback_data"].startswith("mission:done:")


@pytest.mark.parametrize(
    ("night", "at", "fires_at"),
    [(date(2027, 3, 14), "02:30", time(3, 0)), (date(2026, 11, 1), "01:30", time(1, 30))],
    ids=["spring-forward", "fall-back"],
)
async def test_a_dst_night_sends_the_mission_exactly_once(
    harness_factory: Callable[..., Any], night: date, at: str, fires_at: time
) -> None:
    """A New York user whose mission time is skipped (02:30 in March) or repeated (01:30 in
    November) gets exactly one mission that night, at the first valid time."""
    tz = ZoneInfo("America/New_York")
    h, clock = await _bot(harness_factory, datetime.combine(night, time(0), tz))
    await h.reply(21, "/start")
    await h.reply(21, "/timezone America/New_York")
    await h.reply(21, f"/missiontime {at}")
    sent_at: list[datetime] = []
    while clock.now() < datetime.combine(night, time(5), tz):
        clock.advance(timedelta(minutes=10))
        await h.sweep()
        if len(_missions_to(h, 21)) > len(sent_at):
            sent_at.append(clock.now())
        await settle(h)
    await settle(h)
    assert len(_missions_to(h, 21)) == 1
    async with h.services.db.session() as session:
        days = list(await session.scalars(select(MissionAssignment.day)))
    assert days == [night]
    due = await _due(h, 21)
    assert due is not None and due.astimezone(tz).date() == night + timedelta(days=1)
    first_valid = datetime.combine(night, fires_at, tz)
    assert sent_at and timedelta(0) <= sent_at[0] - first_valid <= timedelta(minutes=10)


async def test_timezone_offers_a_list_and_a_button_sets_it(
    harness_factory: Callable[..., Any],
) -> None:
    """/timezone alone lists zones of the user's region (from language_code) as buttons;
    pressing one stores it and moves the next mission to that zone's morning."""
    h, _clock = await _bot(harness_factory, MORNING)
    h.sandbox.world.user(31).language_code = "en-US"
    await h.reply(31, "/start")
    (menu,) = await h.say(31, "/timezone")
    zones_offered = [b["text"] for b in menu.buttons()]
    assert zones_offered[0] == "America/New_York" and "Europe/Kyiv" in zones_offered
    world, before = h.sandbox.world, len(h.sandbox.world.callback_answers)
    world.press(31, menu, "tz:America/New_York")
    await h.wait(lambda: len(world.callback_answers) > before)
    async with h.services.db.session() as session:
        assert await users.timezone_of(session, 31) == "America/New_York"
    assert await _due(h, 31) == datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # 09:00 in NY


async def test_a_bad_zone_or_time_gets_the_closest_names_and_changes_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """`/timezone Europe/Kiyv` suggests Europe/Kyiv, `/missiontime 25:00` shows the usage;
    neither changes the stored zone nor the next due time. An offset is accepted."""
    h, _clock = await _bot(harness_factory, MORNING)
    await h.reply(41, "/start")
    await h.reply(41, "/missiontime 07:00")
    before = await _due(h, 41)
    answer = await h.reply(41, "/timezone Europe/Kiyv")
    assert "Europe/Kiyv" in answer and "Europe/Kyiv" in answer
    assert "/missiontime 08:30" in await h.reply(41, "/missiontime 25:00")
    assert "such as Europe/Kyiv" in await h.reply(41, "/timezone Mars/Olympus_Mons_Base")
    async with h.services.db.session() as session:
        assert await users.timezone_of(session, 41) is None
    assert await _due(h, 41) == before
    assert "UTC+05:45" in await h.reply(41, "/timezone +5:45")
    assert await _due(h, 41) == datetime(2026, 11, 22, 1, 15, tzinfo=UTC)  # 07:00 at +05:45


async def test_mission_day_and_balance_dates_follow_the_users_zone(
    harness_factory: Callable[..., Any],
) -> None:
    """At 12:00 UTC on the 21st it is already the 22nd at UTC+14: /mission assigns the 22nd's
    mission and /balance dates its points the 22nd."""
    h, _clock = await _bot(harness_factory, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    await h.reply(51, "/start")
    await h.reply(51, "/timezone Pacific/Kiritimati")
    (mission,) = await h.say(51, "/mission")
    [done] = mission.buttons()
    world, before = h.sandbox.world, len(h.sandbox.world.callback_answers)
    world.press(51, mission, done["callback_data"])
    await h.wait(lambda: len(world.callback_answers) > before)
    async with h.services.db.session() as session:
        days = list(await session.scalars(select(MissionAssignment.day)))
    assert days == [date(2026, 11, 22)]
    assert f"{formatting.day(date(2026, 11, 22))} +" in await h.reply(51, "/balance")


def _more(items: list[Any], than: int) -> bool:
    return len(items) > than


class HeldConnections:
    """The bot's database connections checked out right now, each with the update it was
    checked out for (the ``update_id`` bound to its log lines), from the pool's own events."""

    def __init__(self, h: Harness) -> None:
        self.held: dict[int, object] = {}
        self.seen: list[tuple[str, list[object]]] = []  # (method, updates holding one)
        pool_events = h.services.db.engine.sync_engine
        event.listen(pool_events, "checkout", self._checkout)
        event.listen(pool_events, "checkin", self._checkin)
        for method in ("sendMessage", "editMessageText", "answerCallbackQuery"):
            h.sandbox.before[method] = partial(self._sent, method)

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        self.held[id(dbapi_connection)] = structlog.contextvars.get_contextvars().get("update_id")

    def _checkin(self, dbapi_connection: Any, _record: Any) -> None:
        self.held.pop(id(dbapi_connection), None)

    def _sent(self, method: str, _params: object) -> None:
        updates = [update for update in self.held.values() if update is not None]
        self.seen.append((method, updates))


async def test_no_answer_waits_inside_a_transaction(
    harness_factory: Callable[..., Any],
) -> None:
    """Every answer of the missions and accounts commands and buttons (replies, edits,
    button answers) is sent after the handler's transaction ended: an answer may wait for
    the rate limiter, and a database connection must not wait with it."""
    h, _clock = await _bot(harness_factory, MORNING)
    held = HeldConnections(h)
    user = 51
    await h.reply(user, "/missiontime 08:30")  # not registered yet
    await h.reply(user, "/missiontime")
    await h.reply(user, "/start")
    for text in ("/missiontime", "/missiontime 08:30", "/missiontime default", "/missiontime x"):
        await h.reply(user, text)
    for text in ("/timezone", "/timezone +2", "/timezone Mars/Base", "/help", "/whoami"):
        await h.reply(user, text)
    (zones,) = await h.say(user, "/timezone")
    (mission,) = await h.say(user, "/mission")
    world = h.sandbox.world
    for menu, data in ((zones, "tz:Europe/Kyiv"), (mission, mission.buttons()[0]["callback_data"])):
        answered = len(world.callback_answers)
        world.press(user, menu, data)
        await h.wait(partial(_more, world.callback_answers, answered))
    await h.idle()
    assert len(held.seen) >= 16
    assert [seen for seen in held.seen if seen[1]] == []


@pytest.mark.parametrize(
    ("issued_in", "moved_to", "late"),
    [("+14", "-12", timedelta(hours=25)), ("Europe/Kyiv", "-12", timedelta(hours=13))],
)
async def test_a_change_of_zone_does_not_extend_a_missions_deadline(
    harness_factory: Callable[..., Any], issued_in: str, moved_to: str, late: timedelta
) -> None:
    """A mission is due by the end of its day in the zone the user had when it was issued:
    moving west afterwards (so that the mission's day is "today" again, up to 26 h later)
    does not let it be completed after that end (no points, no completion), and the expiry
    closes it as missed at that end."""
    h, clock = await _bot(harness_factory, datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    user, world = 61, h.sandbox.world
    await h.reply(user, "/start")
    await h.reply(user, f"/timezone {issued_in}")
    (mission,) = await h.say(user, "/mission")
    async with h.services.db.session() as session:
        (assignment,) = (await session.scalars(select(MissionAssignment))).all()
    deadline = assignment.ends_at
    assert deadline is not None and deadline > clock.now()
    assert "UTC-12" in await h.reply(user, f"/timezone {moved_to}")
    clock.advance(deadline + late - clock.now())
    async with h.services.db.session() as session:
        assert h.services.clock.today(await users.zone_for(session, user, UTC)) == assignment.day
    answered = len(world.callback_answers)
    world.press(user, mission, mission.buttons()[0]["callback_data"])
    await h.wait(lambda: len(world.callback_answers) > answered)
    assert "expired" in world.callback_answers[-1].get("text", "")
    async with h.services.db.session() as session:
        row = await session.get(MissionAssignment, assignment.id, populate_existing=True)
        assert row is not None and row.status != "done" and row.completed_at is None
    await h.run_job("missions.expire")  # past its deadline: closed as missed, streak reset
    async with h.services.db.session() as session:
        row = await session.get(MissionAssignment, assignment.id, populate_existing=True)
        assert row is not None and row.status == "missed"


def _press_in_group(world: World, presser: int, menu: SentMessage, data: str, asked: int) -> None:
    """``presser`` presses a button of ``menu``, the bot's answer in a group to message
    ``asked``: the callback carries the menu with the message it replies to, as Telegram's."""
    replied_to = menu.params["reply_parameters"]["message_id"]
    message = {
        "message_id": menu.message_id,
        "date": 0,
        "chat": world.chat_json(menu.chat_id),
        "from": bot_user(),
        "text": menu.text or "",
        "reply_to_message": {
            "message_id": replied_to,
            "date": 0,
            "chat": world.chat_json(menu.chat_id),
            "from": world.user(asked).as_user(),
            "text": "/timezone",
        },
    }
    query = {"id": f"cq-{presser}-{data}", "from": world.user(presser).as_user(), "data": data}
    world.push({"callback_query": {**query, "chat_instance": "ci", "message": message}})


async def test_a_zone_menu_in_a_group_answers_only_the_member_who_asked(
    harness_factory: Callable[..., Any],
) -> None:
    """/timezone in a group shows the list to everyone (in reply to the asker): another
    member's press is answered "not valid for you" and changes nothing (no zone, the
    message as it was); the asker's press sets their zone."""
    h, _clock = await _bot(harness_factory, MORNING)
    world, group, asker, other = h.sandbox.world, -1_001_000_000_071, 71, 72
    world.chat(group, "supergroup", "Friends")
    for user_id in (asker, other):
        await h.reply(user_id, "/start")
    asked = world.send_in_chat(group, asker, "/timezone")
    menu = await h.wait(lambda: next(iter(world.to(group)), None))
    assert menu.params["reply_parameters"]["message_id"] == asked
    shown, data = menu.text, menu.buttons()[0]["callback_data"]
    for presser in (other, asker):
        answered = len(world.callback_answers)
        _press_in_group(world, presser, menu, data, asker)
        await h.wait(partial(_more, world.callback_answers, answered))
        await h.idle()
        if presser == other:
            assert "not valid for you" in world.callback_answers[-1].get("text", "")
            assert world.to(group)[0].text == shown
    async with h.services.db.session() as session:
        assert await users.timezone_of(session, other) is None
        assert await users.timezone_of(session, asker) == data.removeprefix("tz:").split("@")[0]
    assert world.to(group)[0].text != shown  # the asker's choice, written on the menu
