"""The console's API over real loopback HTTP against the running bot (and the sandbox Bot
API): Telegram's initData check, sessions, CSRF, roles, one-time login links, the Jobs and
Overview APIs and the audit log. Every refusal changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bot.core.jobs.models import JobRun, JobState, Trigger
from bot.core.people import store_choice
from bot.core.web import issue_login
from bot.core.web.models import ConsoleAudit, ConsoleLogin, ConsoleSession
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.servers import free_port

STRANGER, MODERATOR = 5, 77
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


def signed(harness: Harness, user: int, **extra: Any) -> str:
    return sign_init_data(harness.app.bot.token, user, **extra)


async def footprint(harness: Harness) -> dict[str, Any]:
    """What a refused request must leave as it was: pauses, runs asked for by someone (the
    bot's own scheduled runs go on meanwhile and are not a request's doing), sessions, logins
    used."""
    async with harness.services.db.session() as session:
        paused = set((await session.execute(select(JobState.job).where(JobState.paused))).scalars())
        runs = await session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.trigger == Trigger.MANUAL)
        )
        sessions = await session.scalar(select(func.count()).select_from(ConsoleSession))
        used = await session.scalar(
            select(func.count()).select_from(ConsoleLogin).where(ConsoleLogin.used_at.is_not(None))
        )
    return {"paused": paused, "runs": runs, "sessions": sessions, "used": used}


async def audit_rows(harness: Harness) -> list[ConsoleAudit]:
    async with harness.services.db.session() as session:
        return list(
            (await session.execute(select(ConsoleAudit).order_by(ConsoleAudit.id))).scalars()
        )


async def refused_everywhere(port: int, init_data: str | None, status: int) -> None:
    """Every kind of request answered ``status``: reads, a run, a pause, a session."""
    async with ConsoleClient(port, init_data) as client:
        for method, path in (
            ("GET", "me"),
            ("GET", "jobs"),
            ("GET", "overview"),
            ("GET", "audit"),
            ("POST", f"jobs/{JOB}/run"),
            ("POST", f"jobs/{JOB}/pause"),
        ):
            answer = await client.call(method, path, {} if method == "POST" else None)
            assert answer.status == status, (method, path, answer)


async def test_forged_expired_and_foreign_init_data_get_401_and_change_nothing(
    bot: tuple[Harness, int],
) -> None:
    """A tampered hash, a changed field, an auth_date past CONSOLE_AUTH_MAX_AGE or from the
    future, initData signed with another bot's token, or none at all: 401 on every route,
    no session, no run, no pause, nothing audited."""
    harness, port = bot
    before = await footprint(harness)
    good = signed(harness, ADMIN)
    forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    changed = good.replace(f"%22id%22%3A{ADMIN}", "%22id%22%3A2")
    old = signed(harness, ADMIN, auth_date=time.time() - 3601)
    ahead = signed(harness, ADMIN, auth_date=time.time() + 3600)
    foreign = sign_init_data("654321:ANOTHER-bot-token", ADMIN)
    for init_data in (forged, changed, old, ahead, foreign, "", "hash=abc"):
        await refused_everywhere(port, init_data, 401)
    await refused_everywhere(port, None, 401)
    async with ConsoleClient(port, foreign) as client:
        assert (await client.post("session")).status == 401
    assert await footprint(harness) == before
    assert await audit_rows(harness) == []


async def test_non_admin_gets_403_and_moderator_is_kept_off_admin_routes(
    bot: tuple[Harness, int],
) -> None:
    """A valid initData of someone who is neither admin nor moderator: 403 everywhere (and
    no session). A moderator is signed in, sees the moderation page alone, and gets 403 on
    the jobs routes; their refused POST is audited as refused and changes nothing."""
    harness, port = bot
    before = await footprint(harness)
    await refused_everywhere(port, signed(harness, STRANGER), 403)
    async with ConsoleClient(port, signed(harness, STRANGER)) as client:
        assert (await client.post("session")).status == 403
    async with ConsoleClient(port, signed(harness, MODERATOR)) as client:
        me = await client.get("me")
        assert me.status == 200 and me.body["role"] == "moderator"
        assert [p["id"] for p in me.body["pages"]] == ["moderation"]  # theirs alone
        for method, path in (("GET", "jobs"), ("GET", "overview"), ("GET", "audit")):
            assert (await client.call(method, path)).status == 403, path
        for action in ("run", "pause", "resume"):
            assert (await client.post(f"jobs/{JOB}/{action}", {})).status == 403
    assert await footprint(harness) == before
    refused = await audit_rows(harness)
    assert {(row.user_id, row.action, row.result) for row in refused} == {
        (MODERATOR, "jobs.run", "refused"),
        (MODERATOR, "jobs.pause", "refused"),
        (MODERATOR, "jobs.resume", "refused"),
    }


async def test_cookie_session_needs_its_csrf_token_for_changes(bot: tuple[Harness, int]) -> None:
    """POST /console/api/session with initData sets an HttpOnly, SameSite=Strict cookie for
    /console/ and returns the CSRF token; with the cookie alone a read works, a pause without
    the token or with a wrong one is 403 and changes nothing, with the token it pauses."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        opened = await client.post("session")
        assert opened.status == 200 and len(opened.body["csrf"]) >= 32
        cookie = opened.headers["Set-Cookie"]
        assert "companion_console=" in cookie and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie and "Path=/console/" in cookie
        assert "Secure" not in cookie  # http:// on loopback; https:// gets it
        client.init_data = None  # from now on: the cookie only
        me = await client.get("me")
        assert me.status == 200 and me.body["csrf"] == opened.body["csrf"]
        before = await footprint(harness)
        assert (await client.post(f"jobs/{JOB}/pause", {})).status == 403
        client.csrf = "x" * 43
        assert (await client.post(f"jobs/{JOB}/pause", {})).status == 403
        assert await footprint(harness) == before
        client.csrf = opened.body["csrf"]
        paused = await client.post(f"jobs/{JOB}/pause", {})
        assert paused.status == 200 and paused.body == {"job": JOB, "paused": True, "changed": True}
    results = [(row.action, row.result) for row in await audit_rows(harness)]
    assert results == [("jobs.pause", "refused"), ("jobs.pause", "refused"), ("jobs.pause", "ok")]


async def test_replayed_init_data_opens_no_second_session(bot: tuple[Harness, int]) -> None:
    """initData traded for a session cookie cannot be traded again (a captured one opens no
    second session: 401, no cookie); a fresh sign-in can."""
    harness, port = bot
    captured = signed(harness, ADMIN)
    async with ConsoleClient(port, captured) as client:
        assert (await client.post("session")).status == 200
    async with ConsoleClient(port, captured) as replay:
        again = await replay.post("session")
        assert again.status == 401 and "Set-Cookie" not in again.headers
    fresh = sign_init_data(harness.app.bot.token, ADMIN, query_id="another-launch")
    async with ConsoleClient(port, fresh) as client:
        assert (await client.post("session")).status == 200


async def test_console_command_gives_a_one_time_login_link(bot: tuple[Harness, int]) -> None:
    """/console answers an admin with a web_app button and a login link; the link trades for
    a session cookie once (a second use, an expired token and a made-up one get 401 and no
    session); the admins got the Console menu button at the start."""
    harness, port = bot
    url = f"http://127.0.0.1:{port}/console/"
    await harness.wait(lambda: ADMIN in harness.sandbox.world.menu_buttons)
    menu = harness.sandbox.world.menu_buttons[ADMIN]
    assert menu["type"] == "web_app" and menu["web_app"]["url"] == url
    answer = (await harness.say(ADMIN, "/console"))[0]
    buttons = answer.buttons()
    assert buttons[0]["web_app"]["url"] == url
    link = buttons[1]["url"]
    assert link.startswith(url + "login?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    expired = await issue_login(
        harness.services.db, ADMIN, harness.services.clock.now() - timedelta(minutes=6)
    )
    async with ConsoleClient(port) as client:
        for bad in (expired, "made-up", ""):
            refused = await client.get(f"/console/login?token={bad}", allow_redirects=False)
            assert refused.status == 401
        sessions = (await footprint(harness))["sessions"]
        assert sessions == 0
        first = await client.get(f"/console/login?token={token}", allow_redirects=False)
        assert first.status == 303 and first.headers["Location"] == "/console/"
        me = await client.get("me")
        assert me.status == 200 and me.body["user_id"] == ADMIN and me.body["csrf"]
    async with ConsoleClient(port) as other:
        again = await other.get(f"/console/login?token={token}", allow_redirects=False)
        assert again.status == 401
        assert (await other.get("me")).status == 401
    assert (await footprint(harness))["sessions"] == 1


async def test_a_guessed_job_name_is_404_and_changes_nothing(bot: tuple[Harness, int]) -> None:
    """run, pause, resume and history of a job no module declares: 404, nothing run or paused."""
    harness, port = bot
    before = await footprint(harness)
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        for action in ("run", "pause", "resume"):
            assert (await client.post(f"jobs/no.such_job/{action}", {})).status == 404
        assert (await client.get("jobs/no.such_job/history")).status == 404
        assert (await client.get("no/such/route")).status == 404
    assert await footprint(harness) == before
    assert {row.result for row in await audit_rows(harness)} == {"refused"}


async def test_run_from_the_api_shows_in_its_history_and_the_audit(
    bot: tuple[Harness, int],
) -> None:
    """POST run starts the job through the runner as /runjob does; its history then shows a
    manual run requested by the admin; bad arguments are 400 with /runjob's reason; the audit
    log says who ran what, when, and that it went well."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        bad = await client.post(f"jobs/{JOB}/run", {"args": "limit=5"})
        assert bad.status == 400 and "unexpected argument 'limit=5'" in bad.body["error"]
        started = await client.post(f"jobs/{JOB}/run", {})
        assert started.status == 200 and started.body["started"] is True

        async def manual_runs() -> list[dict[str, Any]]:
            answer = await client.get(f"jobs/{JOB}/history?trigger=manual&status=succeeded")
            assert answer.status == 200
            runs: list[dict[str, Any]] = answer.body["runs"]
            return runs

        runs: list[dict[str, Any]] = []
        for _ in range(1000):  # the run is a task: wait for its record
            runs = await manual_runs()
            if runs:
                break
            await asyncio.sleep(0.02)
        assert len(runs) == 1 and runs[0]["requested_by"] == ADMIN
        assert runs[0]["ref"] == f"#{runs[0]['id']}" and runs[0]["error"] is None
        listed = (await client.get("jobs")).body["jobs"]
        job = next(j for j in listed if j["name"] == JOB)
        assert job["last"]["id"] == runs[0]["id"] and job["failure_streak"] == 0
        log = (await client.get("audit")).body
    ran = [entry for entry in log if entry["action"] == "jobs.run"]
    assert [(e["user_id"], e["target"], e["result"]) for e in ran] == [
        (ADMIN, JOB, "ok"),
        (ADMIN, JOB, "refused"),
    ]
    assert all(entry["at"] for entry in ran)


async def test_pause_and_resume_show_in_the_chat_s_jobs(bot: tuple[Harness, int]) -> None:
    """A pause from the console is what /jobs in the chat shows, and so is the resume."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        assert (await client.post(f"jobs/{JOB}/pause", {})).body["changed"] is True
        assert f"{JOB} — daily at 03:00 — next paused" in await harness.reply(ADMIN, "/jobs")
        listed = (await client.get("jobs")).body["jobs"]
        assert next(j for j in listed if j["name"] == JOB)["paused"] is True
        assert (await client.post(f"jobs/{JOB}/resume", {})).body["changed"] is True
    assert "next paused" not in await harness.reply(ADMIN, "/jobs")


async def test_a_failed_run_shows_its_error_redacted_and_its_reference(
    bot: tuple[Harness, int],
) -> None:
    """A failed run's error (with the bot's token in it, masked) and its reference (the run's
    id, which its log lines carry), filtered by status; the job's failure streak counts it."""
    harness, port = bot
    now = harness.services.clock.now()
    token = harness.app.bot.token
    async with harness.services.db.session() as session:
        for minutes, status in ((30, "succeeded"), (20, "failed"), (10, "timed_out")):
            error = None if status == "succeeded" else f"RuntimeError: boom with {token}"
            session.add(
                JobRun(
                    job=JOB,
                    scheduled_for=now - timedelta(minutes=minutes),
                    trigger="scheduled",
                    status=status,
                    attempts=1,
                    started_at=now - timedelta(minutes=minutes),
                    finished_at=now - timedelta(minutes=minutes - 1),
                    duration=1.5,
                    error=error,
                )
            )
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        failed = (await client.get(f"jobs/{JOB}/history?status=failed")).body["runs"]
        assert len(failed) == 1 and failed[0]["ref"] == f"#{failed[0]['id']}"
        assert failed[0]["error"].startswith("RuntimeError: boom with 123456:***")
        assert token not in failed[0]["error"]
        assert len((await client.get(f"jobs/{JOB}/history")).body["runs"]) == 3
        assert (await client.get(f"jobs/{JOB}/history?status=bogus")).status == 400
        assert (await client.get(f"jobs/{JOB}/history?limit=²")).status == 400
        listed = (await client.get("jobs")).body["jobs"]
    assert next(j for j in listed if j["name"] == JOB)["failure_streak"] == 2


async def test_overview_and_me(bot: tuple[Harness, int]) -> None:
    """The Overview says what /healthz says, this process as the polling leader, Redis off,
    the lanes, the outbox, the rate against its limit and the last hour; /me lists the pages
    with their texts in the admin's /language (Ukrainian here)."""
    harness, port = bot
    async with ConsoleClient(port, signed(harness, ADMIN)) as client:
        overview = (await client.get("overview")).body
        health = await client.get("/healthz")
        assert overview["health"]["status"] == health.body["status"] == "ok"
        assert [(i["role"], i["this"]) for i in overview["instances"]] == [("leader", True)]
        assert overview["redis"]["state"] == "off"
        assert overview["rate"] == {"effective": 30.0, "limit": 30.0}
        assert set(overview["lanes"]) == {"interactive", "bulk"}
        assert overview["last_hour"]["too_many_requests"] == 0
        assert overview["outbox"]["pending"] >= 0 and "queued" in overview["updates_waiting"]
        await harness.reply(ADMIN, "/start")
        services = harness.services
        async with services.db.session() as session:  # what pressing Українська in /language does
            assert await store_choice(session, services.cache, ADMIN, "uk")
        me = (await client.get("me")).body
    assert me["role"] == "admin" and me["language"] == "uk" and "csrf" not in me
    pages = {page["id"]: page for page in me["pages"]}
    assert list(pages)[:2] == ["overview", "jobs"] and "moderation" in pages
    assert pages["jobs"]["script"] == "/console/static/admin/jobs.js"
    assert pages["jobs"]["title"] == "Завдання"
    assert pages["overview"]["title"] == "Огляд"
