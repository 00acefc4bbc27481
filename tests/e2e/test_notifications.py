"""Notification preferences: /notifications toggles, /quiet, and the outbox delivery policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from bot.core.delivery import OutboxMessage, Priority
from bot.core.kernel.clock import ManualClock
from bot.core.people import User
from bot.modules.notifications.models import NotificationPrefs
from bot.modules.notifications.service import PreferencesPolicy
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import CHANNEL, UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.factories import queue_message

USER = 3131


async def prefs(h: Harness) -> NotificationPrefs | None:
    async with h.services.db.session() as session:
        return await session.get(NotificationPrefs, USER)


async def enqueue(h: Harness, category: str, key: str, user_id: int = USER) -> bool:
    return await queue_message(
        h.services, key, user_id, text="hello", category=category, priority=Priority.MISSION
    )


async def test_policy_is_installed(harness: Harness) -> None:
    """The notifications module installs its policy as the outbox's delivery policy."""
    assert isinstance(harness.services.outbox.policy, PreferencesPolicy)


async def test_toggle_buttons_edit_in_place(harness: Harness) -> None:
    """/notifications shows three toggles; pressing one flips it and edits the same message."""
    [shown] = await harness.say(USER, "/notifications")
    assert "Daily mission: on" in (shown.text or "")
    fields = [b["callback_data"].rsplit(":", 1)[1] for b in shown.buttons()]
    assert fields == ["missions", "reminders", "announcements"]
    harness.sandbox.world.press(USER, shown, "notif:toggle:missions")
    await harness.wait(lambda: shown.edits == 1)
    assert "Daily mission: off" in (shown.text or "")
    assert len(harness.sandbox.world.to(USER)) == 1
    stored = await prefs(harness)
    assert stored is not None and not stored.missions and stored.reminders


async def test_forged_callback_changes_nothing(harness: Harness) -> None:
    """Callback data naming no real preference is answered and changes nothing."""
    [shown] = await harness.say(USER, "/notifications")
    world = harness.sandbox.world
    for forged in ("notif:toggle:quiet_start", "notif:toggle:", "notif:drop:missions"):
        world.press(USER, shown, forged)
    await harness.wait(lambda: len(world.callback_answers) == 3)
    assert all("not valid" in a.get("text", "") for a in world.callback_answers)
    assert shown.edits == 0 and await prefs(harness) is None


async def test_muted_missions_are_not_queued(harness: Harness) -> None:
    """A user who turned missions off gets no mission message; reminders and alerts still go."""
    [shown] = await harness.say(USER, "/notifications")
    harness.sandbox.world.press(USER, shown, "notif:toggle:missions")
    await harness.wait(lambda: shown.edits == 1)
    assert await enqueue(harness, "mission", "mission:2026-11-21:3131") is False
    assert await enqueue(harness, "reminder", "r:3131") is True
    assert await enqueue(harness, "alert", "a:3131") is True
    assert await enqueue(harness, "mission", "mission:2026-11-21:4000", user_id=4000) is True


async def test_quiet_hours_hold_bulk_until_window_ends(harness_factory: Callable[..., Any]) -> None:
    """In quiet hours (TIMEZONE, wrapping midnight) bulk waits for the end; alerts do not."""
    clock = ManualClock(datetime(2026, 11, 21, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    h: Harness = await harness_factory(clock=clock, timezone="Europe/Berlin")
    await answer(h, USER, "/quiet 22-08", "Quiet hours set: 22:00-08:00")
    await enqueue(h, "reminder", "held")
    await enqueue(h, "alert", "urgent")
    async with h.services.db.session() as session:
        query = select(OutboxMessage.key, OutboxMessage.next_attempt_at)
        due = {key: at for key, at in (await session.execute(query)).all()}
    assert due["held"] == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    assert due["urgent"] == clock.now()
    await answer(h, USER, "/quiet off", "off")
    stored = await prefs(h)
    assert stored is not None and stored.quiet_start is None


async def test_bad_quiet_hours_get_usage(harness_factory: Callable[..., Any]) -> None:
    """Malformed /quiet arguments get the usage and store nothing."""
    harness: Harness = await harness_factory(**UNPACED)
    harness.sandbox.set_limits(FloodLimits(private=None))  # four replies in a row
    for bad in ("/quiet", "/quiet 25-08", "/quiet 8-8", "/quiet soon"):
        await answer(harness, USER, bad, "Usage: /quiet")
    assert await prefs(harness) is None


async def test_channel_posts_ignore_preferences(harness_factory: Callable[..., Any]) -> None:
    """Preferences never hold back a channel post. At 23:30 in Berlin a user with quiet hours
    22-08, announcements and missions turned off and Ukrainian chosen sees them at work (a
    reminder is held until 08:00, an announcement muted); a post queued for the channel even
    with that user on its row, and one an admin in the same quiet hours publishes with
    /post now, are queued due now and arrive in the channel unchanged."""
    clock = ManualClock(datetime(2026, 11, 21, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    h: Harness = await harness_factory(clock=clock, timezone="Europe/Berlin", **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    for who in (USER, ADMIN):
        await answer(h, who, "/quiet 22-08", "Quiet hours set: 22:00-08:00")
    [shown] = await h.say(USER, "/notifications")
    for field in ("announcements", "missions"):
        before = shown.edits
        h.sandbox.world.press(USER, shown, f"notif:toggle:{field}")
        await h.wait(lambda: shown.edits > before)  # noqa: B023 - awaited in this iteration
    async with h.services.db.session() as session:
        await session.execute(update(User).where(User.id == USER).values(language="uk"))
    assert await enqueue(h, "announcement", "muted") is False
    assert await enqueue(h, "reminder", "held") is True
    post = Priority.POST
    queued = {"category": "post", "priority": post, "user_id": USER, "text": "Channel news"}
    assert await queue_message(h.services, "post:x", CHANNEL, **queued)
    await answer(h, ADMIN, "/post now Admin news", "on its way")
    async with h.services.db.session() as session:
        query = select(OutboxMessage.key, OutboxMessage.next_attempt_at)
        due = {key: at for key, at in (await session.execute(query)).all()}
    assert due["held"] == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    assert due["post:x"] <= clock.now()
    channel = h.sandbox.world
    await h.wait(lambda: {"Channel news", "Admin news"} <= {m.text for m in channel.to(CHANNEL)})


async def test_muted_user_gets_no_daily_mission(harness: Harness) -> None:
    """Through missions.send_daily: a user who turned missions off gets none, another user does."""
    world = harness.sandbox.world
    await harness.reply(USER, "/start")
    await harness.reply(USER + 1, "/start")
    [shown] = await harness.say(USER, "/notifications")
    world.press(USER, shown, "notif:toggle:missions")
    await harness.wait(lambda: shown.edits == 1)
    summary = await harness.run_job("missions.send_daily")
    assert "queued 1" in (summary or "")
    await harness.wait(lambda: any("mission" in (m.text or "") for m in world.to(USER + 1)))
    await harness.idle()
    assert not any("Today's mission" in (m.text or "") for m in world.to(USER))


async def test_quiet_alone_shows_the_hours_in_force(harness_factory: Callable[..., Any]) -> None:
    """/quiet with nothing after it says which quiet hours hold now, with the usage."""
    harness: Harness = await harness_factory(**UNPACED)
    harness.sandbox.set_limits(FloodLimits(private=None))
    await answer(harness, USER, "/quiet", "You have no quiet hours.")
    await answer(harness, USER, "/quiet 22-08", "Quiet hours set: 22:00-08:00")
    await answer(harness, USER, "/quiet", "Your quiet hours: 22:00-08:00 (UTC).")
