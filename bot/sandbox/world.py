"""What the sandbox knows: users, chats, the messages the bot sent, pending updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class PollConflict(Exception):
    """A newer ``getUpdates`` ended this one, as Telegram does (answered 409)."""


BOT_ID = 7_000_000_001
BOT_USERNAME = "companion_sandbox_bot"


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent (or edited) as the sandbox recorded it."""

    message_id: int
    chat_id: int
    text: str | None
    method: str
    reply_markup: JSON | None = None
    photo: bool = False
    edits: int = 0
    params: JSON = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the sandbox recorded it
    date: float = field(default_factory=time.time)  # by ``World.message_clock`` (deleteMessage)
    deleted: bool = False  # deleteMessage took it away (it stays in ``World.messages``)

    def buttons(self) -> list[JSON]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass(slots=True)
class SandboxUser:
    id: int
    first_name: str
    username: str | None = None
    blocked: bool = False
    deactivated: bool = False
    language_code: str | None = None  # the IETF tag Telegram sends with each update

    def as_user(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> JSON:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass(slots=True)
class SandboxChat:
    id: int
    type: str  # "group" | "supergroup" | "channel"
    title: str
    migrated_to: int | None = None
    bot_admin: bool = True  # the bot is an administrator with every right here
    direct_messages_of: int | None = None  # the channel whose direct-messages chat this is
    # Members promoted to administrator (the bot cannot ban them), and those banned.
    admins: set[int] = field(default_factory=set)
    banned: set[int] = field(default_factory=set)

    def as_chat(self) -> JSON:
        chat: JSON = {"id": self.id, "type": self.type, "title": self.title}
        if self.direct_messages_of is not None:
            chat["is_direct_messages"] = True
        return chat


class World:
    """The state behind the sandbox server; tests drive and inspect it."""

    def __init__(self) -> None:
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.messages: list[SentMessage] = []
        self.by_key: dict[tuple[int, int], SentMessage] = {}
        self.calls: list[tuple[str, JSON]] = []
        self.moderation: list[tuple[str, int, int]] = []
        self.invite_links: list[JSON] = []
        # The command menus by scope (JSON), with "|<language_code>" for a language's own.
        self.commands: dict[str, list[JSON]] = {}
        self.menu_buttons: dict[int, JSON] = {}  # setChatMenuButton, by chat
        self.callback_answers: list[JSON] = []
        self.listeners: list[Callable[[SentMessage], None]] = []
        # Told of everything that happens, as (kind, what): "update" (a pushed update's
        # JSON), "sent", "edited", "deleted" (a bot message), "answered" (an
        # answerCallbackQuery's parameters). The chat page follows the world through them.
        self.watchers: list[Callable[[str, Any], None]] = []
        # Stars payments: pre-checkout queries waiting for an answer, and the completed ones.
        self.checkouts: dict[str, JSON] = {}
        self.payments: list[JSON] = []
        self.refunds: list[tuple[int, str]] = []  # (user_id, telegram_payment_charge_id)
        # Renewing Stars subscriptions: invoice links made (createInvoiceLink), subscribers
        # by user, the clock their periods are dated by, and a refusal editUserStarSubscription
        # answers while set (a 400 description).
        self.invoice_links: dict[str, JSON] = {}
        self.star_subscriptions: dict[int, JSON] = {}
        self.star_clock: Callable[[], float] = time.time
        self.refuse_subscription_edits: str | None = None
        self._subscribing: dict[str, str] = {}  # pre-checkout query id -> invoice link
        # When each refund was made: (payments made by then, unix time), by charge id.
        self.refund_marks: dict[str, tuple[int, int]] = {}
        # VIP-style chats: who is in them, join requests waiting, and the bot's decisions.
        self.members: dict[int, set[int]] = {}
        self.join_requests: dict[tuple[int, int], JSON] = {}
        self.join_decisions: list[tuple[str, int, int]] = []
        # Suggested posts in channels' direct-messages chats, by (chat_id, message_id).
        self.suggested: dict[tuple[int, int], JSON] = {}
        # Stars the bot holds beyond what its payments brought in (a top-up; gifts are paid
        # from both), Telegram's gift catalogue (id -> Stars), and the gifts sent.
        self.star_balance = 0
        self.gift_catalogue: dict[str, int] = {"gift-bear": 15, "gift-heart": 15, "gift-rocket": 50}
        self.gifts: list[JSON] = []
        # The dates of the bot's messages (unix seconds; a test with a manual clock sets its
        # own), and the messages deleteMessage took away, in order.
        self.message_clock: Callable[[], float] = time.time
        self.deleted: list[SentMessage] = []
        # Paid broadcasts: the sends made with allow_paid_broadcast, as (chat_id, message_id),
        # and what they cost in millistars (0.1 Star = 100 each, from the balance above).
        self.paid_sends: list[tuple[int, int]] = []
        self.paid_millistars = 0
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._poll = 0  # the generation of the open long poll; a newer one ends the older
        self._closed = False
        self._changed = asyncio.Condition()

    # -- the people and chats -------------------------------------------------
    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SandboxUser:
        """The sandbox user with this id, created on first use (``language_code``: set on
        the user whether new or not, as when they change their app's language)."""
        existing = self.users.get(user_id)
        if existing is None:
            existing = SandboxUser(user_id, first_name or f"User{user_id}", username)
            self.users[user_id] = existing
        if language_code is not None:
            existing.language_code = language_code
        return existing

    def chat(
        self, chat_id: int, type_: str = "supergroup", title: str | None = None
    ) -> SandboxChat:
        existing = self.chats.get(chat_id)
        if existing is None:
            existing = SandboxChat(chat_id, type_, title or f"Chat {chat_id}")
            self.chats[chat_id] = existing
        return existing

    def chat_json(self, chat_id: int) -> JSON | None:
        if chat_id in self.users:
            return self.users[chat_id].as_chat()
        chat = self.chats.get(chat_id)
        return chat.as_chat() if chat else None

    # -- what users do ----------------------------------------------------------
    def send_text(self, user_id: int, text: str) -> int:
        """The user types ``text`` in their private chat with the bot; the message id."""
        user = self.user(user_id)
        message = self._user_message(user, text=text)
        self.push({"message": message})
        return int(message["message_id"])

    def send_photo(self, user_id: int, caption: str) -> int:
        user = self.user(user_id)
        message = self._user_message(user, caption=caption)
        file = {"file_id": f"photo-{message['message_id']}", "file_unique_id": "u", "width": 640}
        message["photo"] = [{**file, "height": 480}]
        self.push({"message": message})
        return int(message["message_id"])

    def send_in_chat(self, chat_id: int, user_id: int, text: str, *, photo: bool = False) -> int:
        """The user writes ``text`` (or sends a photo with it as caption) in the group
        ``chat_id``; the message id."""
        message = self._typed(self.user(user_id), text, photo)
        message["chat"] = self.chat(chat_id).as_chat()
        self.push({"message": message})
        return int(message["message_id"])

    def edit_text(self, user_id: int, message_id: int, text: str, *, photo: bool = False) -> int:
        """The user edits their message ``message_id`` (in their private chat) to ``text``;
        Telegram sends an ``edited_message`` update. The update id."""
        message = self._typed(self.user(user_id), text, photo)
        message["message_id"], message["edit_date"] = message_id, int(time.time())
        return self.push({"edited_message": message})

    def forward(self, user_id: int, text: str, from_user_id: int, *, photo: bool = False) -> int:
        """The user forwards to the bot a message ``from_user_id`` wrote; the message id."""
        message = self._typed(self.user(user_id), text, photo)
        origin = self.user(from_user_id).as_user()
        message["forward_origin"] = {"type": "user", "date": message["date"], "sender_user": origin}
        self.push({"message": message})
        return int(message["message_id"])

    def post_in_channel(self, chat_id: int, text: str, *, photo: bool = False) -> int:
        """A ``channel_post`` in the channel ``chat_id`` (no sender user); the message id."""
        channel = self.chat(chat_id, "channel").as_chat()
        message = self._typed(SandboxUser(chat_id, "channel"), text, photo)  # not a user
        del message["from"]
        message["chat"], message["sender_chat"] = channel, channel
        self.push({"channel_post": message})
        return int(message["message_id"])

    def _typed(self, user: SandboxUser, text: str, photo: bool) -> JSON:
        """A message with ``text``, or a photo with ``text`` as its caption."""
        if not photo:
            return self._user_message(user, text=text)
        message = self._user_message(user, caption=text)
        size = {"file_id": f"photo-{message['message_id']}", "file_unique_id": "u"}
        message["photo"] = [{**size, "width": 640, "height": 480}]
        return message

    def send_media(self, user_id: int, kind: str, caption: str | None, unique_id: str) -> int:
        """The user sends a ``photo`` or ``video`` (``file_unique_id`` ``unique_id``)."""
        user = self.user(user_id)
        content = {"caption": caption} if caption is not None else {}
        message = self._user_message(user, **content)
        file = {"file_id": f"{kind}-{message['message_id']}", "file_unique_id": unique_id}
        if kind == "photo":
            message["photo"] = [{**file, "width": 640, "height": 480}]
        else:
            message[kind] = {**file, "width": 640, "height": 480, "duration": 5}
        self.push({"message": message})
        return int(message["message_id"])

    def direct_messages(self, channel_id: int) -> SandboxChat:
        """The direct-messages chat of ``channel_id`` (turned on by the channel's admins)."""
        chat = self.chat(channel_id - 1_000, "supergroup", f"{self.chat(channel_id).title} DMs")
        chat.direct_messages_of = channel_id
        return chat

    def suggest_post(self, user_id: int, dm_chat_id: int, text: str) -> int:
        """The user suggests a post in a channel's direct messages (``suggested_post_info``)."""
        message = self._user_message(self.user(user_id), text=text)
        message["chat"] = self.chat_json(dm_chat_id)
        message["suggested_post_info"] = {"state": "pending"}
        self.suggested[(dm_chat_id, int(message["message_id"]))] = message
        self.push({"message": message})
        return int(message["message_id"])

    def suggested_decided(self, key: tuple[int, int], service: JSON) -> None:
        """Telegram's service message in the direct-messages chat after a decision."""
        original = self.suggested[key]
        bodies = {name: {"suggested_post_message": original, **b} for name, b in service.items()}
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": original["chat"],
            "from": original["from"],
            **bodies,
        }
        self.push({"message": message})
        asyncio.get_running_loop().create_task(self._wake())

    def send_reply(self, user_id: int, to: SentMessage, text: str) -> int:
        """The user answers ``to`` (a bot message in a private chat or a group) with ``text``."""
        user = self.user(user_id)
        message = self._user_message(user, text=text)
        message["chat"] = self.chat_json(to.chat_id)
        message["reply_to_message"] = {
            "message_id": to.message_id,
            "date": int(time.time()),
            "chat": self.chat_json(to.chat_id),
            "from": bot_user(),
            "text": to.text or "",
        }
        self.push({"message": message})
        return int(message["message_id"])

    def press(self, user_id: int, message: SentMessage, data: str) -> str:
        """The user presses an inline button carrying ``data`` under ``message``."""
        user = self.user(user_id)
        query_id = f"cq{next(self._update_ids)}"
        bot_message = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat_json(message.chat_id),
            "from": bot_user(),
            "text": message.text or "",
        }
        query = {"id": query_id, "from": user.as_user(), "chat_instance": "ci", "data": data}
        self.push({"callback_query": {**query, "message": bot_message}})
        return query_id

    def pay(self, user_id: int, invoice: SentMessage) -> str:
        """The user pays ``invoice`` (a sendInvoice message): Telegram sends the bot a
        ``pre_checkout_query``; answered ok, a ``successful_payment`` message follows."""
        user, params = self.user(user_id), invoice.params
        amount = sum(int(price["amount"]) for price in params.get("prices") or [])
        query_id = f"pcq{next(self._update_ids)}"
        query = {
            "id": query_id,
            "from": user.as_user(),
            "currency": params.get("currency", ""),
            "total_amount": amount,
            "invoice_payload": params.get("payload", ""),
        }
        self.checkouts[query_id] = query
        self.push({"pre_checkout_query": query})
        return query_id

    def checkout_answered(self, query_id: str, ok: bool) -> None:
        """What Telegram does after the bot answers a pre-checkout query."""
        query = self.checkouts.pop(query_id, None)
        if query is not None and ok:
            user = self.user(int(query["from"]["id"]))
            payment = {
                "currency": query["currency"],
                "total_amount": query["total_amount"],
                "invoice_payload": query["invoice_payload"],
                "telegram_payment_charge_id": f"stxSANDBOX{len(self.payments) + 1:06d}",
                "provider_payment_charge_id": "",
            }
            payment.update(self._subscription_started(query_id, user.id, payment))
            message = self._user_message(user, successful_payment=payment)
            self.payments.append(message)
            self.push({"message": message})
        self._subscribing.pop(query_id, None)
        asyncio.get_running_loop().create_task(self._wake())

    # -- renewing Stars subscriptions --------------------------------------------
    def subscribe(self, user_id: int, link: str) -> str:
        """The user pays a subscription invoice link (createInvoiceLink with
        ``subscription_period``): a ``pre_checkout_query``, then, answered ok, the first
        ``successful_payment`` (``is_recurring``, ``is_first_recurring``,
        ``subscription_expiration_date``)."""
        params = self.invoice_links[link]
        amount = sum(int(price["amount"]) for price in params.get("prices") or [])
        query_id = f"pcq{next(self._update_ids)}"
        query = {
            "id": query_id,
            "from": self.user(user_id).as_user(),
            "currency": params.get("currency", ""),
            "total_amount": amount,
            "invoice_payload": params.get("payload", ""),
        }
        self.checkouts[query_id] = query
        if params.get("subscription_period"):
            self._subscribing[query_id] = link
        self.push({"pre_checkout_query": query})
        return query_id

    def _subscription_started(self, query_id: str, user_id: int, payment: JSON) -> JSON:
        link = self._subscribing.get(query_id)
        if link is None:
            return {}
        period = int(self.invoice_links[link]["subscription_period"])
        expires = int(self.star_clock()) + period
        self.star_subscriptions[user_id] = {
            "link": link,
            "period": period,
            "first_charge_id": payment["telegram_payment_charge_id"],
            "charge_ids": [payment["telegram_payment_charge_id"]],
            "expires": expires,
            "canceled": False,
            "ended": False,
        }
        return {
            "is_recurring": True,
            "is_first_recurring": True,
            "subscription_expiration_date": expires,
        }

    def renew(self, user_id: int) -> JSON | None:
        """Advance a subscriber's month: Telegram charges the renewal (a new charge id,
        ``is_recurring``, the period end moved on by one period) and sends it; a cancelled
        subscription is not renewed (it ends: None)."""
        sub = self.star_subscriptions[user_id]
        if sub["canceled"] or sub["ended"]:
            sub["ended"] = True
            return None
        params = self.invoice_links[sub["link"]]
        sub["expires"] += sub["period"]
        charge_id = f"stxSANDBOX{len(self.payments) + 1:06d}"
        sub["charge_ids"].append(charge_id)
        payment = {
            "currency": params.get("currency", ""),
            "total_amount": sum(int(price["amount"]) for price in params.get("prices") or []),
            "invoice_payload": params.get("payload", ""),
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
            "is_recurring": True,
            "subscription_expiration_date": sub["expires"],
        }
        message = self._user_message(self.user(user_id), successful_payment=payment)
        self.payments.append(message)
        self.push({"message": message})
        return message

    def deliver_payment(
        self, user_id: int, charge_id: str, payload: str, amount: int, currency: str = "XTR"
    ) -> JSON:
        """A ``successful_payment`` exactly as given (say, a payload the bot never made)."""
        payment = {
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        message = self._user_message(self.user(user_id), successful_payment=payment)
        self.payments.append(message)
        self.push({"message": message})
        return message

    def block(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot; Telegram sends ``my_chat_member``."""
        user = self.user(user_id)
        user.blocked = blocked
        kicked = {"status": "kicked", "user": bot_user(), "until_date": 0}
        member = {"status": "member", "user": bot_user()}
        old, new = (member, kicked) if blocked else (kicked, member)
        change = {
            "chat": user.as_chat(),
            "from": user.as_user(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        self.push({"my_chat_member": change})

    def request_join(self, user_id: int, chat_id: int, invite_link: str) -> int:
        """The user opens an invite link made with ``creates_join_request``: Telegram sends
        the bot a ``chat_join_request`` (the link as the bot created it) to decide."""
        user, chat = self.user(user_id), self.chat_json(chat_id)
        unknown = {
            "invite_link": invite_link,
            "creator": bot_user(),
            "is_primary": False,
            "creates_join_request": True,
            "is_revoked": False,
        }
        made = (dict(x) for x in self.invite_links if x["invite_link"] == invite_link)
        link = next(made, unknown)
        link.pop("chat_id", None)
        request = {
            "chat": chat,
            "from": user.as_user(),
            "user_chat_id": user_id,
            "date": int(time.time()),
            "invite_link": link,
        }
        self.join_requests[(chat_id, user_id)] = request
        return self.push({"chat_join_request": request})

    def join_chat(self, user_id: int, chat_id: int) -> int:
        """The user is now a member of the chat (approved, or added some other way):
        Telegram sends a ``chat_member`` update (``left`` -> ``member``)."""
        user = self.user(user_id)
        self.members.setdefault(chat_id, set()).add(user_id)
        left = {"status": "left", "user": user.as_user()}
        member = {"status": "member", "user": user.as_user()}
        change = {
            "chat": self.chat_json(chat_id),
            "from": user.as_user(),
            "date": int(time.time()),
            "old_chat_member": left,
            "new_chat_member": member,
        }
        return self.push({"chat_member": change})

    def buy_paid_media(self, user_id: int, message: SentMessage) -> int:
        """The user pays for the paid media ``message`` (sent with sendPaidMedia): the bot
        gets ``purchased_paid_media`` with the payload it set."""
        assert message.method == "sendPaidMedia", message.method
        purchase = {
            "from": self.user(user_id).as_user(),
            "paid_media_payload": str(message.params.get("payload") or ""),
        }
        return self.push({"purchased_paid_media": purchase})

    def push(self, update: JSON) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._new_update.set()
        self._tell("update", self._updates[-1])
        return update_id

    def _tell(self, kind: str, what: Any) -> None:
        for watcher in self.watchers:
            watcher(kind, what)

    def callback_answered(self, params: JSON) -> None:
        """The bot answered a callback query (answerCallbackQuery's parameters)."""
        self.callback_answers.append(params)
        self._tell("answered", params)

    def _user_message(self, user: SandboxUser, **content: Any) -> JSON:
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": user.as_chat(),
            "from": user.as_user(),
            **content,
        }
        body = content.get("text") or content.get("caption") or ""
        if body.startswith("/"):
            length = len(body.split(maxsplit=1)[0])
            key = "entities" if "text" in content else "caption_entities"
            message[key] = [{"type": "bot_command", "offset": 0, "length": length}]
        return message

    # -- updates for getUpdates ---------------------------------------------------
    async def take_updates(self, offset: int, limit: int, timeout: float) -> list[JSON]:
        """Telegram's ``getUpdates``: confirm below ``offset``, wait up to ``timeout`` for
        news. Only one may be open: a newer call ends this one with :class:`PollConflict`
        (two processes polling one token fight this way, and both see the updates)."""
        self._poll += 1
        mine = self._poll
        self._wake_polls()  # ends an older poll still waiting
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closed and loop.time() < deadline:
            self._new_update.clear()
            try:
                async with asyncio.timeout(deadline - loop.time()):  # not wait_for: see limiter
                    await self._new_update.wait()
            except TimeoutError:
                break
            if self._poll != mine:
                raise PollConflict
        return self._updates[:limit]

    def _wake_polls(self) -> None:
        self._new_update.set()

    @property
    def unconfirmed(self) -> int:
        """Updates not yet confirmed: by a later ``getUpdates`` offset, or a webhook's 2xx."""
        return len(self._updates)

    def pending_updates(self, after: int) -> list[JSON]:
        """Updates with an id above ``after`` (the webhook delivers them)."""
        return [u for u in self._updates if u["update_id"] > after]

    def confirm(self, update_id: int) -> None:
        """A webhook answered 2xx for ``update_id``: Telegram forgets it."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]

    def confirm_all(self) -> None:
        self._updates = []

    async def next_update(self) -> None:
        """Wait until an update is pushed (or the world closes)."""
        self._new_update.clear()
        if not self._closed:
            await self._new_update.wait()

    def close(self) -> None:
        """The server is stopping: answer every open long poll now, and later ones at once."""
        self._closed = True
        self._new_update.set()

    # -- what the bot did -----------------------------------------------------------
    def record(self, chat_id: int, text: str | None, method: str, params: JSON) -> SentMessage:
        message = SentMessage(
            message_id=next(self._message_ids),
            chat_id=chat_id,
            text=text,
            method=method,
            reply_markup=params.get("reply_markup"),
            photo=method == "sendPhoto",
            params=params,
            date=self.message_clock(),
        )
        self.messages.append(message)
        self.by_key[(chat_id, message.message_id)] = message
        self._notify(message)
        self._tell("sent", message)
        return message

    def _notify(self, message: SentMessage) -> None:
        for listener in self.listeners:
            listener(message)
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def delete(self, message: SentMessage) -> None:
        """The bot deleted ``message``: gone from its chat (kept in ``messages``, marked)."""
        self.by_key.pop((message.chat_id, message.message_id), None)
        message.deleted = True
        self.deleted.append(message)
        asyncio.get_running_loop().create_task(self._wake())
        self._tell("deleted", message)

    def edited(self, message: SentMessage) -> None:
        message.edits += 1
        self._notify(message)
        self._tell("edited", message)

    def to(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to ``chat_id``, oldest first."""
        return [m for m in self.messages if m.chat_id == chat_id]

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every send/edit); its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._changed:
            while not (result := predicate()):
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise TimeoutError("sandbox: condition not met in time")
                try:
                    async with asyncio.timeout(min(remaining, 0.2)):
                        await self._changed.wait()
                except TimeoutError:
                    continue
        return result

    # -- the bot's Stars: getStarTransactions, getMyStarBalance ---------------------
    def refunded(self, user_id: int, charge_id: str) -> None:
        """Record a refund Telegram made (refundStarPayment), when it was made."""
        self.refunds.append((user_id, charge_id))
        self.refund_marks[charge_id] = (len(self.payments), int(time.time()))

    def star_transactions(self) -> list[JSON]:
        """The bot's Stars transactions in chronological order, as getStarTransactions
        gives them: each payment (``source``: the payer) and each refund (``receiver``:
        the payer, the charge's id and amount)."""
        paid: dict[tuple[int, str], JSON] = {}
        entries: list[tuple[tuple[int, int, int], JSON]] = []
        for index, message in enumerate(self.payments):
            payment = message["successful_payment"]
            if payment.get("currency") != "XTR":
                continue
            partner = {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": message["from"],
                "invoice_payload": payment.get("invoice_payload", ""),
            }
            charge_id = str(payment["telegram_payment_charge_id"])
            transaction = {
                "id": charge_id,
                "amount": int(payment["total_amount"]),
                "date": int(message["date"]),
                "source": partner,
            }
            paid[(int(message["from"]["id"]), charge_id)] = transaction
            entries.append(((index, 0, 0), transaction))
        for number, (user_id, charge_id) in enumerate(self.refunds):
            original = paid.get((user_id, charge_id))
            if original is None:
                continue
            made, date = self.refund_marks.get(charge_id, (len(self.payments), int(time.time())))
            refund = {
                "id": charge_id,
                "amount": original["amount"],
                "date": date,
                "receiver": original["source"],
            }
            entries.append(((made - 1, 1, number), refund))
        entries.sort(key=lambda entry: entry[0])
        return [transaction for _key, transaction in entries]

    def star_millis(self) -> int:
        """The bot's Stars in millistars: the top-up, plus what payments brought in (minus
        refunds), minus what paid broadcasts cost."""
        return (self.star_balance + self.stars_taken()) * 1000 - self.paid_millistars

    def stars_taken(self) -> int:
        """The Stars the bot's payments brought in, minus those refunded."""
        total = 0
        for transaction in self.star_transactions():
            total += transaction["amount"] if "source" in transaction else -transaction["amount"]
        return total


def bot_user() -> JSON:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Companion", "username": BOT_USERNAME}
