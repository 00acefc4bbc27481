"""The chat page's server (bot/sandbox/web.py) over real loopback HTTP, without a bot: what it
refuses (a foreign Host, an action from elsewhere or not in JSON, files the sandbox did not
store) and what it streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.web import ChatPage, PageConfig, View

CHANNEL = -1_001_000_000_001


@pytest.fixture
async def page() -> AsyncIterator[ChatPage]:
    server = SandboxServer()
    await server.start()
    server.world.user(1, "Admin")
    server.world.chat(CHANNEL, "channel", "Channel")
    served = ChatPage(
        server, PageConfig(admins=(1,), views=[View(CHANNEL, "Channel", "channel", 1)])
    )
    await served.start()
    try:
        yield served
    finally:
        await served.stop()
        await server.stop()


def _origin(page: ChatPage) -> dict[str, str]:
    return {"Origin": f"http://127.0.0.1:{page.port}"}


async def test_the_page_is_served_with_its_policy(page: ChatPage) -> None:
    async with aiohttp.ClientSession() as http, http.get(page.url) as response:
        assert response.status == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "/static/chat.js" in await response.text()
    async with aiohttp.ClientSession() as http:
        for path in ("static/../web.py", "static/web.py", "static/%2e%2e%2fweb.py"):
            async with http.get(page.url + path) as response:
                assert response.status == 404, path


async def test_a_foreign_host_is_refused(page: ChatPage) -> None:
    """A page of another site whose name was rebound to 127.0.0.1 names itself in Host."""
    async with aiohttp.ClientSession() as http:
        for host in (f"evil.example:{page.port}", "127.0.0.1:1", "localhost"):
            async with http.get(page.url, headers={"Host": host}) as response:
                assert response.status == 421, host
        async with http.get(page.url, headers={"Host": f"localhost:{page.port}"}) as response:
            assert response.status == 200


async def test_actions_come_as_json_from_the_page_itself(page: ChatPage) -> None:
    act = page.url + "api/act"
    body = {"action": "add_user", "name": "Olena", "id": 42}
    async with aiohttp.ClientSession() as http:
        async with http.post(act, json=body) as response:
            assert response.status == 403  # no Origin
        async with http.post(act, json=body, headers={"Origin": "http://evil.example"}) as r:
            assert r.status == 403
        form = aiohttp.FormData(body)
        async with http.post(act, data=form, headers=_origin(page)) as response:
            assert response.status == 415
        assert 42 not in page.world.users
        async with http.post(act, json=body, headers=_origin(page)) as response:
            assert response.status == 200 and (await response.json())["ok"]
        assert page.world.users[42].first_name == "Olena"
        unknown = {"action": "format_disk"}
        async with http.post(act, json=unknown, headers=_origin(page)) as response:
            assert response.status == 400
        controls = {"action": "controls", "fault_rate": 0.3, "delay": 0.5}
        async with http.post(act, json=controls, headers=_origin(page)) as response:
            assert response.status == 200
        assert (page.server.fault_rate, page.server.delay) == (0.3, 0.5)
        wild = {"action": "controls", "delay": 3600}
        async with http.post(act, json=wild, headers=_origin(page)) as response:
            assert response.status == 400
        assert page.server.delay == 0.5


async def test_only_files_the_sandbox_stored_are_served(page: ChatPage, tmp_path: Path) -> None:
    """A stored upload is served (a document as an attachment); a path the bot merely named,
    outside the sandbox's files folder, is not."""
    world, files = page.world, page.server.files_dir
    stored = files / "1-report.csv"
    stored.write_text("a,b\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    mine = world.record(1, "the report", "sendDocument", {"document": str(stored)})
    other = world.record(1, "nope", "sendDocument", {"document": str(secret)})
    sneaky = world.record(1, "nope", "sendPhoto", {"photo": str(files / ".." / secret.name)})
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{page.url}files/1/{mine.message_id}") as response:
            assert response.status == 200 and await response.text() == "a,b\n"
            assert response.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
        for message in (other, sneaky):
            async with http.get(f"{page.url}files/1/{message.message_id}") as response:
                assert response.status == 404
        async with http.get(f"{page.url}files/1/x") as response:
            assert response.status == 404


async def test_events_stream_the_world(page: ChatPage) -> None:
    """A new connection gets the people and what happened; then each message as it comes,
    its text made safe."""
    world = page.world
    world.record(1, "first", "sendMessage", {})
    async with aiohttp.ClientSession() as http, http.get(page.url + "api/events") as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        events = []
        world.send_text(1, "<b>hi</b>")
        async for line in response.content:
            if line.startswith(b"data: "):
                events.append(json.loads(line[6:]))
            if len(events) == 3:
                break
    people, first, typed = events
    assert people["type"] == "people" and [p["id"] for p in people["people"]] == [1]
    assert people["views"] == [{"id": CHANNEL, "title": "Channel", "kind": "channel", "actor": 1}]
    assert first["message"]["html"] == "first" and first["message"]["from"] == "bot"
    assert typed["message"]["html"] == "&lt;b&gt;hi&lt;/b&gt;"
    assert typed["message"]["from"] == "person"
