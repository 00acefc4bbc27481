"""The sandbox as a chat page: every simulated person's chat with the bot in a browser.

Served by the sandbox process itself (aiohttp, on loopback unless ``SANDBOX_WEB_HOST`` says
otherwise): ``/`` is the page (plain HTML, CSS and JavaScript from ``static/``), ``/api/events``
streams what happens in the sandbox world as server-sent events (every message the bot sent,
edited or deleted, every update a person made, the people and the controls), and
``/api/act`` does what a person or the sandbox's operator does (a JSON POST). ``/files/...``
serves the files the bot uploaded (photos, charts, documents) and nothing else.

It is a local development tool, still guarded: every request must name this server in its
``Host`` (a page of another site that rebinds its name to 127.0.0.1 is refused), and an
action must come from this page's own ``Origin`` with a JSON body.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram.ext import Application

from bot.core.context import services_of
from bot.core.jobs import Trigger
from bot.core.kernel import Settings, languages
from bot.sandbox.render import render
from bot.sandbox.server import SHUTDOWN_GRACE, SandboxServer
from bot.sandbox.world import JSON, SentMessage, World

STATIC = {
    "index.html": "text/html",
    "chat.js": "text/javascript",
    "chat.css": "text/css",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HISTORY = 20_000  # events kept for a page opened later (the oldest go first)
IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
FAULTS = (0.0, 0.1, 0.3, 1.0)
DELAYS = (0.0, 0.5, 2.0)
DROPS = (0.0, 0.1, 0.3)
LANGUAGES = languages()  # a Telegram app's language the panel may set: those with a catalogue
JobRunner = Callable[[str], Awaitable[str]]
PORT = 8733  # where `make run` serves the page, when free


class ActionError(Exception):
    """An action the page asked for that cannot be done (said back to the page)."""


@dataclass
class View:
    """A group or channel shown as a chat of its own."""

    chat_id: int
    title: str
    kind: str  # "channel" | "vip" | "moderation"
    actor: int  # who presses its buttons and writes in it, unless the page says otherwise


@dataclass
class PageConfig:
    """Who is who in the sandbox, its group views, and what the controls may run."""

    admins: tuple[int, ...]
    moderators: tuple[int, ...] = ()
    views: list[View] = field(default_factory=list)
    run_job: JobRunner | None = None
    mission_job: str = "missions.send_daily"


class ChatPage:
    """The chat page of a :class:`SandboxServer`'s world."""

    def __init__(self, server: SandboxServer, config: PageConfig) -> None:
        self.server, self.config = server, config
        self.world: World = server.world
        self.events: deque[JSON] = deque(maxlen=HISTORY)
        self.seq = 0
        self.streams: set[asyncio.Queue[JSON | None]] = set()
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._people: str = ""
        self._queries: dict[str, int] = {}  # callback queries pressed here -> their chat

    # -- serving --------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host``:``port`` (0: any free port); the page's address."""
        self.host = host
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/events", self._stream)
        app.router.add_post("/api/act", self._act)
        app.router.add_get("/files/{chat_id}/{message_id}", self._file)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])
        self.world.watchers.append(self._watch)
        self._replay()
        return self.url

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.world.watchers.remove(self._watch)
        for queue in self.streams:
            queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _host_ok(self, host: str) -> bool:
        """``Host`` names this server: its port, and loopback, an IP address or the name it
        was told to listen on (a foreign name rebound to this address is no IP literal)."""
        name, _, port = host.rpartition(":")
        if port != str(self.port):
            return False
        name = name.removeprefix("[").removesuffix("]")
        if name in ("localhost", self.host):
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Refuse a ``Host`` not naming this server (DNS rebinding), and an action not
        from this page's ``Origin`` or without a JSON body."""
        host = request.headers.get("Host", "")
        if not self._host_ok(host):
            return web.Response(status=421, text="This page is served for its own address only.")
        if request.method == "POST":
            if request.headers.get("Origin") != f"http://{host}":
                return web.Response(status=403, text="Actions come from this page only.")
            if request.content_type != "application/json":
                return web.Response(status=415, text="Actions are JSON.")
        response = await handler(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return self._static_file("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        return self._static_file(request.match_info["name"])

    def _static_file(self, name: str) -> web.Response:
        if name not in STATIC:
            raise web.HTTPNotFound
        body = resources.files("bot.sandbox").joinpath("static", name).read_bytes()
        response = web.Response(body=body, content_type=STATIC[name], charset="utf-8")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        return response

    async def _file(self, request: web.Request) -> web.StreamResponse:
        """A photo or document the bot uploaded, by the message it came with; only files
        the sandbox itself stored (under ``files_dir``) are served."""
        try:
            key = (int(request.match_info["chat_id"]), int(request.match_info["message_id"]))
        except ValueError:
            raise web.HTTPNotFound from None
        message = next((m for m in self.world.messages if (m.chat_id, m.message_id) == key), None)
        path = self._stored(message)
        if path is None:
            raise web.HTTPNotFound
        kind = IMAGES.get(path.suffix.lower())
        headers = {"Content-Type": kind or "application/octet-stream"}
        if kind is None or (message is not None and message.method == "sendDocument"):
            name = path.name.split("-", 1)[-1].replace('"', "")
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return web.Response(body=path.read_bytes(), headers=headers)

    def _stored(self, message: SentMessage | None) -> Path | None:
        if message is None or self.server._files is None:
            return None
        value = message.params.get("photo") or message.params.get("document")
        if not isinstance(value, str) or not value.startswith("/"):
            return None
        root = self.server._files.resolve()
        path = Path(value).resolve()
        if path.parent != root or not path.is_file():
            return None
        return path

    # -- the events ------------------------------------------------------------------
    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the history after ``Last-Event-ID`` (all of it on a first
        connection), then each event as it happens."""
        try:
            after = int(request.headers.get("Last-Event-ID") or request.query.get("after") or 0)
        except ValueError:
            after = 0
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self.streams.add(queue)
        try:
            await response.write(self._frame(self._people_event(0)))
            for event in list(self.events):
                if event["seq"] > after:
                    await response.write(self._frame(event))
            await response.write(b": live\n\n")
            async for event in _drain(queue):
                await response.write(self._frame(event))
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.streams.discard(queue)
        return response

    @staticmethod
    def _frame(event: JSON) -> bytes:
        ident = f"id: {event['seq']}\n" if event.get("seq") else ""
        return f"{ident}data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()

    def _emit(self, event: JSON, *, keep: bool = True) -> None:
        if keep:
            self.seq += 1
            event["seq"] = self.seq
            self.events.append(event)
        for queue in self.streams:
            queue.put_nowait(event)

    def _replay(self) -> None:
        """What happened before the page started (bot messages only: updates are gone)."""
        for message in self.world.messages:
            if not message.deleted:
                self._emit({"type": "message", "message": self.bot_message(message)})

    def _watch(self, kind: str, what: Any) -> None:
        if kind == "sent" or kind == "edited":
            self._emit({"type": "message", "message": self.bot_message(what)})
        elif kind == "deleted":
            self._emit({"type": "deleted", "chat": what.chat_id, "id": what.message_id})
        elif kind == "answered":
            text = str(what.get("text") or "")
            if text:
                chat = self._queries.pop(str(what.get("callback_query_id")), None)
                if chat is not None:
                    self._emit({"type": "toast", "chat": chat, "text": text}, keep=False)
        elif kind == "update":
            for event in self.from_update(what):
                self._emit(event)
        self._people_changed()

    def _people_changed(self) -> None:
        event = self._people_event(0)
        shown = json.dumps(event, sort_keys=True)
        if shown != self._people:
            self._people = shown
            self._emit(event, keep=False)

    def _people_event(self, _seq: int) -> JSON:
        world, config = self.world, self.config
        people = [
            {
                "id": user.id,
                "name": user.first_name,
                "username": user.username,
                "language": user.language_code,
                "blocked": user.blocked,
                "admin": user.id in config.admins,
                "moderator": user.id in config.moderators,
                "subscriber": user.id in world.star_subscriptions,
            }
            for user in sorted(world.users.values(), key=lambda u: u.id)
        ]
        views = [
            {"id": v.chat_id, "title": v.title, "kind": v.kind, "actor": v.actor}
            for v in config.views
        ]
        server = self.server
        controls = {
            "fault_rate": server.fault_rate,
            "delay": server.delay,
            "drop_rate": server.drop_rate,
            "faults": FAULTS,
            "delays": DELAYS,
            "drops": DROPS,
            "jobs": config.run_job is not None,
            "languages": LANGUAGES,
        }
        return {"type": "people", "people": people, "views": views, "controls": controls}

    def bot_message(self, message: SentMessage) -> JSON:
        """A bot message as the page draws it."""
        params = message.params
        parse_mode = params.get("parse_mode")
        shown: JSON = {
            "chat": message.chat_id,
            "id": message.message_id,
            "from": "bot",
            "html": render(message.text, parse_mode),
            "edited": message.edits > 0,
            "date": int(message.date),
        }
        markup = message.reply_markup or {}
        if isinstance(markup, dict):
            if markup.get("inline_keyboard"):
                shown["inline"] = _inline_rows(markup["inline_keyboard"])
            if markup.get("keyboard"):
                shown["keyboard"] = [
                    [str(b.get("text", "")) if isinstance(b, dict) else str(b) for b in row]
                    for row in markup["keyboard"]
                ]
            if markup.get("remove_keyboard"):
                shown["remove_keyboard"] = True
        stored = self._stored(message)
        if message.photo:
            shown["photo"] = self._file_url(message) if stored else None
            shown["photo_name"] = "" if stored else str(params.get("photo", ""))[:200]
        elif message.method == "sendDocument":
            document = params.get("document")
            name = stored.name.split("-", 1)[-1] if stored else str(document or "")[:200]
            shown["document"] = {"name": name, "url": self._file_url(message) if stored else None}
        elif message.method == "sendInvoice":
            prices = params.get("prices") or []
            shown["invoice"] = {
                "title": str(params.get("title", "")),
                "description": str(params.get("description", "")),
                "currency": str(params.get("currency", "")),
                "amount": sum(int(p.get("amount", 0)) for p in prices if isinstance(p, dict)),
            }
            shown["html"] = ""
        elif message.method not in ("sendMessage", "editMessageText"):
            shown["media"] = message.method.removeprefix("send")
        return shown

    @staticmethod
    def _file_url(message: SentMessage) -> str:
        return f"/files/{message.chat_id}/{message.message_id}"

    def from_update(self, update: JSON) -> Iterable[JSON]:
        """What a pushed update shows on the page: a person's message, a payment, a join."""
        message = update.get("message") or update.get("edited_message")
        if message:
            yield self._user_message(message, edited="edited_message" in update)
        post = update.get("channel_post")
        if post:
            yield self._user_message(post, edited=False)
        if "chat_member" in update:
            change = update["chat_member"]
            user = change.get("new_chat_member", {}).get("user", {})
            status = change.get("new_chat_member", {}).get("status")
            verb = {"member": "joined the chat", "left": "left the chat"}.get(status, status)
            yield _service(change["chat"]["id"], f"{user.get('first_name', '?')} {verb}")
        if "chat_join_request" in update:
            request = update["chat_join_request"]
            name = request["from"].get("first_name", "?")
            yield _service(request["chat"]["id"], f"{name} asked to join")
        if "my_chat_member" in update:
            change = update["my_chat_member"]
            blocked = change["new_chat_member"]["status"] == "kicked"
            yield _service(change["chat"]["id"], "Blocked the bot" if blocked else "Unblocked")

    def _user_message(self, message: JSON, *, edited: bool) -> JSON:
        sender = message.get("from") or {}
        chat_id = int(message["chat"]["id"])
        payment = message.get("successful_payment")
        if payment:
            stars = payment.get("total_amount")
            renewal = payment.get("is_recurring") and not payment.get("is_first_recurring")
            what = "renewed the subscription:" if renewal else "paid"
            return _service(chat_id, f"{sender.get('first_name', '?')} {what} {stars} ⭐")
        text = message.get("text") or message.get("caption") or ""
        for body in ("suggested_post_approved", "suggested_post_declined"):
            if body in message:
                text = "Suggested post " + body.rsplit("_", 1)[-1]
        return {
            "type": "message",
            "message": {
                "chat": chat_id,
                "id": int(message["message_id"]),
                "from": "person",
                "sender": int(sender.get("id", 0)),
                "name": str(sender.get("first_name", "")),
                "html": render(text, None),
                "photo": None if "photo" not in message else "",
                "edited": edited,
                "date": int(message.get("date", 0)),
            },
        }

    # -- actions -------------------------------------------------------------------
    async def _act(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "not an object"}, status=400)
        try:
            said = await self.act(body)
        except ActionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        self._people_changed()
        return web.json_response({"ok": True, "said": said})

    async def act(self, body: JSON) -> str:
        """Do what the page asked; a line saying what was done."""
        action = str(body.get("action", ""))
        handler = _ACTIONS.get(action)
        if handler is None:
            raise ActionError(f"unknown action {action!r}")
        return await handler(self, body)

    def _message(self, body: JSON) -> SentMessage:
        key = (_int(body, "chat"), _int(body, "id"))
        message = self.world.by_key.get(key)
        if message is None:
            raise ActionError("that message is gone")
        return message

    async def _send(self, body: JSON) -> str:
        user, chat = _int(body, "user"), _int(body, "chat", _int(body, "user"))
        text = str(body.get("text", ""))
        if not text.strip() or len(text) > 4096:
            raise ActionError("write 1 to 4096 characters")
        if chat == user:
            self.world.send_text(user, text)
        elif self.world.chats.get(chat) is not None:
            chat_type = self.world.chats[chat].type
            if chat_type == "channel":
                self.world.post_in_channel(chat, text)
            else:
                self.world.send_in_chat(chat, user, text)
        else:
            raise ActionError("no such chat")
        return "sent"

    async def _press(self, body: JSON) -> str:
        message = self._message(body)
        data = str(body.get("data", ""))
        if data not in (str(b.get("callback_data")) for b in message.buttons()):
            raise ActionError("no such button on that message")
        query = self.world.press(_int(body, "user"), message, data)
        self._queries[query] = message.chat_id
        return "pressed"

    async def _pay(self, body: JSON) -> str:
        message = self._message(body)
        if message.method != "sendInvoice":
            raise ActionError("that message is no invoice")
        self.world.pay(_int(body, "user"), message)
        return "paying"

    async def _open_link(self, body: JSON) -> str:
        """A person opens a link the bot made: an invoice link (they pay it: a renewing
        subscription's starts), or an invite link (they ask to join, for a link made with
        ``creates_join_request``, or join)."""
        link = str(body.get("link", ""))
        if link in self.world.invoice_links:
            self.world.subscribe(_int(body, "user"), link)
            return "paying the subscription"
        made = next((x for x in self.world.invite_links if x["invite_link"] == link), None)
        if made is None:
            raise ActionError("the sandbox made no such invite link")
        if made.get("is_revoked"):
            raise ActionError("this invite link was revoked")
        user, chat = _int(body, "user"), int(made["chat_id"])
        if made.get("creates_join_request"):
            self.world.request_join(user, chat, link)
            return "asked to join"
        self.world.join_chat(user, chat)
        return "joined"

    async def _add_user(self, body: JSON) -> str:
        name = str(body.get("name", "")).strip()[:64]
        user_id = _int(body, "id", 0) or max([*self.world.users, 100_000]) + 1
        if not 0 < user_id < 10**12 or user_id in self.world.users:
            raise ActionError("that id is taken or not a user id")
        language = str(body.get("language") or "en")
        if language not in LANGUAGES:
            raise ActionError("unknown language")
        self.world.user(user_id, name or f"User{user_id}", language_code=language)
        return f"added user {user_id}"

    async def _language(self, body: JSON) -> str:
        language = str(body.get("language", ""))
        if language not in LANGUAGES:
            raise ActionError("unknown language")
        self.world.user(_int(body, "user"), language_code=language)
        return f"their Telegram now says {language}"

    async def _timezone(self, body: JSON) -> str:
        zone = str(body.get("zone", "")).strip()
        if not zone or len(zone) > 64 or any(ch.isspace() for ch in zone):
            raise ActionError("a zone like Europe/Kyiv or +5:45")
        self.world.send_text(_int(body, "user"), f"/timezone {zone}")
        return "sent /timezone"

    async def _block(self, body: JSON) -> str:
        blocked = bool(body.get("blocked"))
        self.world.block(_int(body, "user"), blocked)
        return "blocked the bot" if blocked else "unblocked the bot"

    async def _controls(self, body: JSON) -> str:
        server = self.server
        for name, allowed in (("fault_rate", FAULTS), ("delay", DELAYS), ("drop_rate", DROPS)):
            if name in body:
                value = float(body[name])
                if value not in allowed:
                    raise ActionError(f"{name}: one of {allowed}")
                setattr(server, name, value)
        return "controls set"

    async def _mission(self, _body: JSON) -> str:
        if self.config.run_job is None:
            raise ActionError("no bot to run jobs in")
        return await self.config.run_job(self.config.mission_job)

    async def _renew(self, body: JSON) -> str:
        user = _int(body, "user")
        if user not in self.world.star_subscriptions:
            raise ActionError("no subscription to renew")
        renewed = self.world.renew(user)
        return "renewed" if renewed else "the subscription was cancelled: it ended"


_ACTIONS: dict[str, Callable[[ChatPage, JSON], Awaitable[str]]] = {
    "send": ChatPage._send,
    "press": ChatPage._press,
    "pay": ChatPage._pay,
    "open_link": ChatPage._open_link,
    "add_user": ChatPage._add_user,
    "language": ChatPage._language,
    "timezone": ChatPage._timezone,
    "block": ChatPage._block,
    "controls": ChatPage._controls,
    "mission": ChatPage._mission,
    "renew": ChatPage._renew,
}


def _int(body: JSON, key: str, default: int | None = None) -> int:
    """A whole number the page sent: a JSON number, or ASCII digits (``²`` is no id)."""
    value = body.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    digits = value.removeprefix("-") if isinstance(value, str) else ""
    if isinstance(value, str) and digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return int(value)
    raise ActionError(f"{key}: a number")


def _inline_rows(rows: Any) -> list[list[JSON]]:
    shown: list[list[JSON]] = []
    for row in rows if isinstance(rows, list) else []:
        buttons: list[JSON] = []
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict):
                continue
            item: JSON = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item["data"] = str(button["callback_data"])
            elif button.get("url") or button.get("web_app"):
                web_app = button.get("web_app")
                url = str(button.get("url") or (web_app or {}).get("url", ""))
                item["url"] = url if url.startswith(("http://", "https://", "tg://")) else ""
            elif button.get("pay"):
                item["pay"] = True
            buttons.append(item)
        shown.append(buttons)
    return shown


def _service(chat_id: int, text: str) -> JSON:
    return {"type": "service", "chat": int(chat_id), "text": text}


async def _drain(queue: asyncio.Queue[JSON | None]) -> AsyncIterator[JSON]:
    while (event := await queue.get()) is not None:
        yield event


def page_config(settings: Settings, app: Application[Any, Any, Any, Any, Any, Any]) -> PageConfig:
    """Who is who in a sandbox run of the bot (``settings`` as the sandbox set them), its
    channel, VIP chat and moderators' group (when ``MODERATION_CHAT_ID`` is set) as views,
    and the bot's job runner behind the controls."""
    admins = tuple(settings.admin_ids)
    moderators = tuple(getattr(settings, "moderators", admins))
    first = admins[0] if admins else 1
    views = []
    if settings.channel_id is not None:
        views.append(View(settings.channel_id, "Channel", "channel", first))
    if settings.vip_chat_id is not None:
        views.append(View(settings.vip_chat_id, "VIP chat", "vip", first))
    moderation = getattr(settings, "moderation_chat_id", None)
    if isinstance(moderation, int):
        actor = moderators[0] if moderators else first
        views.append(View(moderation, "Moderation chat", "moderation", actor))

    async def run_job(name: str) -> str:
        """Run ``name`` now through the bot's runner, as /runjob does."""
        services = services_of(app)
        record = await services.runner.run(
            name, trigger=Trigger.MANUAL, scheduled_for=services.clock.now(), args={}
        )
        if record is None:
            return f"{name} is running already"
        return f"{name}: {record.status}" + (f" — {record.summary}" if record.summary else "")

    return PageConfig(admins=admins, moderators=moderators, views=views, run_job=run_job)


async def serve_page(
    server: SandboxServer,
    settings: Settings,
    app: Application[Any, Any, Any, Any, Any, Any],
    host: str = "127.0.0.1",
    port: int = PORT,
) -> ChatPage:
    """The chat page of a sandbox run, started on ``host``:``port`` (any free port when
    that one is taken); its groups exist in the world."""
    config = page_config(settings, app)
    for view in config.views:
        if view.chat_id not in server.world.chats:
            kind = "channel" if view.kind == "channel" else "supergroup"
            server.world.chat(view.chat_id, kind, view.title)
    page = ChatPage(server, config)
    try:
        await page.start(host, port)
    except OSError:
        await page.stop()
        page = ChatPage(server, config)
        await page.start(host, 0)
    return page
