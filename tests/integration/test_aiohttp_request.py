"""The aiohttp request backend against the sandbox Bot API over loopback HTTP: answers,
uploads and Telegram's errors reach the caller exactly as PTB's own request gives them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.core.telegram.request import AiohttpRequest, bot_request
from bot.sandbox import FloodLimits, SandboxServer
from bot.sandbox.flood import SlidingWindow
from tests.helpers.servers import free_port

USER = 4242


async def _bot(base_url: str, request: AiohttpRequest) -> Bot:
    bot = Bot("123456:REQUEST", base_url=base_url, request=request)
    await bot.initialize()
    return bot


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    sandbox.world.user(USER)
    bot = await _bot(sandbox.base_url, AiohttpRequest(read_timeout=2.0))
    try:
        yield bot
    finally:
        await bot.shutdown()


async def test_a_message_is_sent_and_its_answer_parsed(bot: Bot, sandbox: SandboxServer) -> None:
    """A form-encoded call with nested JSON (buttons) arrives whole; PTB builds the Message."""
    markup = {"inline_keyboard": [[{"text": "Done", "callback_data": "done:1"}]]}
    message = await bot.send_message(USER, "héllo ✓", reply_markup=markup)  # type: ignore[arg-type]
    method, params = sandbox.world.calls[-1]
    assert (method, params["text"], message.text) == ("sendMessage", "héllo ✓", "héllo ✓")
    assert params["reply_markup"] == markup
    assert message.chat.id == USER and message.message_id > 0


async def test_a_file_is_uploaded_as_multipart(bot: Bot, sandbox: SandboxServer) -> None:
    """A photo given as bytes is uploaded as a multipart part with its name and caption."""
    content = bytes(range(256)) * 40
    await bot.send_photo(USER, InputFile(content, filename="chart.png"), caption="today")
    _method, params = sandbox.world.calls[-1]
    assert params["caption"] == "today"
    saved = Path(params["photo"])
    assert saved.name.endswith("chart.png")
    assert await asyncio.to_thread(saved.read_bytes) == content


async def test_a_slow_answer_is_timed_out(bot: Bot, sandbox: SandboxServer) -> None:
    """An answer slower than the read time-out raises PTB's TimedOut, not aiohttp's error."""
    sandbox.delay = 3.0
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.3)


async def test_a_refused_connection_is_a_network_error() -> None:
    """Nothing listening on the port: PTB's NetworkError naming aiohttp's error."""
    request = AiohttpRequest(connect_timeout=2.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp") as raised:
            await request.post(f"http://127.0.0.1:{free_port()}/bot1:A/getMe")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_dropped_connection_is_a_network_error(bot: Bot, sandbox: SandboxServer) -> None:
    """The server cuts the connection without an answer: NetworkError, and the next call on
    a fresh connection succeeds."""
    sandbox.drop_rate = 1.0
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "lost")
    sandbox.drop_rate = 0.0
    assert (await bot.send_message(USER, "again")).text == "again"


async def test_a_full_pool_times_out(sandbox: SandboxServer) -> None:
    """With every connection busy, a call waits at most the pool time-out, then TimedOut."""
    sandbox.world.user(USER)
    bot = await _bot(sandbox.base_url, AiohttpRequest(connection_pool_size=1, pool_timeout=0.2))
    sandbox.delay = 2.0
    try:
        first = asyncio.create_task(bot.send_message(USER, "holds the connection"))
        await asyncio.sleep(0.05)  # let it take the only connection
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "waits for it")
        assert (await first).text == "holds the connection"
    finally:
        await bot.shutdown()


async def test_telegram_errors_keep_their_meaning(bot: Bot, sandbox: SandboxServer) -> None:
    """A 429's retry_after, a 403 and a 400 become RetryAfter, Forbidden and BadRequest."""
    sandbox.set_limits(FloodLimits(total=None, private=SlidingWindow(1, 30.0), group=None))
    await bot.send_message(USER, "first")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(USER, "second")
    assert 25 <= raised.value.retry_after.total_seconds() <= 30  # type: ignore[union-attr]
    sandbox.world.user(USER + 1).blocked = True
    with pytest.raises(Forbidden):
        await bot.send_message(USER + 1, "blocked")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999_999_999, "nobody")


async def test_a_closed_request_refuses_calls_until_initialized(sandbox: SandboxServer) -> None:
    """Before initialize and after shutdown a call fails clearly (PTB wraps the error in a
    NetworkError); initialize opens a new session."""
    request = AiohttpRequest()
    url = f"{sandbox.base_url}123456:REQUEST/getMe"
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(url)
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(url)
    await request.initialize()
    try:
        assert isinstance(await request.post(url), dict)
    finally:
        await request.shutdown()


def test_the_setting_chooses_the_client() -> None:
    """TELEGRAM_HTTP_CLIENT=httpx gives PTB's own request; the default is aiohttp."""
    from telegram.request import HTTPXRequest

    assert isinstance(bot_request("aiohttp"), AiohttpRequest)
    assert isinstance(bot_request("httpx"), HTTPXRequest)
