"""The sandbox Bot API server: real HTTP on loopback, Telegram's request and answer shapes.

``POST /bot<token>/<method>`` with form, JSON or multipart bodies; answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, ...}``.
It enforces Telegram's flood limits (429 with ``retry_after``), answers 403 for
users who blocked the bot, 400 for unknown chats, over-long texts and migrated
groups; lets sends with ``allow_paid_broadcast`` past the free 30 a second (up to 1,000,
0.1 Star each from the bot's balance, 400 ``BALANCE_TOO_LOW`` when it is short; recorded in
``world.paid_sends``); and can inject faults: 5xx answers (``fault_rate``), a delay before every
counted call (``delay``, or ``slow`` for one method), and connections dropped without
an answer (``drop_rate``). Bans and unbans are refused as Telegram refuses them: a chat
whose ``bot_admin`` is off ("not enough rights"), a member in its ``admins``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.delivery import MAX_CAPTION, MAX_TEXT, utf16_len
from bot.sandbox.flood import FloodGate, FloodLimits
from bot.sandbox.webhook import WebhookDelivery
from bot.sandbox.world import (
    BOT_ID,
    JSON,
    PollConflict,
    SandboxChat,
    SentMessage,
    World,
    bot_user,
)

_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "data",
        "callback_query_id",
        "name",
        "title",
        "description",
        "payload",
        "currency",
        "pre_checkout_query_id",
        "error_message",
        "invite_link",
        "parse_mode",
        "photo",
        "video",
        "url",
        "start_parameter",
        "provider_token",
        "telegram_payment_charge_id",
        "secret_token",
        "comment",
    }
)
COUNTED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendInvoice",
        "sendAnimation",
        "sendVideo",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
    }
)


_ADMIN_RIGHTS = {
    name: True
    for name in (
        "can_be_edited",
        "is_anonymous",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "can_post_messages",
        "can_edit_messages",
        "can_pin_messages",
    )
}
SHUTDOWN_GRACE = 2.0  # seconds a stop waits for requests still being answered
DELETABLE_SECONDS = 48 * 3600  # how long a bot may delete its messages in a private chat
PAID_MILLISTARS = 100  # what a send with allow_paid_broadcast costs: 0.1 Star


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def _decode(value: str, key: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class SandboxServer:
    """An offline Bot API on ``127.0.0.1``; ``base_url`` goes to ``TELEGRAM_API_BASE_URL``."""

    def __init__(
        self, *, limits: FloodLimits | None = None, fault_rate: float = 0.0, seed: int = 7
    ) -> None:
        self.world = World()
        self.gate = FloodGate(limits or FloodLimits())
        self.fault_rate = fault_rate
        self.drop_rate = 0.0  # share of counted calls whose connection is cut, unanswered
        self.delay = 0.0  # seconds every counted call takes before it is answered
        self.slow: dict[str, float] = {}  # extra seconds per method
        # Called with a method's parameters just before it is answered: a test's way to
        # change the world at that exact moment (e.g. lock the bot's database).
        self.before: dict[str, Callable[[JSON], Awaitable[None] | None]] = {}
        self.webhook: WebhookDelivery | None = None
        # Files the bot uploads (photos from MEDIA_DIR) are kept here while the sandbox runs,
        # so they can be looked at: a private folder of its own (made on the first upload,
        # named unpredictably, readable by this user only), removed when the sandbox stops.
        self._files: Path | None = None
        self._file_ids = itertools.count(1)
        self.tokens: set[str] | None = None  # when set, any other token is answered 401
        self.random = random.Random(seed)
        self.stats: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._methods: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            name.removeprefix("m_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("m_")
        }

    @property
    def files_dir(self) -> Path:
        """Where uploaded files are saved (made on first use)."""
        if self._files is None:
            self._files = Path(tempfile.mkdtemp(prefix="companion-sandbox-"))
        return self._files

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        # A stop answers open long polls at once (see ``stop``); the grace bounds anything else.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])
        return self.base_url

    async def stop(self) -> None:
        """Stop serving. A ``getUpdates`` long poll whose client went away (a stopped bot)
        would otherwise hold the shutdown for its whole timeout: it is answered now."""
        self.world.close()
        if self.webhook is not None:
            await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._files is not None:
            shutil.rmtree(self._files, ignore_errors=True)
            self._files = None

    def set_limits(self, limits: FloodLimits) -> None:
        self.gate = FloodGate(limits)

    @property
    def too_many_requests(self) -> int:
        return self.stats["429"]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.stats[method] += 1
        if method in COUNTED:  # which bot process sent it, when each uses its own token
            self.stats[f"sent-with:{request.match_info['token']}"] += 1
        if self.tokens is not None and request.match_info["token"] not in self.tokens:
            refusal = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(refusal, status=401)  # what Telegram says to a bad token
        params = await self._params(request)
        self.world.calls.append((method, params))
        if method in COUNTED and self.drop_rate and self.random.random() < self.drop_rate:
            self.stats["dropped"] += 1
            if request.transport is not None:
                request.transport.abort()  # the client sees a reset, never an answer
            raise web.HTTPInternalServerError  # not seen: the connection is gone
        try:
            result = await self._call(method, params)
        except ApiError as exc:
            self.stats[str(exc.code)] += 1
            body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _call(self, method: str, params: JSON) -> Any:
        handler = self._methods.get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        if method in self.before:
            waiting = self.before[method](params)
            if waiting is not None:
                await waiting
        if method in COUNTED:
            pause = self.delay + self.slow.get(method, 0.0)
            if pause > 0:
                await asyncio.sleep(pause)
            if self.fault_rate and self.random.random() < self.fault_rate:
                raise ApiError(502, "Bad Gateway")
            paid = bool(params.get("allow_paid_broadcast"))
            self._check_chat(params, paid=paid)
            if paid:
                return self._charged(params, await handler(params))
        return await handler(params)

    def _charged(self, params: JSON, result: Any) -> Any:
        """A paid send went out: 0.1 Star from the balance, and the send recorded as paid."""
        self.world.paid_millistars += PAID_MILLISTARS
        message_id = result.get("message_id", 0) if isinstance(result, dict) else 0
        self.world.paid_sends.append((int(params.get("chat_id", 0)), int(message_id)))
        return result

    async def _params(self, request: web.Request) -> JSON:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: JSON = {}
        for key, value in form.items():
            params[key] = _decode(value, key) if isinstance(value, str) else self._keep(value)
        return params

    def _keep(self, upload: Any) -> str:
        """Save an uploaded file under ``files_dir``; its path stands for it in the params."""
        files = self.files_dir
        name = Path(str(getattr(upload, "filename", "") or "upload")).name
        path = files / f"{next(self._file_ids)}-{name}"
        path.write_bytes(upload.file.read())
        return str(path)

    def _check_chat(self, params: JSON, *, paid: bool = False) -> None:
        chat_id = int(params.get("chat_id", 0))
        user = self.world.users.get(chat_id)
        chat = self.world.chats.get(chat_id)
        if user is None and chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if user is not None and user.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if user is not None and user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat is not None and chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if paid and self.world.star_millis() < PAID_MILLISTARS:
            raise ApiError(400, "Bad Request: BALANCE_TOO_LOW")
        wait = self.gate.check(chat_id, paid=paid)
        if wait:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _message_json(self, message: SentMessage) -> JSON:
        body: JSON = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.world.chat_json(message.chat_id),
            "from": bot_user(),
        }
        if message.photo:
            body["photo"] = [
                {
                    "file_id": f"p{message.message_id}",
                    "file_unique_id": "p",
                    "width": 640,
                    "height": 480,
                }
            ]
            if message.text:
                body["caption"] = message.text
        elif message.text is not None:
            body["text"] = message.text
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body

    # -- Bot API methods --------------------------------------------------------
    async def m_getMe(self, _p: JSON) -> JSON:
        return {
            **bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_getUpdates(self, p: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        try:
            return await self.world.take_updates(
                int(p.get("offset", 0) or 0),
                int(p.get("limit", 100) or 100),
                float(p.get("timeout", 0) or 0),
            )
        except PollConflict:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            ) from None

    async def m_setWebhook(self, p: JSON) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return await self.m_deleteWebhook(p)
        await self.m_deleteWebhook({})
        self.webhook = WebhookDelivery(
            self.world, url, p.get("secret_token"), int(p.get("max_connections") or 40)
        )
        self.webhook.start()
        return True

    async def m_deleteWebhook(self, p: JSON) -> bool:
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if p.get("drop_pending_updates"):
            self.world.confirm_all()
        return True

    async def m_getWebhookInfo(self, _p: JSON) -> JSON:
        return {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.pending_updates(0)),
        }

    async def m_setMyCommands(self, p: JSON) -> bool:
        scope = json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True)
        if p.get("language_code"):
            scope += f"|{p['language_code']}"
        self.world.commands[scope] = list(p.get("commands") or [])
        return True

    async def m_setChatMenuButton(self, p: JSON) -> bool:
        button = p.get("menu_button") or {"type": "default"}
        self.world.menu_buttons[int(p.get("chat_id") or 0)] = button
        return True

    async def m_deleteMyCommands(self, _p: JSON) -> bool:
        return True

    async def m_close(self, _p: JSON) -> bool:
        return True

    async def m_logOut(self, _p: JSON) -> bool:
        return True

    async def m_sendMessage(self, p: JSON) -> JSON:
        text = str(p.get("text", ""))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:  # Telegram counts UTF-16 units
            raise ApiError(400, "Bad Request: message is too long")
        return self._message_json(self.world.record(int(p["chat_id"]), text, "sendMessage", p))

    async def m_sendPhoto(self, p: JSON) -> JSON:
        caption = p.get("caption")
        if caption and utf16_len(str(caption)) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return self._message_json(self.world.record(int(p["chat_id"]), caption, "sendPhoto", p))

    async def m_sendDocument(self, p: JSON) -> JSON:
        """A file (an uploaded one is saved under :attr:`files_dir`; its path stands in the
        ``document`` parameter), with an optional caption."""
        caption = p.get("caption")
        if caption and utf16_len(str(caption)) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        if not p.get("document"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        return self._message_json(self.world.record(int(p["chat_id"]), caption, "sendDocument", p))

    async def m_sendVideo(self, p: JSON) -> JSON:
        caption = p.get("caption")
        if caption and len(str(caption)) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return self._message_json(self.world.record(int(p["chat_id"]), caption, "sendVideo", p))

    async def m_sendInvoice(self, p: JSON) -> JSON:
        prices = p.get("prices")
        if not isinstance(prices, list) or not prices:
            raise ApiError(400, "Bad Request: PRICES_INVALID")
        if p.get("currency") == "XTR" and (p.get("provider_token") or len(prices) != 1):
            raise ApiError(400, "Bad Request: Stars invoices take one price and no provider token")
        message = self.world.record(int(p["chat_id"]), str(p.get("title", "")), "sendInvoice", p)
        return self._message_json(message)

    async def m_editMessageText(self, p: JSON) -> JSON:
        message = self._find(p)
        text, markup = str(p.get("text", "")), p.get("reply_markup")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:  # Telegram counts UTF-16 units
            raise ApiError(400, "Bad Request: message is too long")
        if text == message.text and markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.text, message.reply_markup = text, markup
        self.world.edited(message)
        return self._message_json(message)

    async def m_editMessageReplyMarkup(self, p: JSON) -> JSON:
        message = self._find(p)
        message.reply_markup = p.get("reply_markup")
        self.world.edited(message)
        return self._message_json(message)

    def _find(self, p: JSON) -> SentMessage:
        key = (int(p.get("chat_id", 0)), int(p.get("message_id", 0)))
        message = self.world.by_key.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    async def m_deleteMessage(self, p: JSON) -> bool:
        """As Telegram: a message already gone is "not found"; in a private chat, one 48
        hours old or more "can't be deleted for everyone" (by ``world.message_clock``)."""
        key = (int(p.get("chat_id", 0)), int(p.get("message_id", 0)))
        message = self.world.by_key.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        too_old = self.world.message_clock() - message.date >= DELETABLE_SECONDS
        if message.chat_id > 0 and too_old:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        self.world.delete(message)
        return True

    async def m_answerCallbackQuery(self, p: JSON) -> bool:
        self.world.callback_answered(p)
        return True

    async def m_answerPreCheckoutQuery(self, p: JSON) -> bool:
        query_id = str(p.get("pre_checkout_query_id", ""))
        if query_id not in self.world.checkouts:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        ok = p.get("ok") in (True, "true", "True")
        if not ok and not p.get("error_message"):
            raise ApiError(400, "Bad Request: error_message is required when ok is false")
        self.world.callback_answers.append({"pre_checkout": True, **p})
        self.world.checkout_answered(query_id, ok)
        return True

    async def m_createInvoiceLink(self, p: JSON) -> str:
        """An invoice link; with ``subscription_period`` (2592000 only, Stars only, at most
        10,000) a renewing subscription's."""
        prices = p.get("prices")
        if not isinstance(prices, list) or not prices:
            raise ApiError(400, "Bad Request: PRICES_INVALID")
        for name in ("title", "description", "payload", "currency"):
            if not str(p.get(name) or ""):
                raise ApiError(400, f"Bad Request: {name} is empty")
        if p.get("currency") == "XTR" and (p.get("provider_token") or len(prices) != 1):
            raise ApiError(400, "Bad Request: Stars invoices take one price and no provider token")
        period = p.get("subscription_period")
        if period is not None:
            if period != 2592000:
                raise ApiError(400, "Bad Request: SUBSCRIPTION_PERIOD_INVALID")
            if p.get("currency") != "XTR" or not 1 <= int(prices[0]["amount"]) <= 10000:
                raise ApiError(400, "Bad Request: SUBSCRIPTION_PRICE_INVALID")
        link = f"https://t.me/$sandbox{len(self.world.invoice_links) + 1}"
        self.world.invoice_links[link] = p
        return link

    async def m_editUserStarSubscription(self, p: JSON) -> bool:
        """Cancel (``is_canceled`` true) or re-enable a user's subscription, named by its
        ``telegram_payment_charge_id``."""
        user_id, charge_id = int(p.get("user_id", 0)), str(p.get("telegram_payment_charge_id"))
        canceled = p.get("is_canceled")
        if not isinstance(canceled, bool):
            raise ApiError(400, "Bad Request: is_canceled is required")
        if self.world.refuse_subscription_edits:
            raise ApiError(400, self.world.refuse_subscription_edits)
        sub = self.world.star_subscriptions.get(user_id)
        if sub is None or charge_id not in sub["charge_ids"]:
            raise ApiError(400, "Bad Request: CHARGE_ID_INVALID")
        if sub["ended"]:
            raise ApiError(400, "Bad Request: SUBSCRIPTION_EXPIRED")
        sub["canceled"] = canceled
        return True

    def _pending_suggestion(self, p: JSON) -> tuple[tuple[int, int], JSON]:
        key = (int(p.get("chat_id", 0)), int(p.get("message_id", 0)))
        suggestion = self.world.suggested.get(key)
        if suggestion is None:
            raise ApiError(400, "Bad Request: message not found")
        if suggestion["suggested_post_info"]["state"] != "pending":
            raise ApiError(400, "Bad Request: SUGGESTED_POST_ALREADY_DECIDED")
        return key, suggestion

    async def m_approveSuggestedPost(self, p: JSON) -> bool:
        """Approve: the post goes to the channel (at ``send_date``; the sandbox posts it now)."""
        key, suggestion = self._pending_suggestion(p)
        send_date = int(p.get("send_date") or time.time())
        if send_date > time.time() + 30 * 86400:
            raise ApiError(400, "Bad Request: SUGGESTED_POST_SEND_DATE_INVALID")
        suggestion["suggested_post_info"]["state"] = "approved"
        channel = self.world.chats[key[0]].direct_messages_of
        if channel is not None:
            self.world.record(
                channel, suggestion.get("text"), "sendMessage", {"send_date": send_date}
            )
        self.world.suggested_decided(key, {"suggested_post_approved": {"send_date": send_date}})
        return True

    async def m_declineSuggestedPost(self, p: JSON) -> bool:
        key, suggestion = self._pending_suggestion(p)
        suggestion["suggested_post_info"]["state"] = "declined"
        comment = {"comment": str(p["comment"])} if p.get("comment") else {}
        self.world.suggested_decided(key, {"suggested_post_declined": comment})
        return True

    async def m_getChat(self, p: JSON) -> JSON:
        chat = self.world.chat_json(int(p.get("chat_id", 0)))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    async def m_getChatMember(self, p: JSON) -> JSON:
        user_id = int(p.get("user_id", 0))
        chat = self.world.chats.get(int(p.get("chat_id", 0)))
        if user_id == BOT_ID:
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            if not chat.bot_admin:
                return {"status": "member", "user": bot_user()}
            return {"status": "administrator", "user": bot_user(), **_ADMIN_RIGHTS}
        user = self.world.user(user_id)
        if chat is None:  # a private chat or one the sandbox does not model: a member
            return {"status": "member", "user": user.as_user()}
        if user_id in chat.admins:
            return {"status": "administrator", "user": user.as_user(), **_ADMIN_RIGHTS}
        if user_id in chat.banned:
            return {"status": "kicked", "user": user.as_user(), "until_date": 0}
        inside = user_id in self.world.members.get(chat.id, set())
        return {"status": "member" if inside else "left", "user": user.as_user()}

    def _restrictable(self, p: JSON) -> tuple[SandboxChat, int]:
        """The chat and user of a ban or unban, refused as Telegram refuses them: the bot
        without the right to restrict members, or the user an administrator."""
        chat, user_id = self.world.chats.get(int(p.get("chat_id", 0))), int(p["user_id"])
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if not chat.bot_admin:
            raise ApiError(400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        if user_id in chat.admins:
            raise ApiError(400, "Bad Request: user is an administrator of the chat")
        return chat, user_id

    async def m_banChatMember(self, p: JSON) -> bool:
        chat, user_id = self._restrictable(p)
        self.world.moderation.append(("ban", chat.id, user_id))
        self.world.members.get(chat.id, set()).discard(user_id)
        chat.banned.add(user_id)
        return True

    async def m_unbanChatMember(self, p: JSON) -> bool:
        chat, user_id = self._restrictable(p)
        self.world.moderation.append(("unban", chat.id, user_id))
        if p.get("only_if_banned") not in (True, "true", "True"):
            self.world.members.get(chat.id, set()).discard(user_id)  # Telegram removes them
        chat.banned.discard(user_id)
        return True

    async def m_createChatInviteLink(self, p: JSON) -> JSON:
        chat_id = int(p["chat_id"])
        if self.world.chat_json(chat_id) is None:
            raise ApiError(400, "Bad Request: chat not found")
        joins = p.get("creates_join_request") in (True, "true", "True")
        if joins and p.get("member_limit") is not None:
            raise ApiError(400, "Bad Request: can't combine member limit with join requests")
        link = {
            "invite_link": f"https://t.me/+sandbox{len(self.world.invite_links) + 1:06d}",
            "creator": {**bot_user(), "id": BOT_ID},
            "creates_join_request": joins,
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("member_limit", "expire_date", "name"):
            if p.get(key) is not None:
                link[key] = p[key]
        self.world.invite_links.append({"chat_id": chat_id, **link})
        return link

    async def m_revokeChatInviteLink(self, p: JSON) -> JSON:
        for link in self.world.invite_links:
            if link["invite_link"] == p.get("invite_link"):
                link["is_revoked"] = True
                return {k: v for k, v in link.items() if k != "chat_id"}
        raise ApiError(400, "Bad Request: invite link not found")

    async def m_approveChatJoinRequest(self, p: JSON) -> bool:
        chat_id, user_id = self._join_request(p)
        self.world.join_decisions.append(("approve", chat_id, user_id))
        self.world.join_chat(user_id, chat_id)
        return True

    async def m_declineChatJoinRequest(self, p: JSON) -> bool:
        chat_id, user_id = self._join_request(p)
        self.world.join_decisions.append(("decline", chat_id, user_id))
        return True

    def _join_request(self, p: JSON) -> tuple[int, int]:
        key = (int(p.get("chat_id", 0)), int(p.get("user_id", 0)))
        if self.world.join_requests.pop(key, None) is None:
            raise ApiError(400, "Bad Request: HIDE_REQUESTER_MISSING")
        return key

    async def m_refundStarPayment(self, p: JSON) -> bool:
        user_id, charge_id = int(p.get("user_id", 0)), str(p.get("telegram_payment_charge_id"))
        paid = {
            (int(m["from"]["id"]), m["successful_payment"]["telegram_payment_charge_id"])
            for m in self.world.payments
        }
        if (user_id, charge_id) not in paid:
            raise ApiError(400, "Bad Request: CHARGE_NOT_FOUND")
        if (user_id, charge_id) in self.world.refunds:
            raise ApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.world.refunded(user_id, charge_id)
        return True

    async def m_getStarTransactions(self, p: JSON) -> JSON:
        """The bot's Stars transactions, oldest first: ``offset`` skipped, at most ``limit``
        (1-100, 100 by default)."""
        offset, limit = p.get("offset", 0), p.get("limit", 100)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ApiError(400, "Bad Request: offset is invalid")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            raise ApiError(400, "Bad Request: limit is invalid")
        return {"transactions": self.world.star_transactions()[offset : offset + limit]}

    async def m_getMyStarBalance(self, _p: JSON) -> JSON:
        """The bot's Stars: what payments brought in, minus what was refunded, plus the
        world's ``star_balance`` where it keeps one (sendGift pays from it), minus what paid
        broadcasts cost (in tenths of a Star: ``nanostar_amount``)."""
        whole, millis = divmod(self.world.star_millis(), 1000)
        if whole < 0 and millis:  # Telegram's sign rule: both parts negative together
            whole, millis = whole + 1, millis - 1000
        balance: JSON = {"amount": whole}
        if millis:
            balance["nanostar_amount"] = millis * 1_000_000
        return balance

    async def m_getAvailableGifts(self, _p: JSON) -> JSON:
        gifts = [
            {"id": gift_id, "star_count": stars, "sticker": _gift_sticker(gift_id)}
            for gift_id, stars in self.world.gift_catalogue.items()
        ]
        return {"gifts": gifts}

    async def m_sendGift(self, p: JSON) -> bool:
        """Telegram's sendGift: paid from the bot's Stars; ``user_id`` or ``chat_id``."""
        target = int(p.get("user_id") or p.get("chat_id") or 0)
        stars = self.world.gift_catalogue.get(str(p.get("gift_id", "")))
        if target not in self.world.users and target not in self.world.chats:
            raise ApiError(400, "Bad Request: USER_ID_INVALID")
        if stars is None:
            raise ApiError(400, "Bad Request: STARGIFT_INVALID")
        if len(str(p.get("text") or "")) > 128:
            raise ApiError(400, "Bad Request: STARGIFT_MESSAGE_TOO_LONG")
        if self.world.star_millis() < stars * 1000:
            raise ApiError(400, "Bad Request: BALANCE_TOO_LOW")
        self.world.star_balance -= stars
        self.world.gifts.append({**p, "user_id": target, "star_count": stars})
        return True

    async def m_sendPaidMedia(self, p: JSON) -> JSON:
        """Telegram's sendPaidMedia: 1-10 photos or videos behind a price of 1-10,000 Stars."""
        stars, media = p.get("star_count"), p.get("media")
        if not isinstance(stars, int) or not 1 <= stars <= 10_000:
            raise ApiError(400, "Bad Request: STARS_AMOUNT_INVALID")
        if not isinstance(media, list) or not 1 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: MEDIA_EMPTY")
        if any(not isinstance(m, dict) or m.get("type") not in ("photo", "video") for m in media):
            raise ApiError(400, "Bad Request: MEDIA_INVALID")
        caption = p.get("caption")
        if caption and utf16_len(str(caption)) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        if len(str(p.get("payload") or "").encode()) > 128:
            raise ApiError(400, "Bad Request: PAYLOAD_INVALID")
        self._check_chat(p)
        message = self.world.record(int(p["chat_id"]), caption, "sendPaidMedia", p)
        body = self._message_json(message)
        body["paid_media"] = {"star_count": stars, "paid_media": [{"type": "preview"}] * len(media)}
        return body


def _gift_sticker(gift_id: str) -> JSON:
    return {
        "file_id": f"sticker-{gift_id}",
        "file_unique_id": gift_id,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
