"""The bot token and every other secret never reach the output of a real `python -m bot run`
process, nor the error texts the bot stores and shows (job runs, outbox rows, alerts)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.core.delivery.outbox import OutboxMessage
from bot.core.jobs import DailyAt, JobContext, JobSpec
from bot.core.kernel import BotToken, redact
from bot.core.kernel.logging import RedactingFilter, configure_logging, get_logger
from bot.core.people import User
from bot.sandbox import SandboxServer
from bot.sandbox.server import ApiError
from tests.conftest import ADMIN as HARNESS_ADMIN
from tests.conftest import make_settings
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer, told
from tests.helpers.factories import queue_message
from tests.helpers.jobs import NO_RETRY, runs
from tests.helpers.processes import finish, python_bot, stop

pytestmark = pytest.mark.own_database  # the child bot runs on a SQLite file of its own

TOKEN = "987654321:AAH7-secretPart_9xQzW"
SECRET = TOKEN.split(":", 1)[1]
ADMIN = 4242
HARNESS_TOKEN = "123456:TEST-token"  # the in-process bot's (tests.conftest.make_settings)
HARNESS_SECRET = HARNESS_TOKEN.split(":", 1)[1]


def _env(tmp_path: Path, sandbox: SandboxServer, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "LOG_", "ADMIN"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/secrets.sqlite3",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        BOT_TOKEN=TOKEN,
        ADMIN_IDS=str(ADMIN),
        **values,
    )
    return env


async def test_rejected_token_exits_2_with_one_line(tmp_path: Path, sandbox: SandboxServer) -> None:
    """`run` with a token the Bot API rejects exits 2 with one line that does not quote it."""
    sandbox.tokens = {"111:the-only-good-token"}
    pipe = asyncio.subprocess.PIPE
    env = _env(tmp_path, sandbox)
    process = await python_bot("run", cwd=tmp_path, env=env, stdout=pipe, stderr=pipe)
    out, err = await finish(process, 60)
    assert process.returncode == 2
    assert err.decode().splitlines() == [f"BOT_TOKEN was rejected by {sandbox.base_url}"]
    assert SECRET.encode() not in out + err and sandbox.stats["getMe"] >= 1


@pytest.mark.parametrize("fmt", ["json", "console"])
async def test_debug_logs_never_show_the_token(
    tmp_path: Path, sandbox: SandboxServer, fmt: str
) -> None:
    """At LOG_LEVEL=DEBUG, in either format, no byte of the output holds the token's secret,
    though the Bot API URLs (which contain it) were logged, masked."""
    env = _env(tmp_path, sandbox, LOG_LEVEL="DEBUG", LOG_FORMAT=fmt)
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:  # a pipe could fill and block
        process = await python_bot("run", cwd=tmp_path, env=env, stdout=out, stderr=err)
    world = sandbox.world
    try:
        for text in ("/start", "/help", "/jobs", "/jobhistory missions.send_daily", "/nope"):
            before = len(world.to(ADMIN))
            world.send_text(ADMIN, text)
            await world.wait_until(lambda n=before: len(world.to(ADMIN)) > n, timeout=60)
    finally:
        await stop(process)
    output = out_path.read_bytes() + err_path.read_bytes()
    assert SECRET.encode() not in output and TOKEN.encode() not in output
    assert b"987654321:***" in output  # the URLs were logged, with the secret masked


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_exception_text_and_traceback_are_redacted(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """A library's DEBUG line, its %-arguments and an exception quoting the token, all masked."""
    configure_logging("DEBUG", fmt, [BotToken(TOKEN)])
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.ext.ExtBot").debug(
            "url %s", f"/bot{TOKEN}/getMe", exc_info=True
        )
        get_logger("bot.test").exception("failed", url=f"/bot{TOKEN}", nested={"t": TOKEN})
    err = capsys.readouterr().err
    assert SECRET not in err and err.count("987654321:***") >= 4 and "RuntimeError" in err


def test_filter_redacts_for_plain_stdlib_handlers() -> None:
    """``RedactingFilter`` masks the message and traceback for any stdlib handler too."""
    redact.set([BotToken(TOKEN)])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.plain")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(TOKEN)
        except ValueError:
            logger.error("token %s", TOKEN, exc_info=True)
    finally:
        logger.removeHandler(handler)
    assert SECRET not in stream.getvalue() and "ValueError" in stream.getvalue()


def test_passwords_in_server_urls_are_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Redis password (and every secret setting) is masked like the token: as written,
    URL-encoded, and escaped inside a JSON line."""
    url = "redis://:hunter%222-redis@127.0.0.1:6379/0"  # the password is hunter"2-redis
    settings = make_settings(tmp_path, redis_url=url)
    configure_logging("INFO", "json", settings.secrets())
    get_logger("bot.test").warning("connecting", url=settings.redis_url, token=None)
    logging.getLogger("redis").warning("token %s", settings.token())
    try:
        raise ConnectionError('AUTH hunter"2-redis refused')
    except ConnectionError:
        logging.getLogger("redis").exception("connection failed")
    err = capsys.readouterr().err
    assert "hunter" not in err and "TEST-token" not in err and err.count("***") >= 4


def test_a_password_with_a_colon_is_masked_in_database_and_redis_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A password such as x:2024 in DATABASE_URL and REDIS_URL is masked whole in every line
    (it used to be cut at its colon, and '2024', shorter than six characters, was kept)."""
    settings = make_settings(
        tmp_path,
        database_url="postgresql://companion:x:2024@127.0.0.1:5432/companion",
        redis_url="redis://:x:2024@127.0.0.1:6379/0",
    )
    configure_logging("INFO", "json", settings.secrets())
    log = get_logger("bot.test")
    log.warning("connecting", database=settings.database_url, redis=settings.redis_url)
    logging.getLogger("asyncpg").warning("dsn %s", settings.database_url)
    try:
        raise ConnectionError("AUTH x:2024 refused (password=x:2024)")
    except ConnectionError:
        log.exception("connection failed", password_given="x:2024")
    err = capsys.readouterr().err
    assert "x:2024" not in err and "x%3A2024" not in err and ":2024" not in err
    assert "postgresql+asyncpg://companion:***@127.0.0.1" in err and "redis://:***@" in err


@pytest.mark.parametrize("password", ["a", "pw", "x:1", "2024", "p@ss/"])
def test_a_short_password_is_masked_where_it_stands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], password: str
) -> None:
    """A 1-5 character secret is masked as a URL's password, after password=, quoted, and as a
    whole value; the same characters inside ordinary words are left as they are."""
    url = f"redis://:{quote(password, safe='')}@127.0.0.1:6379/0"
    configure_logging("INFO", "console", make_settings(tmp_path, redis_url=url).secrets())
    log = get_logger("bot.test")
    log.warning("redis", url=url, given=password)
    logging.getLogger("redis").warning("connect password=%s failed", password)
    logging.getLogger("redis").warning("AUTH %r refused; see the manual of 2024", password)
    err = capsys.readouterr().err
    assert f":{quote(password, safe='')}@" not in err and f"={password} " not in err
    assert f"{password!r}" not in err and f"given={password!r}" not in err
    assert err.count("***") >= 4 and "see the manual of 2024" in err


async def _leaky(_context: JobContext[Any]) -> str:
    raise RuntimeError(f"Telegram answered 401 for /bot{HARNESS_TOKEN}/getMe")


async def test_a_failed_job_stores_and_shows_its_error_masked(harness: Harness) -> None:
    """A job whose exception quotes the token: job_runs.error, the /runjob answer, /jobhistory
    and the admins' alert all hold `<id>:***`, never the token's secret."""
    h = harness
    h.services.jobs.add(JobSpec("test.leaky", _leaky, DailyAt(time(9)), retry=NO_RETRY))
    answered = await answer(h, HARNESS_ADMIN, "/runjob test.leaky", "RuntimeError")
    history = await answer(h, HARNESS_ADMIN, "/jobhistory test.leaky", "RuntimeError")
    alert = await told(h, HARNESS_ADMIN, "test.leaky", "Consecutive")
    (run,) = await runs(h.services, "test.leaky")
    masked = f"/bot{HARNESS_TOKEN.split(':')[0]}:***/getMe"
    for text in (run.error or "", answered, history, alert):
        assert HARNESS_SECRET not in text and masked in text, text


async def test_an_outbox_failure_stores_its_error_masked(harness: Harness) -> None:
    """Telegram's answer to a bulk message echoes the token: outbox.last_error holds it masked;
    a 403 that echoes it leaves the user's unreachable reason masked too."""
    h, user, blocked = harness, 501, 502
    await answer(h, user, "/start", "")
    await answer(h, blocked, "/start", "")
    await h.idle()  # what /start sends is sent before Telegram starts refusing

    def echoing(params: dict[str, Any]) -> None:
        chat = int(params["chat_id"])
        if chat == user:
            raise ApiError(400, f"Bad Request: can't parse entities in /bot{HARNESS_TOKEN}/x")
        if chat == blocked:
            raise ApiError(403, f"Forbidden: bot {HARNESS_TOKEN} was blocked by the user")

    h.sandbox.before["sendMessage"] = echoing
    for chat in (user, blocked):
        assert await queue_message(h.services, f"news:{chat}", chat, text="news")
    await h.idle()
    async with h.services.db.session() as session:
        errors = set(await session.scalars(select(OutboxMessage.last_error)))
        reason = await session.scalar(select(User.unreachable_reason).where(User.id == blocked))
    bot_id = HARNESS_TOKEN.split(":")[0]
    # python-telegram-bot capitalize()s a 400's answer: the secret arrives lowercased
    assert f"Can't parse entities in /bot{bot_id}:***/x" in errors
    assert f"Forbidden: bot {bot_id}:*** was blocked by the user" in errors
    assert reason == f"Forbidden: bot {bot_id}:*** was blocked by the user"
    assert not any(HARNESS_SECRET.lower() in (error or "").lower() for error in errors)
