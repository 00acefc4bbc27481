"""The console's audit log over real loopback HTTP (``GET /console/api/audit``): newest
first, paged with ``limit`` and ``before``, filtered by ``action``, each line with the name
the bot knows its user by; a bad parameter is 400, a moderator 403, and none of these reads
is itself audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.web.models import ConsoleAudit
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.servers import free_port

MODERATOR = 77
JOB = "cleanup.daily"


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> tuple[Harness, int]:
    """A bot serving the console on a free loopback port, with one moderator."""
    port = free_port()
    harness: Harness = await harness_factory(
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},{MODERATOR}",
        **UNPACED,
    )
    return harness, port


def signed(harness: Harness, user: int) -> str:
    return sign_init_data(harness.app.bot.token, user)


async def lines(harness: Harness) -> int:
    async with harness.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ConsoleAudit)) or 0)


async def test_the_log_pages_newest_first_and_filters_by_action(bot: tuple[Harness, int]) -> None:
    """Three pauses and three resumes of a job by an admin the bot knows as Olena: pages of
    two (``before`` the last id of the page before) give all six, newest first, none twice,
    each with who (id and name), action, target and result; ``action`` keeps one action's
    lines, and a ``before`` past the oldest gives none."""
    harness, port = bot
    harness.sandbox.world.user(ADMIN, first_name="Olena")
    await harness.reply(ADMIN, "/start")  # the bot meets its admin
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        for _ in range(3):
            assert (await client.post(f"jobs/{JOB}/pause", {})).status == 200
            assert (await client.post(f"jobs/{JOB}/resume", {})).status == 200

        whole = await client.get("audit")
        assert whole.status == 200
        ids = [entry["id"] for entry in whole.body]
        assert len(ids) == 6 and ids == sorted(ids, reverse=True)
        assert [entry["action"] for entry in whole.body] == ["jobs.resume", "jobs.pause"] * 3
        assert {(e["user_id"], e["name"], e["target"], e["result"]) for e in whole.body} == {
            (ADMIN, "Olena", JOB, "ok")
        }

        paged: list[int] = []
        before = ""
        for _ in range(4):
            page = await client.get(f"audit?limit=2{before}")
            assert page.status == 200
            if not page.body:
                break
            assert len(page.body) == 2
            paged += [entry["id"] for entry in page.body]
            before = f"&before={page.body[-1]['id']}"
        assert paged == ids

        pauses = await client.get("audit?action=jobs.pause&limit=200")
        assert [e["id"] for e in pauses.body] == [e["id"] for e in whole.body[1::2]]
        assert {e["action"] for e in pauses.body} == {"jobs.pause"}
        older = await client.get(f"audit?action=jobs.pause&before={pauses.body[0]['id']}")
        assert [e["id"] for e in older.body] == [e["id"] for e in pauses.body[1:]]
        assert (await client.get(f"audit?before={min(ids)}")).body == []
        assert (await client.get("audit?action=jobs.nothing")).body == []
    assert await lines(harness) == 6  # reading the log is not audited


async def test_an_unknown_user_has_no_name(bot: tuple[Harness, int]) -> None:
    """A line of someone the bot never met (signed in, never wrote to it) says their id, and
    no name."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        assert (await client.post(f"jobs/{JOB}/pause", {})).status == 200
        [entry] = (await client.get("audit")).body
    assert entry["user_id"] == ADMIN and entry["name"] is None


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "limit=",
        "limit=1.5",
        "limit=%EF%BC%91",  # a full-width digit one
        "before=0",
        "before=-5",
        "before=x",
        "before=",
        "before=99999999999999999999999",
        "action=" + "a" * 101,
        "action=jobs%0Arun",
    ],
)
async def test_bad_parameters_are_400(bot: tuple[Harness, int], query: str) -> None:
    """A limit outside 1 to 200 or not ASCII digits, a before that is no line id, an action
    no action could be: 400, with the reason."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        assert (await client.post(f"jobs/{JOB}/pause", {})).status == 200
        answer = await client.get(f"audit?{query}")
    assert answer.status == 400, answer
    assert answer.body["error"]


async def test_a_moderator_gets_403_whatever_the_parameters(bot: tuple[Harness, int]) -> None:
    """The log is for admins: a moderator gets 403 with good parameters and bad ones."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, MODERATOR)) as client:
        for query in ("", "?limit=5", "?before=1", "?action=jobs.run", "?limit=0"):
            assert (await client.get(f"audit{query}")).status == 403, query
