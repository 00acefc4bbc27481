"""The console's Broadcasts API over real loopback HTTP against the running bot and the
sandbox Bot API: the list with live progress, one broadcast, pause, resume and cancel (the
same functions as /pausebroadcast, /resumebroadcast and /cancelbroadcast), and every refusal,
which changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from bot.core.delivery import OutboxMessage
from bot.core.kernel import SERIAL_MAX
from bot.core.web import ConsoleError, ConsoleRequest
from bot.core.web.models import ConsoleAudit
from bot.modules.broadcast import console_api
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.service import CANCELLED, announcement, key_prefix
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.factories import register_user, register_users
from tests.helpers.servers import free_port

STRANGER, MODERATOR = 5, 77
AUDIENCE = range(40_000, 40_300)
RATE = 20.0  # sends a second: a broadcast to 300 users takes 15 s, long enough to steer


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> tuple[Harness, int]:
    """A bot serving the console on a free loopback port (one moderator), its broadcasts
    paced at ``RATE`` messages a second, each chat at Telegram's pace (the admin's chat gets
    the preview, the question and the progress's edits within seconds)."""
    port = free_port()
    harness: Harness = await harness_factory(
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},{MODERATOR}",
        rate_global_per_second=RATE,
    )
    return harness, port


def signed(harness: Harness, user: int) -> str:
    return sign_init_data(harness.app.bot.token, user)


def received(harness: Harness, text: str) -> Counter[int]:
    """How many copies of the announcement ``text`` each user got from the sandbox (the admin's
    preview left out)."""
    body = announcement(text)
    copies = Counter(m.chat_id for m in harness.sandbox.world.messages if m.text == body)
    return copies - Counter({ADMIN: 1})  # the preview the admin saw before sending


async def rows(harness: Harness, broadcast_id: int) -> Counter[tuple[str, str | None]]:
    """The broadcast's outbox rows by (status, last_error)."""
    o = OutboxMessage
    async with harness.services.db.session() as session:
        found = await session.execute(
            select(o.status, o.last_error, func.count())
            .where(o.key.startswith(key_prefix(broadcast_id)))
            .group_by(o.status, o.last_error)
        )
        return Counter({(status, error): n for status, error, n in found.all()})


async def quiet(harness: Harness, broadcast_id: int, timeout: float = 30) -> None:
    """Wait until no row of the broadcast is pending (none waits, none is in the sender's
    hands: a claimed row's lease puts it past ``Harness.idle``'s horizon), then for the bot
    to be idle. "Nothing more arrives" is asserted after this, never after a fixed sleep."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(status == "pending" for status, _ in await rows(harness, broadcast_id)):
        assert loop.time() < deadline, "the broadcast's rows stayed pending"
        await asyncio.sleep(0.02)
    await harness.idle(timeout=timeout)


async def audit(harness: Harness) -> list[tuple[int, str, str | None, str]]:
    async with harness.services.db.session() as session:
        found = await session.execute(select(ConsoleAudit).order_by(ConsoleAudit.id))
        return [(a.user_id, a.action, a.target, a.result) for a in found.scalars()]


async def start(harness: Harness, text: str, audience: range = AUDIENCE) -> tuple[int, Any]:
    """/broadcast ``text`` from the admin's chat to ``audience``; the broadcast's id and
    its progress message."""
    await register_users(harness.services, audience, world=harness.sandbox.world)
    status = await harness.broadcast(ADMIN, text)
    async with harness.services.db.session() as session:
        broadcast_id = await session.scalar(select(func.max(Broadcast.id)))
    assert broadcast_id is not None
    assert f"/cancelbroadcast {broadcast_id}" in (status.text or "")
    return broadcast_id, status


async def test_cancel_stops_a_paced_broadcast_and_leaves_nothing_waiting(
    bot: tuple[Harness, int],
) -> None:
    """A broadcast to 300 users paced at 20/s, cancelled from the console after 30 sends:
    the answer says how many were still in flight; once they are done the sandbox gets
    nothing more (each user got at most one copy, exactly those the outbox records as sent,
    no more than were sent or in flight at the cancel), no row of it waits in the outbox, the
    chat's progress message says it was cancelled, and resume, pause and a second cancel are
    refused with 409 without changing anything."""
    harness, port = bot
    broadcast_id, status = await start(harness, "Cancel me")
    await harness.wait(lambda: sum(received(harness, "Cancel me").values()) >= 30, timeout=30)
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        answer = await client.post(f"broadcasts/{broadcast_id}/cancel", {})
        assert answer.status == 200, answer
        at_cancel = answer.body
        assert at_cancel["state"] == "cancelled" and at_cancel["waiting"] == 0
        assert at_cancel["cancelled"] > 200
        await quiet(harness, broadcast_id)
        got = received(harness, "Cancel me")
        after = await rows(harness, broadcast_id)
        assert set(got.values()) == {1}
        assert sum(got.values()) == after[("sent", None)]
        assert sum(got.values()) <= at_cancel["delivered"] + at_cancel["in_flight"]
        assert {status for status, _ in after} <= {"sent", "skipped"}  # nothing waits
        assert after[("skipped", CANCELLED)] == 300 - sum(got.values())
        await harness.wait(lambda: "Broadcast cancelled" in (status.text or ""), timeout=10)
        assert f"cancelled {300 - sum(got.values())}" in (status.text or "")
        for action in ("resume", "pause", "cancel"):
            refused = await client.post(f"broadcasts/{broadcast_id}/{action}", {})
            assert refused.status == 409, (action, refused)
            assert refused.body["error"] == f"Broadcast #{broadcast_id} was cancelled."
        shown = (await client.get(f"broadcasts/{broadcast_id}")).body
    assert await rows(harness, broadcast_id) == after
    assert received(harness, "Cancel me") == got
    assert shown["state"] == "cancelled" and shown["in_flight"] == 0
    assert shown["delivered"] + shown["cancelled"] == shown["total"] == 300
    assert harness.sandbox.too_many_requests == 0
    target = str(broadcast_id)
    assert await audit(harness) == [
        (ADMIN, "broadcasts.cancel", target, "ok"),
        (ADMIN, "broadcasts.resume", target, "refused"),
        (ADMIN, "broadcasts.pause", target, "refused"),
        (ADMIN, "broadcasts.cancel", target, "refused"),
    ]


async def test_pause_holds_the_rest_and_resume_from_the_chat_sends_it(
    bot: tuple[Harness, int],
) -> None:
    """A pause from the console holds every message not yet handed to the sender: once the
    in-flight ones are done, nothing more arrives and the page shows it paused with its held
    messages waiting; /resumebroadcast in the chat (the same function) sends the rest, each
    user getting exactly one copy, and the broadcast ends."""
    harness, port = bot
    audience = range(41_000, 41_100)
    broadcast_id, _status = await start(harness, "Hold on", audience)
    await harness.wait(lambda: sum(received(harness, "Hold on").values()) >= 10, timeout=30)
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        paused = await client.post(f"broadcasts/{broadcast_id}/pause", {})
        assert paused.status == 200 and paused.body["state"] == "paused", paused
        await quiet(harness, broadcast_id)
        held = await rows(harness, broadcast_id)
        got = received(harness, "Hold on")
        assert sum(got.values()) == held[("sent", None)] < 100
        assert held[("paused", None)] == 100 - sum(got.values())
        listed = (await client.get("broadcasts")).body["broadcasts"]
        mine = next(b for b in listed if b["id"] == broadcast_id)
        assert mine["state"] == "paused" and mine["state_text"] == "paused"
        assert mine["waiting"] == mine["paused"] == held[("paused", None)]
        assert mine["in_flight"] == 0 and mine["delivered"] == sum(got.values())
        again = await client.post(f"broadcasts/{broadcast_id}/pause", {})
        assert again.status == 200 and again.body["state"] == "paused"
    assert await rows(harness, broadcast_id) == held
    answer = await harness.reply(ADMIN, f"/resumebroadcast {broadcast_id}")
    assert "Broadcasting…" in answer or "Broadcast finished" in answer
    await harness.wait(lambda: sum(received(harness, "Hold on").values()) == 100, timeout=30)
    await quiet(harness, broadcast_id)
    assert received(harness, "Hold on") == Counter(audience)
    assert await rows(harness, broadcast_id) == Counter({("sent", None): 100})
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        ended = (await client.get(f"broadcasts/{broadcast_id}")).body
        assert ended["state"] == "finished" and ended["delivered"] == 100
        refused = await client.post(f"broadcasts/{broadcast_id}/cancel", {})
        assert refused.status == 409
        assert refused.body["error"] == f"Broadcast #{broadcast_id} has finished."


async def test_list_and_detail_show_who_what_when_and_where_each_message_stands(
    bot: tuple[Harness, int],
) -> None:
    """GET broadcasts lists the newest first with its text's preview, the admin who started
    it (id and name), when, and delivered / blocked / failed / waiting counts; a user who
    blocked the bot meanwhile counts as blocked; GET broadcasts/<id> adds the whole text."""
    harness, port = bot
    world = harness.sandbox.world
    audience = range(42_000, 42_010)
    await register_users(harness.services, audience, world=world)
    world.user(42_003).blocked = True
    async with harness.services.db.session() as session:  # the admin, among the audience
        await register_user(session, ADMIN, now=harness.services.clock.now(), first_name="Olena")
    text = "Long news " + "x" * 300
    await harness.broadcast(ADMIN, text)
    await harness.wait(lambda: sum(received(harness, text).values()) == 10, timeout=30)
    async with harness.services.db.session() as session:
        broadcast_id = await session.scalar(select(func.max(Broadcast.id)))
    assert broadcast_id is not None
    await quiet(harness, broadcast_id)
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        listed = await client.get("broadcasts")
        assert listed.status == 200
        first = listed.body["broadcasts"][0]
        assert first["preview"].startswith("Long news xxx") and len(first["preview"]) == 120
        assert "text" not in first
        assert first["created_by"]["id"] == ADMIN and first["created_at"]
        assert first["created_by"] == {"id": ADMIN, "name": "Olena"}
        counts = {key: first[key] for key in ("total", "delivered", "blocked", "failed")}
        assert counts == {"total": 11, "delivered": 10, "blocked": 1, "failed": 0}
        assert first["waiting"] == first["in_flight"] == 0 and first["state"] == "finished"
        one = await client.get(f"broadcasts/{first['id']}")
        assert one.status == 200 and one.body["text"] == text
        assert {k: one.body[k] for k in counts} == counts
        assert (await client.get("broadcasts?limit=1")).body["broadcasts"] == [first]
        for bad in ("0", "101", "x", "²", "-1"):
            refused = await client.get(f"broadcasts?limit={bad}")
            assert refused.status == 400, bad
        me = (await client.get("me")).body
        page = next(p for p in me["pages"] if p["id"] == "broadcasts")
        assert page["script"].endswith("/broadcast/broadcasts.js")
        assert page["texts"]["confirm_cancel"].startswith("Cancel this broadcast")
        # Over, its tally is kept: listing never counts its rows again, and the counts
        # outlive the rows (the retention purge deletes sent ones).
        async with harness.services.db.session() as session:
            stored = await session.get(Broadcast, broadcast_id)
            assert stored is not None and stored.final is not None
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.key.startswith(key_prefix(broadcast_id)))
            )
        again = (await client.get("broadcasts")).body["broadcasts"][0]
        assert {key: again[key] for key in counts} == counts and again["state"] == "finished"


async def test_refusals_change_nothing(bot: tuple[Harness, int]) -> None:
    """On a paused broadcast: a non-admin (403 everywhere), a moderator (403), the cookie
    session without its CSRF token (403), a guessed id (404) and a malformed one (400) leave
    every row where it was; then the admin's cancel with the cookie and its token works."""
    harness, port = bot
    audience = range(43_000, 43_100)
    broadcast_id, _status = await start(harness, "Steady", audience)
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        assert (await client.post(f"broadcasts/{broadcast_id}/pause", {})).status == 200
    await quiet(harness, broadcast_id)
    before, sent_before = await rows(harness, broadcast_id), received(harness, "Steady")
    assert before[("paused", None)] > 0
    routes = [("GET", "broadcasts"), ("GET", f"broadcasts/{broadcast_id}")] + [
        ("POST", f"broadcasts/{broadcast_id}/{action}") for action in ("pause", "resume", "cancel")
    ]
    for who in (STRANGER, MODERATOR):
        async with ConsoleClient(port, signed(harness, who)) as client:
            for method, path in routes:
                answer = await client.call(method, path, {} if method == "POST" else None)
                assert answer.status == 403, (who, method, path, answer)
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        for action in ("pause", "resume", "cancel"):
            assert (await client.post(f"broadcasts/999999/{action}", {})).status == 404
            for bad in ("x", "²", "0", "99999999999"):
                assert (await client.post(f"broadcasts/{bad}/{action}", {})).status == 400
        assert (await client.get("broadcasts/999999")).status == 404
        assert (await client.get("broadcasts/abc")).status == 400
        opened = await client.post("session")
        client.init_data = None  # the cookie only
        for action in ("resume", "cancel"):
            answer = await client.post(f"broadcasts/{broadcast_id}/{action}", {})
            assert answer.status == 403, answer
        assert await rows(harness, broadcast_id) == before
        assert received(harness, "Steady") == sent_before
        client.csrf = opened.body["csrf"]
        cancelled = await client.post(f"broadcasts/{broadcast_id}/cancel", {})
        assert cancelled.status == 200 and cancelled.body["state"] == "cancelled"
    await quiet(harness, broadcast_id)
    assert await rows(harness, broadcast_id) == Counter(
        {("sent", None): before[("sent", None)], ("skipped", CANCELLED): before[("paused", None)]}
    )
    assert received(harness, "Steady") == sent_before
    results = Counter((user, action, result) for user, action, _t, result in await audit(harness))
    assert results[(ADMIN, "broadcasts.cancel", "ok")] == 1
    assert results[(MODERATOR, "broadcasts.cancel", "refused")] == 1
    assert results[(ADMIN, "broadcasts.cancel", "refused")] >= 2  # without the token


async def test_chat_commands_answer_their_usage_and_unknown_ids(bot: tuple[Harness, int]) -> None:
    """/pausebroadcast, /resumebroadcast and /cancelbroadcast without an id, with two words,
    or with an id that is not ASCII digits answer their usage; an unknown id is named."""
    harness, _port = bot
    for command in ("pausebroadcast", "resumebroadcast", "cancelbroadcast"):
        for args in ("", " ²", " 1 2", " x", " -3"):
            answer = await harness.reply(ADMIN, f"/{command}{args}")
            assert answer.startswith(f"Usage: /{command} <id>"), (command, args, answer)
        assert await harness.reply(ADMIN, f"/{command} 424242") == "No broadcast #424242."


@given(st.text(max_size=24) | st.integers(-(2**64), 2**64).map(str))
def test_an_id_in_the_path_is_a_number_or_a_400(text: str) -> None:
    """Whatever the path holds, the broadcast id is read as ASCII digits from 1 to 2^31-1 or
    refused with 400, never an exception of another kind: ``²``, ``١٢`` and ``+7`` are refused."""
    request = ConsoleRequest(cast(Any, None), ADMIN, "admin", "en", params={"id": text})
    digits = text.isascii() and text.isdigit() and not text.startswith("-")
    try:
        found = console_api._id(request)
    except ConsoleError as exc:
        assert exc.status == 400
        assert not digits or not 1 <= int(text) <= SERIAL_MAX
    else:
        assert digits and found == int(text)
