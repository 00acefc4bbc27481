"""Stop and delete, and edit after sending, through the real bot against the sandbox Bot API:
/deletebroadcast deletes every delivered copy once (and nothing is sent after), asking again
queues nothing; a copy 48 hours old stays and is reported; /editbroadcast corrects every
delivered copy in its reader's language and the waiting ones go out corrected; deletions
queued before a restart are carried out once after it; the console's delete and edit."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_application
from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.core.lifecycle import serving
from bot.core.people import speaking
from bot.core.web.models import ConsoleAudit
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.service import announcement, key_prefix
from bot.modules.broadcast.undo import delete_prefix, edit_prefix
from bot.sandbox import SandboxServer, SentMessage
from tests.conftest import ADMIN, make_settings, migrate
from tests.e2e.conftest import CHANNEL, VIP, Harness
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.factories import register_user, register_users
from tests.helpers.servers import free_port

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
RATE = 20.0  # sends a second: 100 copies take 5 s, long enough to act in the middle


def sent_to(h: Harness, users: range) -> list[SentMessage]:
    return [m for m in h.sandbox.world.messages if m.chat_id in users]


def calls(h: Harness, method: str) -> int:
    return sum(1 for name, _ in h.sandbox.world.calls if name == method)


async def last_broadcast(h: Harness) -> int:
    async with h.services.db.session() as session:
        found = await session.scalar(select(func.max(Broadcast.id)))
    assert found is not None
    return int(found)


async def rows(h: Harness, prefix: str) -> Counter[tuple[str, str | None]]:
    """The outbox rows whose key starts ``prefix``, by (status, last_error)."""
    o = OutboxMessage
    async with h.services.db.session() as session:
        found = await session.execute(
            select(o.status, o.last_error, func.count())
            .where(o.key.startswith(prefix))
            .group_by(o.status, o.last_error)
        )
        return Counter({(status, error): n for status, error, n in found.all()})


async def quiet(h: Harness, *prefixes: str, timeout: float = 30) -> None:
    """Wait until no row under ``prefixes`` is pending (none waits, none is with the sender),
    then for the bot to be idle: "nothing more arrives" is asserted after this."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for prefix in prefixes:
        while any(status == "pending" for status, _ in await rows(h, prefix)):
            assert loop.time() < deadline, f"rows under {prefix} stayed pending"
            await asyncio.sleep(0.02)
    await h.idle(timeout=timeout)


async def delivered(h: Harness, text: str, users: range) -> int:
    """/broadcast ``text`` to ``users`` (registered here), wait until each has it; its id."""
    await register_users(h.services, users, world=h.sandbox.world)
    await h.broadcast(ADMIN, text)
    broadcast_id = await last_broadcast(h)
    await h.wait(lambda: {m.chat_id for m in sent_to(h, users)} == set(users), timeout=30)
    await quiet(h, key_prefix(broadcast_id))
    return broadcast_id


async def test_delete_removes_every_delivered_copy_once_and_a_second_delete_queues_nothing(
    harness: Harness,
) -> None:
    """Five copies delivered; /deletebroadcast queues five deletions and the sandbox sees each
    copy deleted exactly once, nothing sent to the users after; asking again queues nothing
    (no more deleteMessage calls) and tells how it went."""
    users = range(60_000, 60_005)
    broadcast_id = await delivered(harness, "Wrong sale date", users)
    before = len(harness.sandbox.world.messages)
    answer = await harness.reply(ADMIN, f"/deletebroadcast {broadcast_id}")
    assert f"Broadcast #{broadcast_id} stopped: 5 deletions queued." in answer
    world = harness.sandbox.world
    await harness.wait(lambda: {m.chat_id for m in world.deleted} >= set(users), timeout=30)
    await quiet(harness, delete_prefix(broadcast_id))
    gone = [m for m in world.deleted if m.chat_id in users]
    assert Counter(m.chat_id for m in gone) == Counter(users)
    assert all(m.deleted for m in sent_to(harness, users))  # every copy they had is gone
    assert not [m for m in world.messages[before:] if m.chat_id in users]  # nothing new sent
    assert await rows(harness, delete_prefix(broadcast_id)) == Counter({("sent", None): 5})
    deletes = calls(harness, "deleteMessage")
    again = await harness.reply(ADMIN, f"/deletebroadcast {broadcast_id}")
    assert f"Broadcast #{broadcast_id} stopped: 0 deletions queued." in again
    assert "Deleted 5 · deleting 0 · failed 0" in again
    await harness.idle()
    assert calls(harness, "deleteMessage") == deletes
    assert await rows(harness, delete_prefix(broadcast_id)) == Counter({("sent", None): 5})


async def test_delete_in_the_middle_stops_the_rest_and_deletes_what_went_out(
    harness_factory: Callable[..., Any],
) -> None:
    """A broadcast to 100 users paced at 20 a second, stopped and deleted after 10 copies:
    the waiting copies are never sent, and every copy that did go out (those with the sender
    at that moment too) is deleted, exactly once; each user got at most one copy."""
    harness: Harness = await harness_factory(rate_global_per_second=RATE)
    users = range(61_000, 61_100)
    await register_users(harness.services, users, world=harness.sandbox.world)
    await harness.broadcast(ADMIN, "Not for everyone")
    broadcast_id = await last_broadcast(harness)
    await harness.wait(lambda: len(sent_to(harness, users)) >= 10, timeout=30)
    answer = await harness.reply(ADMIN, f"/deletebroadcast {broadcast_id}")
    assert "waiting messages will not be sent" in answer
    await quiet(harness, key_prefix(broadcast_id))
    got = sent_to(harness, users)
    await harness.wait(lambda: len([m for m in got if m.deleted]) == len(got), timeout=30)
    await quiet(harness, key_prefix(broadcast_id), delete_prefix(broadcast_id))
    assert set(Counter(m.chat_id for m in got).values()) == {1}
    assert len(got) < 100
    assert len(sent_to(harness, users)) == len(got)  # nothing went out after
    assert Counter(m.chat_id for m in harness.sandbox.world.deleted if m.chat_id in users) == (
        Counter(m.chat_id for m in got)
    )
    done = await rows(harness, key_prefix(broadcast_id))
    assert done[("sent", None)] == len(got)
    assert done[("skipped", "broadcast cancelled")] == 100 - len(got)


async def test_copies_48_hours_old_stay_and_are_reported(
    harness_factory: Callable[..., Any],
) -> None:
    """On a manual clock: three copies delivered, 49 hours later /deletebroadcast queues no
    deletion and says three copies are older than 48 hours and stay (none is deleted); a copy
    the bot still thinks deletable but Telegram calls too old is refused and counted as not
    deletable on the console."""
    clock = ManualClock(START)
    port = free_port()
    harness: Harness = await harness_factory(
        clock=clock, http_port=port, console_url=f"http://127.0.0.1:{port}/console/"
    )
    world = harness.sandbox.world
    world.message_clock = lambda: clock.now().timestamp()
    old_users = range(62_000, 62_003)
    first = await delivered(harness, "Last week's news", old_users)
    clock.advance(49 * HOUR)
    answer = await harness.reply(ADMIN, f"/deletebroadcast {first}")
    assert f"Broadcast #{first} stopped: 0 deletions queued." in answer
    assert "3 copies are older than 48 hours and stay." in answer
    await harness.idle(timeout=60)  # the jobs of the two days skipped catch up meanwhile
    assert calls(harness, "deleteMessage") == 0
    assert not any(m.deleted for m in sent_to(harness, old_users))

    late_users = range(62_100, 62_102)
    second = await delivered(harness, "Yesterday's news", late_users)
    world.message_clock = lambda: (clock.now() + 48 * HOUR).timestamp()  # Telegram's view
    answer = await harness.reply(ADMIN, f"/deletebroadcast {second}")
    assert f"Broadcast #{second} stopped: 5 deletions queued." in answer  # to all five
    await quiet(harness, delete_prefix(second), timeout=60)
    assert not any(m.deleted for m in sent_to(harness, range(62_000, 62_102)))
    signed = sign_init_data(harness.app.bot.token, ADMIN, auth_date=clock.now().timestamp())
    async with ConsoleClient(port, signed) as client:
        shown = (await client.get(f"broadcasts/{second}")).body
        old = (await client.get(f"broadcasts/{first}")).body
    assert shown["undo"]["not_deletable"] == 5 and shown["undo"]["deleted"] == 0
    assert old["undo"]["not_deletable"] == 3


async def test_edit_corrects_every_delivered_copy_in_its_language(harness: Harness) -> None:
    """Three copies delivered, one to a Ukrainian reader; /editbroadcast with the corrected
    text on the next line edits each copy in place, the Ukrainian one under its Ukrainian
    header; the same correction again queues nothing and edits nothing twice."""
    users = range(63_000, 63_003)
    async with harness.services.db.session() as session:
        await register_user(session, 63_002, now=harness.services.clock.now(), language_code="uk")
    harness.sandbox.world.user(63_002)
    broadcast_id = await delivered(harness, "Meet at 18:00 on Fridya", users)
    answer = await harness.reply(ADMIN, f"/editbroadcast {broadcast_id}\nMeet at 18:00 on Friday")
    assert f"Broadcast #{broadcast_id}, edit 1:" in answer
    assert "3 delivered copies queued for editing." in answer
    world = harness.sandbox.world
    await harness.wait(lambda: all(m.edits for m in sent_to(harness, users)), timeout=30)
    await quiet(harness, edit_prefix(broadcast_id))
    with speaking("uk"):
        ukrainian = announcement("Meet at 18:00 on Friday")
    assert ukrainian.startswith("📣 Оголошення")
    english = announcement("Meet at 18:00 on Friday")
    expected = {63_000: english, 63_001: english, 63_002: ukrainian}
    assert {m.chat_id: m.text for m in sent_to(harness, users)} == expected
    assert [m.edits for m in sent_to(harness, users)] == [1, 1, 1]
    for copy in sent_to(harness, users):  # the buttons under the copy stay
        assert copy.reply_markup == copy.params.get("reply_markup")
    edits = calls(harness, "editMessageText")
    again = await harness.reply(ADMIN, f"/editbroadcast {broadcast_id}\nMeet at 18:00 on Friday")
    assert "0 delivered copies queued for editing." in again
    assert "Edit 1: edited 3 · editing 0 · failed 0" in again
    await harness.idle()
    assert calls(harness, "editMessageText") == edits
    assert [m.edits for m in sent_to(harness, users)] == [1, 1, 1]
    assert len(world.to(63_000)) == 1


async def test_waiting_copies_go_out_with_the_new_text(
    harness_factory: Callable[..., Any],
) -> None:
    """A paced broadcast paused after 10 copies, corrected, then resumed: the delivered copies
    are edited, the held ones are sent corrected; every user ends with one copy reading the
    new text."""
    harness: Harness = await harness_factory(rate_global_per_second=RATE)
    users = range(64_000, 64_060)
    await register_users(harness.services, users, world=harness.sandbox.world)
    await harness.broadcast(ADMIN, "Tpyo inside")
    broadcast_id = await last_broadcast(harness)
    await harness.wait(lambda: len(sent_to(harness, users)) >= 10, timeout=30)
    await harness.reply(ADMIN, f"/pausebroadcast {broadcast_id}")
    await quiet(harness, key_prefix(broadcast_id))
    early = len(sent_to(harness, users))
    answer = await harness.reply(ADMIN, f"/editbroadcast {broadcast_id}\nTypo inside")
    assert f"{early} delivered copies queued for editing." in answer
    assert f"{60 - early} waiting copies will go out with the new text." in answer
    await harness.reply(ADMIN, f"/resumebroadcast {broadcast_id}")
    await harness.wait(lambda: len(sent_to(harness, users)) == 60, timeout=30)
    await quiet(harness, key_prefix(broadcast_id), edit_prefix(broadcast_id))
    final = sent_to(harness, users)
    assert Counter(m.chat_id for m in final) == Counter(users)
    assert {m.text for m in final} == {announcement("Typo inside")}
    assert sum(1 for m in final if m.edits) == early


@pytest.fixture
async def restartable(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> AsyncIterator[Callable[..., Any]]:
    """Start a bot, stop it, start another on the same database (and sandbox); whatever is
    running at the end is stopped."""
    sandbox.world.chat(CHANNEL, "channel", "Channel")
    sandbox.world.chat(VIP, "supergroup", "VIP")
    running: list[Any] = []

    async def start(**overrides: Any) -> tuple[Harness, Callable[[], Any]]:
        values = {"telegram_api_base_url": sandbox.base_url, "channel_id": CHANNEL}
        settings = make_settings(tmp_path, vip_chat_id=VIP, **values, **overrides)
        await migrate(settings.database_url, schema_template)
        context = serving(build_application(settings), poll_timeout=1)
        harness = Harness(await context.__aenter__(), sandbox)
        running.append(context)

        async def stop() -> None:
            running.remove(context)
            await context.__aexit__(None, None, None)

        return harness, stop

    try:
        yield start
    finally:
        for context in reversed(running):
            await context.__aexit__(None, None, None)


async def test_deletions_queued_before_a_restart_are_done_once_after_it(
    restartable: Callable[..., Any],
) -> None:
    """Telegram holds the deletions (the answers never come) and the bot stops; a new bot on
    the same database deletes every copy, each exactly once, and a third /deletebroadcast
    after it queues nothing."""
    first, stop = await restartable(outbox_stop_grace_seconds=0.5)
    users = range(65_000, 65_004)
    broadcast_id = await delivered(first, "Deleted across a restart", users)
    world, release = first.sandbox.world, asyncio.Event()

    async def hold(_params: dict[str, Any]) -> None:
        await release.wait()

    first.sandbox.before["deleteMessage"] = hold
    answer = await first.reply(ADMIN, f"/deletebroadcast {broadcast_id}")
    assert "4 deletions queued" in answer
    await first.wait(lambda: calls(first, "deleteMessage") >= 1, timeout=30)
    await stop()
    assert not world.deleted
    del first.sandbox.before["deleteMessage"]
    second, _stop = await restartable()
    await second.wait(lambda: {m.chat_id for m in world.deleted} >= set(users), timeout=30)
    release.set()  # the first bot's held calls now find the copies gone
    await quiet(second, delete_prefix(broadcast_id))
    assert Counter(m.chat_id for m in world.deleted if m.chat_id in users) == Counter(users)
    again = await second.reply(ADMIN, f"/deletebroadcast {broadcast_id}")
    assert "0 deletions queued" in again and "Deleted 4 · deleting 0" in again


async def test_console_delete_and_edit_are_admin_only_audited_and_checked(
    harness_factory: Callable[..., Any],
) -> None:
    """POST broadcasts/<id>/edit and /delete from the console: a moderator is refused, a bad
    or unknown id and an edit without text are refused (400, 404) and change nothing; the
    admin's edit and delete answer what they queued, and each is audited."""
    port = free_port()
    harness: Harness = await harness_factory(
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},77",
    )
    users = range(66_000, 66_003)
    broadcast_id = await delivered(harness, "Console typo", users)
    token = harness.app.bot.token
    async with ConsoleClient(port, sign_init_data(token, 77)) as moderator:
        refused = await moderator.post(f"broadcasts/{broadcast_id}/delete", {})
        assert refused.status == 403, refused
    async with ConsoleClient(port, sign_init_data(token, ADMIN)) as client:
        assert (await client.post("broadcasts/x1/delete", {})).status == 400
        assert (await client.post("broadcasts/999999/delete", {})).status == 404
        assert (await client.post("broadcasts/999999/edit", {"text": "a"})).status == 404
        for body in ({}, {"text": ""}, {"text": 5}, {"text": "   "}):
            bad = await client.post(f"broadcasts/{broadcast_id}/edit", body)
            assert bad.status == 400, (body, bad)
        edited = await client.post(f"broadcasts/{broadcast_id}/edit", {"text": "Console fix"})
        assert edited.status == 200, edited
        assert edited.body["version"] == 1 and edited.body["queued"] == 3
        assert edited.body["text"] == "Console fix"
        await harness.wait(lambda: all(m.edits for m in sent_to(harness, users)), timeout=30)
        await quiet(harness, edit_prefix(broadcast_id))
        assert {m.text for m in sent_to(harness, users)} == {announcement("Console fix")}
        deleted = await client.post(f"broadcasts/{broadcast_id}/delete", {})
        assert deleted.status == 200 and deleted.body["queued"] == 3, deleted
        await harness.wait(lambda: all(m.deleted for m in sent_to(harness, users)), timeout=30)
        await quiet(harness, delete_prefix(broadcast_id))
        shown = (await client.get(f"broadcasts/{broadcast_id}")).body
    assert shown["undo"]["deleted"] == 3 and shown["undo"]["edited"] == 3
    assert shown["undo"]["version"] == 1
    async with harness.services.db.session() as session:
        audited = (await session.execute(select(ConsoleAudit.action, ConsoleAudit.result))).all()
    actions = Counter((action, result) for action, result in audited)
    assert actions[("broadcasts.edit", "ok")] == 1
    assert actions[("broadcasts.delete", "ok")] == 1
    assert actions[("broadcasts.edit", "refused")] == 5  # an unknown id, four bad bodies
    assert actions[("broadcasts.delete", "refused")] >= 2  # the bad id, the unknown one


async def test_edits_queued_before_a_restart_are_done_once_after_it(
    restartable: Callable[..., Any],
) -> None:
    """Telegram holds the edits and the bot stops; a new bot on the same database edits every
    copy, each once (the first bot's calls, answered late, find it already corrected)."""
    first, stop = await restartable(outbox_stop_grace_seconds=0.5)
    users = range(67_000, 67_003)
    broadcast_id = await delivered(first, "Edited acros a restart", users)
    release = asyncio.Event()

    async def hold(_params: dict[str, Any]) -> None:
        await release.wait()

    first.sandbox.before["editMessageText"] = hold
    answer = await first.reply(ADMIN, f"/editbroadcast {broadcast_id}\nEdited across a restart")
    assert "3 delivered copies queued for editing." in answer
    await first.wait(lambda: calls(first, "editMessageText") >= 1, timeout=30)
    await stop()
    del first.sandbox.before["editMessageText"]
    second, _stop = await restartable()
    await second.wait(lambda: all(m.edits for m in sent_to(second, users)), timeout=30)
    release.set()
    await quiet(second, edit_prefix(broadcast_id))
    assert {m.text for m in sent_to(second, users)} == {announcement("Edited across a restart")}
    assert [m.edits for m in sent_to(second, users)] == [1, 1, 1]
    again = await second.reply(ADMIN, f"/editbroadcast {broadcast_id}\nEdited across a restart")
    assert "0 delivered copies queued for editing." in again
