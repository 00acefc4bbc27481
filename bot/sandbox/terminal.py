"""``python -m bot sandbox``: the real bot against the offline Bot API, in a terminal chat.

You are an admin user typing to the bot; every message the bot sends to any
chat is printed, tagged with the chat. Lines starting with ``:`` talk to the
sandbox itself (``:help`` lists them).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

from bot.app import build_application
from bot.core.kernel import ConfigError, Settings
from bot.core.lifecycle import serving
from bot.sandbox.server import SandboxServer
from bot.sandbox.web import serve_page
from bot.sandbox.world import SentMessage, World

YOU = 1
SIMULATED_BASE = 100_001
CHANNEL, VIP = -1_001_000_000_001, -1_001_000_000_002
SANDBOX_DATABASE = Path("data/sandbox.sqlite3")  # beside data/sandbox.log, in the working folder
SANDBOX_DATABASE_URL = f"sqlite+aiosqlite:///./{SANDBOX_DATABASE}"
SANDBOX_HELP = """Sandbox commands:
  :as <user_id> <text>   send <text> as another user (created on first use)
  :press <n> [user_id]   press button n of the newest message with buttons (to you, or user_id)
  :block <user_id>       that user blocks the bot     :unblock <user_id>   ...and unblocks it
  :fault <0..1>          fail that share of sends with 502   :quit   stop (or Ctrl-D)
  :wait                  wait until the bot is quiet (for input piped in)"""


def sandbox_settings(settings: Settings, base_url: str) -> Settings:
    """The settings with the sandbox's URL and database, you as an admin, and sandbox chats;
    :class:`ConfigError` (before anything is touched) when DATABASE_URL names another
    database (see :func:`sandbox_database`)."""
    update: dict[str, object] = {
        "telegram_api_base_url": base_url,
        "admin_ids": tuple(dict.fromkeys((YOU, *settings.admin_ids))),
        "channel_id": settings.channel_id or CHANNEL,
        "vip_chat_id": settings.vip_chat_id or VIP,
        "bot_token": None,
        "database_url": sandbox_database(settings),
    }
    return settings.model_copy(update=update)


def sandbox_database(settings: Settings) -> str:
    """The sandbox's database: always its own SQLite file, ``data/sandbox.sqlite3`` in the
    folder it runs in. The sandbox sends to simulated users and runs every job, so it never
    runs on another database: a DATABASE_URL set to anything else (a mistyped token would
    otherwise put the real users' data under the sandbox) is a :class:`ConfigError`."""
    if "database_url" not in settings.model_fields_set:
        return SANDBOX_DATABASE_URL
    if _is_sandbox_file(settings.database_url):
        return settings.database_url
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    raise ConfigError(
        f"DATABASE_URL: the sandbox runs only on its own database ({SANDBOX_DATABASE}), "
        f"not on {shown}: its simulated users, sends and jobs would go there. Remove "
        "DATABASE_URL (from .env and the environment) to use the sandbox, or set BOT_TOKEN "
        "to run the bot on that database."
    )


def _is_sandbox_file(database_url: str) -> bool:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    return Path(url.database).expanduser().resolve() == SANDBOX_DATABASE.resolve()


def describe(message: SentMessage, world: World) -> str:
    who = (
        "you"
        if message.chat_id == YOU
        else (
            "channel"
            if message.chat_id == CHANNEL
            else "vip chat"
            if message.chat_id == VIP
            else world.users[message.chat_id].first_name
            if message.chat_id in world.users
            else "chat"
        )
    )
    verb = "edited" if message.edits else ("photo" if message.photo else "message")
    text = message.text or ""
    if message.photo:
        picture = str(message.params.get("photo", ""))
        text = f"({_where(picture)}) {text}".rstrip()
    elif message.method == "sendDocument":
        verb = "file"
        text = f"(saved at {message.params.get('document', '')}) {text}".rstrip()
    if message.chat_id != YOU and message.chat_id >= SIMULATED_BASE:
        text = text.splitlines()[0][:80] if text else ""
    buttons = " ".join(f"[{i}: {b.get('text')}]" for i, b in enumerate(message.buttons(), 1))
    body = text + (f"\n    {buttons}" if buttons else "")
    return f"[{verb} → {who} {message.chat_id}] {body}"


def _where(picture: str) -> str:
    """Where the picture of a photo message can be seen."""
    if picture.startswith("/"):
        return f"picture saved at {picture}"
    return f"picture {picture}" if picture else "picture"


def _stdin_lines(loop: asyncio.AbstractEventLoop, stream: TextIO) -> asyncio.Queue[str | None]:
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, daemon=True, name="sandbox-stdin").start()
    return queue


def _latest_with_buttons(world: World, chat_id: int) -> SentMessage | None:
    return next((m for m in reversed(world.to(chat_id)) if m.buttons()), None)


def _user_id(text: str) -> int | None:
    """A positive user id in ASCII digits (``²`` and ``١٢`` are digits to Python, not ids)."""
    if text.isascii() and text.isdigit() and 0 < len(text) <= 15:
        return int(text)
    return None


def sandbox_command(line: str, server: SandboxServer, say: Callable[[str], None]) -> bool:
    """Act on a ``:`` line and say what was done (or why not); False when asked to quit."""
    verb, _, rest = line[1:].partition(" ")
    if verb == "quit":
        return False
    action = _ACTIONS.get(verb)
    if action is None:
        say(f"unknown sandbox command :{verb}\n{SANDBOX_HELP}" if verb != "help" else SANDBOX_HELP)
    else:
        say(action(server, rest.split(), rest))
    return True


def _as(server: SandboxServer, args: list[str], rest: str) -> str:
    user_id = _user_id(args[0]) if args else None
    if user_id is None or len(args) < 2:
        return "usage: :as <user_id> <text>   (user_id: digits, e.g. :as 42 /start)"
    server.world.send_text(user_id, rest.split(maxsplit=1)[1])
    return f"sent as user {user_id}"


def _press(server: SandboxServer, args: list[str], _rest: str) -> str:
    number = _user_id(args[0]) if args else None
    chat = _user_id(args[1]) if len(args) > 1 else YOU
    if number is None or chat is None:
        return "usage: :press <n> [user_id]   (n: the button's number, from 1)"
    message = _latest_with_buttons(server.world, chat)
    buttons = message.buttons() if message else []
    if message is None or not 0 < number <= len(buttons):
        return f"no button {number} on the newest message with buttons to {chat}"
    server.world.press(chat, message, str(buttons[number - 1].get("callback_data", "")))
    return f"pressed [{number}: {buttons[number - 1].get('text')}]"


def _block(server: SandboxServer, args: list[str], _rest: str, *, blocked: bool = True) -> str:
    user_id = _user_id(args[0]) if args else None
    verb = "block" if blocked else "unblock"
    if user_id is None:
        return f"usage: :{verb} <user_id>"
    server.world.block(user_id, blocked=blocked)
    return f"user {user_id} {'blocked' if blocked else 'unblocked'} the bot"


def _fault(server: SandboxServer, args: list[str], _rest: str) -> str:
    try:
        share = float(args[0]) if len(args) == 1 else -1.0
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:  # NaN fails this too
        return "usage: :fault <share from 0 to 1>   (e.g. :fault 0.2 fails a fifth of sends)"
    server.fault_rate = share
    return f"{share:.0%} of sends now fail with 502" if share else "sends no longer fail"


_ACTIONS: dict[str, Callable[[SandboxServer, list[str], str], str]] = {
    "as": _as,
    "press": _press,
    "block": _block,
    "unblock": lambda server, args, rest: _block(server, args, rest, blocked=False),
    "fault": _fault,
}


async def run_sandbox(
    settings: Settings,
    *,
    users: int = 0,
    stream: TextIO = sys.stdin,
    say: Callable[[str], None] = print,
) -> None:
    """Start the sandbox server and the bot, then chat until EOF or ``:quit``."""
    server = SandboxServer()
    base_url = await server.start()
    settings = sandbox_settings(settings, base_url)
    world = server.world
    world.user(YOU, "You", "you")
    world.chat(settings.channel_id or CHANNEL, "channel", "Sandbox channel")
    world.chat(settings.vip_chat_id or VIP, "supergroup", "Sandbox VIP chat")
    moderators = getattr(settings, "moderation_chat_id", None)
    if isinstance(moderators, int):  # MODERATION_CHAT_ID: the review cards go to that group
        world.chat(moderators, "supergroup", "Sandbox moderators")
    world.listeners.append(lambda message: say(describe(message, world)))
    app = build_application(settings)
    async with serving(app):
        host = str(getattr(settings, "sandbox_web_host", "127.0.0.1"))
        page = await serve_page(server, settings, app, host)
        try:
            await _converse(server, settings, users, stream, say, page.url)
        finally:
            await page.stop()
    await server.stop()


async def _converse(
    server: SandboxServer,
    settings: Settings,
    users: int,
    stream: TextIO,
    say: Callable[[str], None],
    page_url: str = "",
) -> None:
    world = server.world
    say(
        f"Companion sandbox on {server.base_url} — you are user {YOU}, an admin. "
        "Type /help, or :help for the sandbox. The bot's log: data/sandbox.log; its jobs: "
        "python -m bot jobs --sandbox list."
    )
    if page_url:
        say(f"Chat page: open {page_url} in a browser (everyone's chats, live).")
    for offset in range(users):
        world.send_text(SIMULATED_BASE + offset, "/start")
    await _chat(server, say, _stdin_lines(asyncio.get_running_loop(), stream))
    await _quiet(world)


async def _quiet(world: World, seconds: float = 1.5, limit: float = 10.0) -> None:
    """After the last input, let the bot finish answering (until it is quiet a while)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = -1
    while loop.time() < deadline and seen != (
        now := len(world.messages) + sum(m.edits for m in world.messages)
    ):
        seen = now
        await asyncio.sleep(seconds)


async def _chat(
    server: SandboxServer, say: Callable[[str], None], lines: asyncio.Queue[str | None]
) -> None:
    while (line := await lines.get()) is not None:
        line = line.strip()
        if not line:
            continue
        if line == ":wait":
            await _quiet(server.world, seconds=0.5)
        elif line.startswith(":"):
            if not sandbox_command(line, server, say):
                return
        else:
            server.world.send_text(YOU, line)
