"""The console's campaign API against the real bot: an audience line counted as the chat
counts it (bad ones refused with the reason), and a broadcast's figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.factories import register_users
from tests.helpers.moderation import press
from tests.helpers.servers import free_port

MODERATOR = 555
PEOPLE = range(33_000, 33_005)


async def _bot(harness_factory: Callable[..., Any]) -> tuple[Harness, int]:
    port = free_port()
    h: Harness = await harness_factory(
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},{MODERATOR}",
    )
    await register_users(h.services, PEOPLE, world=h.sandbox.world)
    return h, port


async def test_an_audience_is_counted_as_in_the_chat(harness_factory: Callable[..., Any]) -> None:
    h, port = await _bot(harness_factory)
    async with ConsoleClient(port, sign_init_data(h.app.bot.token, ADMIN)) as client:
        found = await client.get(f"audience?q={quote('-tag:x  local:09:00')}")
        assert found.status == 200, found
        assert found.body["audience"] == "-tag:x" and found.body["when"] == "local:09:00"
        assert found.body["reach"] == 5
        assert "vip" in [term["name"] for term in found.body["terms"]]
        everyone = await client.get("audience")
        assert everyone.body["reach"] == 5 and everyone.body["audience"] == ""
        for bad, reason in (
            ("colour:red", "No audience term"),
            ("seen:30", "is not a value of seen"),
            ("at:2020-01-01T09:00", "That time has passed."),
        ):
            refused = await client.get(f"audience?q={quote(bad)}")
            assert refused.status == 400 and reason in refused.body["error"], refused
    async with ConsoleClient(port, sign_init_data(h.app.bot.token, MODERATOR)) as client:
        assert (await client.get("audience")).status == 403  # admins only


async def test_a_campaigns_figures(harness_factory: Callable[..., Any]) -> None:
    h, port = await _bot(harness_factory)
    status = await h.broadcast(ADMIN, "Hi\nbutton: Yes")
    await h.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=30)
    [copy] = [m for m in h.sandbox.world.to(PEOPLE[0]) if m.buttons()]
    assert await press(h, PEOPLE[0], copy, "bclk:1:0") == "Noted, thank you."
    async with ConsoleClient(port, sign_init_data(h.app.bot.token, ADMIN)) as client:
        shown = await client.get("campaigns/1")
        assert shown.status == 200, shown
        assert (shown.body["targeted"], shown.body["delivered"], shown.body["clicked"]) == (5, 5, 1)
        assert shown.body["buttons"] == [{"label": "Yes", "url": None, "clicked": 1}]
        assert shown.body["variants"] == []
        assert (await client.get("campaigns/2")).status == 404
        assert (await client.get("campaigns/x")).status == 400
