"""The console's People page API over real loopback HTTP against the running bot and the
sandbox Bot API: users found by id and @username, a person's profile with the sections the
economy and subscriptions modules add, and VIP granted and revoked with /grant's and
/revoke's effects. Every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.delivery import OutboxMessage
from bot.core.people import store_choice
from bot.core.web.models import ConsoleAudit
from bot.modules.economy.service import Reason, credit, mirror_streak
from bot.modules.subscriptions.models import Subscription
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, VIP, Harness
from tests.helpers.chat import answer
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.factories import subscription_of
from tests.helpers.servers import free_port

OLENA, OLEKSA, LOOKALIKE, STRANGER, MODERATOR = 4242, 4343, 4444, 5, 77
NOBODY = 999_777


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> tuple[Harness, int]:
    """A bot serving the console, with one moderator and three users who sent /start:
    @Olena_K, @olena_kovalenko and @olenaXk (whose name an unescaped ``_`` would match)."""
    port = free_port()
    harness: Harness = await harness_factory(
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},{MODERATOR}",
        **UNPACED,
    )
    world = harness.sandbox.world
    for user_id, name, username in (
        (OLENA, "Olena", "Olena_K"),
        (OLEKSA, "Oleksa", "olena_kovalenko"),
        (LOOKALIKE, "Ola", "olenaXk"),
    ):
        world.user(user_id, name, username)
        await harness.reply(user_id, "/start")
    return harness, port


def admin(harness: Harness, port: int, user: int = ADMIN) -> ConsoleClient:
    return ConsoleClient(port, sign_init_data(harness.app.bot.token, user))


async def footprint(harness: Harness) -> dict[str, Any]:
    """What a refused request must leave as it was: subscriptions, invite links, the
    subscription messages queued to users, removals from the VIP chat."""
    async with harness.services.db.session() as session:
        subs = (await session.execute(select(Subscription.user_id, Subscription.status))).all()
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.key.startswith("sub"))
        )
    world = harness.sandbox.world
    return {
        "subscriptions": sorted(subs),
        "links": len(world.invite_links),
        "queued": queued,
        "removals": list(world.moderation),
    }


async def audit_rows(harness: Harness) -> list[tuple[int, str, str | None, str]]:
    async with harness.services.db.session() as session:
        rows = await session.execute(
            select(
                ConsoleAudit.user_id, ConsoleAudit.action, ConsoleAudit.target, ConsoleAudit.result
            ).order_by(ConsoleAudit.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_users_are_found_by_id_and_by_username(bot: tuple[Harness, int]) -> None:
    """?q=<id> finds that user; ?q=@name (any case, with or without @) finds the exact
    username first, then those it begins (an ``_`` is a character, not a wildcard); an
    unknown id finds no one; anything else is 400."""
    harness, port = bot
    async with admin(harness, port) as client:
        by_id = await client.get(f"users?q={OLENA}")
        assert by_id.status == 200
        [found] = by_id.body["users"]
        assert found["id"] == OLENA and found["username"] == "Olena_K"
        assert found["first_name"] == "Olena" and found["reachable"] is True
        for q in ("@olena_k", "OLENA_K", "%40Olena_K"):
            named = await client.get(f"users?q={q}")
            assert named.status == 200, q
            assert [u["id"] for u in named.body["users"]] == [OLENA, OLEKSA], q
        only = await client.get("users?q=olena_kov")
        assert [u["id"] for u in only.body["users"]] == [OLEKSA]
        assert (await client.get(f"users?q={NOBODY}")).body["users"] == []
        for bad in ("", "olena%20k", "-5", "%25", "1" * 21, "@", "a" * 33, str(2**53)):
            refused = await client.get(f"users?q={bad}")
            assert refused.status == 400, bad
            assert "q:" in refused.body["error"]


async def test_a_person_shows_profile_language_zone_and_the_modules_sections(
    bot: tuple[Harness, int],
) -> None:
    """users/<id> is the profile (language as /language chose it, zone as /timezone set it)
    with the sections the other modules declare; points, ledger and streak are what /balance
    shows; the VIP section offers Grant only while there is no subscription."""
    harness, port = bot
    services = harness.services
    assert "Europe/Kyiv" in await harness.reply(OLENA, "/timezone Europe/Kyiv")
    now = services.clock.now()
    async with services.db.session() as session:
        assert await store_choice(session, services.cache, OLENA, "uk")
    async with services.uow() as uow:
        await credit(uow, user_id=OLENA, amount=10, reason=Reason.MISSION, reference="d1", now=now)
        await credit(
            uow, user_id=OLENA, amount=50, reason=Reason.STREAK_BONUS, reference="s7", now=now
        )
        await mirror_streak(uow.session, OLENA, 7, services.clock.today(services.settings.tz))
    balance = await answer(harness, OLENA, "/balance", "60")
    async with admin(harness, port) as client:
        person = await client.get(f"users/{OLENA}")
        assert person.status == 200
        body = person.body
        assert body["id"] == OLENA and body["username"] == "Olena_K"
        assert body["language"] == "uk" and body["timezone"] == "Europe/Kyiv"
        assert body["timezone_choice"] == "Europe/Kyiv" and body["reachable"] is True
        assert [s["id"] for s in body["sections"]] == ["points", "ledger", "streak", "vip"]
        assert {s["module"] for s in body["sections"]} == {"economy", "subscriptions"}
        sections = {}
        for section in body["sections"]:
            got = await client.get(section["path"])
            assert got.status == 200, section
            assert got.body["section"] == section["id"] and got.body["title"]
            sections[section["id"]] = got.body
        assert (await client.get(f"users/{OLENA}/profile")).body["timezone"] == "Europe/Kyiv"
        assert (await client.get(f"users/{OLENA}/ledger?limit=1")).body["entries"][0][
            "amount"
        ] == 50
        assert (await client.get(f"users/{OLENA}/ledger?limit=0")).status == 400
        assert (await client.get(f"users/{OLENA}/ledger?limit=x")).status == 400
    assert sections["points"]["points"] == sections["points"]["ledger_sum"] == 60
    assert [e["amount"] for e in sections["ledger"]["entries"]] == [50, 10]
    assert sections["streak"]["streak"] == 7
    assert "60" in balance and "7" in balance  # what /balance told the user
    vip = sections["vip"]
    assert vip["active"] is False and vip["status"] is None
    assert [a["id"] for a in vip["actions"]] == ["grant"]


async def test_grant_from_the_console_sends_the_invite_link_as_grant_does(
    bot: tuple[Harness, int],
) -> None:
    """POST users/<id>/vip/grant {"duration": "30d"}: the subscription starts, a one-person
    join-request link to the VIP chat is made and delivered to the user, the VIP section
    shows it active (with Revoke), and the audit log has the grant; a second grant extends."""
    harness, port = bot
    world = harness.sandbox.world
    async with admin(harness, port) as client:
        granted = await client.post(f"users/{OLENA}/vip/grant", {"duration": "30d"})
        assert granted.status == 200, granted.body
        assert granted.body["user_id"] == OLENA and granted.body["extended"] is False
        [link] = world.invite_links
        assert link["chat_id"] == VIP and link["creates_join_request"]
        invite = link["invite_link"]
        await harness.wait(lambda: any(invite in (m.text or "") for m in world.to(OLENA)))
        vip = (await client.get(f"users/{OLENA}/vip")).body
        assert vip["active"] is True and vip["status"] == "active"
        assert [a["id"] for a in vip["actions"]] == ["grant", "revoke"]
        again = await client.post(f"users/{OLENA}/vip/grant", {"duration": "1w"})
        assert again.status == 200 and again.body["extended"] is True
    sub = await subscription_of(harness.services.db, OLENA)
    assert sub is not None and sub.ends_at - sub.starts_at == timedelta(days=37)
    await answer(harness, OLENA, "/status", "active until")
    assert await audit_rows(harness) == [
        (ADMIN, "vip.grant", str(OLENA), "ok"),
        (ADMIN, "vip.grant", str(OLENA), "ok"),
    ]


async def test_revoke_from_the_console_ends_it_as_revoke_does(bot: tuple[Harness, int]) -> None:
    """POST users/<id>/vip/revoke ends the subscription now, removes the user from the VIP
    chat and tells them; a second revoke is 409 and changes nothing."""
    harness, port = bot
    world = harness.sandbox.world
    async with admin(harness, port) as client:
        assert (await client.post(f"users/{OLENA}/vip/grant", {"duration": "30d"})).status == 200
        revoked = await client.post(f"users/{OLENA}/vip/revoke")
        assert revoked.status == 200 and revoked.body == {"user_id": OLENA, "revoked": True}
        assert world.moderation == [("ban", VIP, OLENA), ("unban", VIP, OLENA)]
        await harness.wait(
            lambda: any("ended by an admin" in (m.text or "") for m in world.to(OLENA))
        )
        vip = (await client.get(f"users/{OLENA}/vip")).body
        assert vip["active"] is False and vip["status"] == "revoked"
        assert vip["ended_at"] is not None and vip["ended_at"] < vip["ends_at"]
        facts = {fact["key"]: fact["value"] for fact in vip["facts"]}
        assert facts["status"] == "ended (revoked)" and facts["ended_at"] == vip["ended_at"]
        await harness.idle()
        before = await footprint(harness)
        again = await client.post(f"users/{OLENA}/vip/revoke")
        assert again.status == 409 and "no active subscription" in again.body["error"]
        assert await footprint(harness) == before
    await answer(harness, OLENA, "/status", "ended on")
    assert [row[1:] for row in await audit_rows(harness)] == [
        ("vip.grant", str(OLENA), "ok"),
        ("vip.revoke", str(OLENA), "ok"),
        ("vip.revoke", str(OLENA), "refused"),
    ]


async def test_bad_durations_are_400_and_unknown_users_404_changing_nothing(
    bot: tuple[Harness, int],
) -> None:
    """Zero, negative, ten-year, malformed, missing or non-text durations: 400; a user who
    never started the bot, or a path that is no user id: 404 on every People route. No
    subscription, no link, no message; each refused change is audited as refused."""
    harness, port = bot
    before = await footprint(harness)
    async with admin(harness, port) as client:
        for duration in ("0s", "-3d", "5000d", "forever", "", 30, None, ["30d"]):
            body = {} if duration is None else {"duration": duration}
            refused = await client.post(f"users/{OLENA}/vip/grant", body)
            assert refused.status == 400, (duration, refused.body)
        assert (await client.post(f"users/{OLENA}/vip/grant", "[1]")).status == 400
        for user in (str(NOBODY), "abc", "0", "-1", str(2**53)):
            for path in ("", "/profile", "/points", "/ledger", "/streak", "/vip"):
                assert (await client.get(f"users/{user}{path}")).status == 404, (user, path)
            for action in ("grant", "revoke"):
                got = await client.post(f"users/{user}/vip/{action}", {"duration": "30d"})
                assert got.status == 404, (user, action)
        none = await client.post(f"users/{OLENA}/vip/revoke")
        assert none.status == 409
    assert await footprint(harness) == before
    assert await subscription_of(harness.services.db, OLENA) is None
    rows = await audit_rows(harness)
    assert rows and all(result == "refused" for _user, _action, _target, result in rows)


async def test_non_admins_moderators_and_csrf_less_cookies_are_refused(
    bot: tuple[Harness, int],
) -> None:
    """Someone who is not an admin: 403 on every People route; a moderator: 403 too (the
    People page is not theirs, and /me does not list it); a cookie session without its CSRF
    token cannot grant or revoke. Nothing changes."""
    harness, port = bot
    routes = (
        ("GET", f"users?q={OLENA}"),
        ("GET", f"users/{OLENA}"),
        ("GET", f"users/{OLENA}/points"),
        ("GET", f"users/{OLENA}/vip"),
        ("POST", f"users/{OLENA}/vip/grant"),
        ("POST", f"users/{OLENA}/vip/revoke"),
    )
    before = await footprint(harness)
    for user in (STRANGER, MODERATOR, OLENA):
        async with admin(harness, port, user) as client:
            for method, path in routes:
                body = {"duration": "30d"} if method == "POST" else None
                got = await client.call(method, path, body)
                assert got.status == 403, (user, method, path)
    async with admin(harness, port, MODERATOR) as client:
        pages = [page["id"] for page in (await client.get("me")).body["pages"]]
        assert "people" not in pages
    async with admin(harness, port) as client:
        pages = [page["id"] for page in (await client.get("me")).body["pages"]]
        assert "people" in pages
        opened = await client.post("session")
        client.init_data = None  # the cookie alone from now on
        assert (await client.get(f"users/{OLENA}")).status == 200
        for action in ("grant", "revoke"):
            got = await client.post(f"users/{OLENA}/vip/{action}", {"duration": "30d"})
            assert got.status == 403
        client.csrf = opened.body["csrf"]
        assert (await client.post(f"users/{OLENA}/vip/grant", {"duration": "1d"})).status == 200
    after = await footprint(harness)
    assert after["subscriptions"] == [(OLENA, "active")] and after["links"] == 1
    assert before["subscriptions"] == [] and before["links"] == 0
    rows = await audit_rows(harness)
    assert [row for row in rows if row[3] == "ok"] == [(ADMIN, "vip.grant", str(OLENA), "ok")]
    assert {row[0] for row in rows if row[3] == "refused"} == {MODERATOR, ADMIN}


async def test_the_people_page_script_is_served(bot: tuple[Harness, int]) -> None:
    """/me lists the People page in the admin's language; its script is served from the
    accounts module's console folder."""
    harness, port = bot
    async with admin(harness, port) as client:
        pages = {page["id"]: page for page in (await client.get("me")).body["pages"]}
        people = pages["people"]
        assert people["script"] == "/console/static/accounts/people.js"
        assert people["texts"]["search"] == "User id or @username"
        script = await client.get(people["script"])
        assert script.status == 200 and "Console.register" in script.body
