"""The bot token never reaches the output of a real `python -m bot run` process."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from pathlib import Path

import pytest

from bot.core.kernel import BotToken
from bot.core.kernel.logging import RedactingFilter, configure_logging, get_logger, redact
from bot.sandbox import SandboxServer
from tests.conftest import make_settings
from tests.helpers.processes import finish, python_bot, stop

pytestmark = pytest.mark.own_database  # the child bot runs on a SQLite file of its own

TOKEN = "987654321:AAH7-secretPart_9xQzW"
SECRET = TOKEN.split(":", 1)[1]
ADMIN = 4242


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
