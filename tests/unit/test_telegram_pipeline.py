"""The update pipeline's steps (bot/core/telegram/pipeline.py), each alone."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.core.kernel.cache import MemoryCache
from bot.core.kernel.db import Database
from bot.core.people import i18n
from bot.core.people.reading import OnRecord
from bot.core.telegram.outage import UpdateRetries
from bot.core.telegram.pipeline import (
    Handlers,
    Language,
    LogContext,
    Proceed,
    run,
    taken_by,
    used_update_types,
)
from bot.core.telegram.processor import SLOW_DOWN, answer_slow_down

USER = 42


def _message(text: str, code: str | None = "en") -> Update:
    user = User(USER, "A", is_bot=False, language_code=code)
    chat = Chat(USER, Chat.PRIVATE)
    command = text.split()[0] if text.startswith("/") else ""
    entities = [MessageEntity(MessageEntity.BOT_COMMAND, 0, len(command))] if command else []
    message = Message(1, None, chat, from_user=user, text=text, entities=entities)  # type: ignore[arg-type]
    return Update(1, message=message)


async def _nothing(*_: Any) -> None:
    return None


class Recording:
    """A step that notes its name before and after the rest of the way."""

    def __init__(self, name: str, log: list[str], *, stop: bool = False) -> None:
        self.name, self.log, self.stop = name, log, stop

    async def __call__(self, update: Update, proceed: Proceed) -> None:
        self.log.append(f"{self.name} in")
        if not self.stop:
            await proceed()
        self.log.append(f"{self.name} out")


async def test_steps_run_in_order_around_the_handlers() -> None:
    log: list[str] = []

    async def dispatch(update: Update) -> None:
        log.append("handlers")

    steps = (Recording("a", log), Recording("b", log), Handlers(dispatch, asyncio.create_task))
    await run(steps, _message("/start"))
    assert log == ["a in", "b in", "handlers", "b out", "a out"]


async def test_a_step_that_does_not_proceed_stops_the_update() -> None:
    log: list[str] = []

    async def dispatch(update: Update) -> None:
        log.append("handlers")

    last = Handlers(dispatch, asyncio.create_task)
    await run((Recording("a", log, stop=True), Recording("b", log), last), _message("x"))
    assert log == ["a in", "a out"]


async def test_the_handlers_are_tried_again_after_an_outage_then_forgotten() -> None:
    """``again`` schedules the same update once more per delay; a clean run forgets it."""
    tries: list[int] = []
    last: Handlers

    async def dispatch(update: Update) -> None:
        tries.append(update.update_id)
        if len(tries) == 1:
            assert last.again(update)  # what the error path does on an outage

    last = Handlers(dispatch, asyncio.create_task, UpdateRetries(delays=(0.01,)))
    await run((last,), _message("/start"))
    await asyncio.sleep(0.1)
    assert tries == [1, 1]
    assert last.retries.tried(1) == 0


async def test_log_context_binds_the_update_and_chat() -> None:
    seen: dict[str, Any] = {}

    async def proceed() -> None:
        seen.update(structlog.contextvars.get_contextvars())

    await LogContext()(_message("/start"), proceed)
    assert seen["update_id"] == 1 and seen["chat_id"] == USER
    assert "update_id" not in structlog.contextvars.get_contextvars()


class CountingCache(MemoryCache):
    """A cache that counts reads (the language step reads the stored choice through it)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, key: str) -> str | None:
        self.reads += 1
        return await super().get(key)


def _unreachable_db() -> Database:
    return Database("sqlite+aiosqlite:////nonexistent/folder/never.sqlite3")


async def test_language_is_not_looked_up_for_an_update_no_handler_takes() -> None:
    cache = CountingCache()
    seen: list[str] = []

    async def proceed() -> None:
        seen.append(i18n.current())

    step = Language(_unreachable_db(), cache, taken=lambda update: False)
    await step(_message("hello", code="uk"), proceed)
    assert cache.reads == 0 and seen == [i18n.default_language()]


async def test_language_is_the_stored_choice_read_once_for_a_taken_update() -> None:
    cache = CountingCache()
    await cache.set(f"language:{USER}", "uk\x1fen")  # chose Ukrainian; app in English
    seen: list[str] = []

    async def proceed() -> None:
        seen.append(i18n.current())

    step = Language(_unreachable_db(), cache, taken=lambda update: True)
    await step(_message("/start", code="en"), proceed)
    assert seen == ["uk"] and cache.reads == 1
    assert i18n.current() == i18n.default_language()  # only inside the update


async def test_without_a_record_telegrams_language_is_used() -> None:
    seen: list[str] = []

    async def proceed() -> None:
        seen.append(i18n.current())

    step = Language(_unreachable_db(), MemoryCache(), taken=lambda update: True)
    await step(_message("/start", code="uk-UA"), proceed)  # the database does not answer
    assert seen == ["uk"]


def test_a_record_is_outdated_only_by_another_code() -> None:
    record = OnRecord(choice=None, code="en")
    assert record.outdated_by("uk") and not record.outdated_by("en")
    assert not record.outdated_by(None) and not record.outdated_by("")


def test_taken_by_asks_the_handlers_as_the_application_does() -> None:
    groups: dict[int, list[BaseHandler[Any, Any, Any]]] = {
        0: [CommandHandler("start", _nothing)],
        5: [MessageHandler(filters.PHOTO, _nothing)],
    }
    taken = taken_by(groups)
    command, words = _message("/start"), _message("just words")
    for update in (command, words):
        assert update.message is not None
        update.message.set_bot(FakeBot())  # type: ignore[arg-type]
    assert taken(command)
    assert not taken(words)


def test_allowed_updates_are_what_the_handlers_take() -> None:
    handlers: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler("start", _nothing),
        CallbackQueryHandler(_nothing),
        PreCheckoutQueryHandler(_nothing),
        ChatMemberHandler(_nothing, ChatMemberHandler.CHAT_MEMBER),
    ]
    used = used_update_types(handlers)
    assert used == [
        Update.MESSAGE,
        Update.EDITED_MESSAGE,
        Update.CALLBACK_QUERY,
        Update.PRE_CHECKOUT_QUERY,
        Update.CHAT_MEMBER,
    ]
    assert Update.MY_CHAT_MEMBER in used_update_types([ChatMemberHandler(_nothing)])


def test_a_handler_of_an_unknown_kind_asks_for_every_type() -> None:
    handlers: list[BaseHandler[Any, Any, Any]] = [InlineQueryHandler(_nothing)]
    assert used_update_types(handlers) == list(Update.ALL_TYPES)


class FakeBot:
    username = "companion_bot"

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str) -> None:
        self.sent.append((chat_id, text))


async def test_the_slow_down_answer_is_in_the_senders_language() -> None:
    bot = FakeBot()
    for code in ("uk", "en"):
        update = _message("spam", code=code)
        update.set_bot(bot)  # type: ignore[arg-type]
        await answer_slow_down(update)
    (_, ukrainian), (_, english) = bot.sent
    assert english == SLOW_DOWN
    assert ukrainian != SLOW_DOWN and "швидко" in ukrainian


def test_a_button_press_has_a_user_and_no_message_text() -> None:
    """A press is routed by its handler, not by text: the language step still applies."""
    user = User(USER, "A", is_bot=False, language_code="uk")
    press = Update(2, callback_query=CallbackQuery("1", user, chat_instance="c", data="x"))
    groups: dict[int, list[BaseHandler[Any, Any, Any]]] = {0: [CallbackQueryHandler(_nothing)]}
    assert taken_by(groups)(press)
