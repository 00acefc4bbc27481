"""The catalogue of chat commands: /help, the Telegram command menu, and where commands run.

A command is declared once, as data, with its callback; ``CommandCatalog.register``
builds its handler. Every command matches new messages only: an edited message, a
channel post or a forwarded message never runs one again (an admin fixing a typo in
``/broadcast`` must not broadcast twice). Admin commands run only in a private chat
with an admin: in a group nothing runs and nothing is shown to its members.

The guard is declared once, on the command (``admin=True``, with ``staff`` and
``refusal`` for commands of moderators): the handlers built here wrap the callback in
it, so a callback never guards itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Message, Update
from telegram.ext import Application, BaseHandler, CommandHandler, MessageHandler, filters

from bot.core.kernel import get_logger
from bot.core.people import N_, _

if TYPE_CHECKING:
    from bot.core.kernel import Settings

log = get_logger(__name__)

R = TypeVar("R")
# A command's callback: (update, the application's context). The context class is the
# application's (``bot.core.context.BotContext``, above this package), hence ``Any`` here.
Callback = Callable[[Update, Any], Coroutine[Any, Any, R]]

# A message that was typed now: not an edit, not a channel post, not a forward.
NEW_MESSAGE = filters.UpdateType.MESSAGE & ~filters.FORWARDED
PRIVATE_NEW_MESSAGE = NEW_MESSAGE & filters.ChatType.PRIVATE
ADMIN_REFUSAL = N_("Sorry, this command is for the bot's admins only.")
# The command word as Telegram marks it (Latin letters, digits, underscore), with the bot's
# name after '@' in groups. Matched on the text, whatever its case: /POST is /post to PTB.
_COMMAND_WORD = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")


def command_body(message: Message) -> str:
    """What follows the command word of ``message`` (its text, else its caption), without the
    whitespace around it; the lines inside are kept.

    ``/SUGGEST Hello`` and ``/suggest@companion_bot Hello`` give ``Hello``, a bare command
    ``""``, and ``/post +29d`` followed by text on the next line ``+29d\nText``. Every handler
    that reads a command's free text reads it here, so case, ``@botname`` and newlines are
    treated alike everywhere (``context.args`` splits words the same way already).
    """
    text = message.text if message.text is not None else message.caption or ""
    found = _COMMAND_WORD.match(text)
    return text[found.end() if found else 0 :].strip()


@dataclass(frozen=True, slots=True)
class Command:
    """A command as users see it in /help and in Telegram's menu, and what runs it.

    ``description``, ``usage`` and ``refusal`` are English marked with ``N_``: they are
    translated where they are shown, into the reader's language.

    ``caption``: the command is also accepted as the caption of a photo (``/post``).
    """

    name: str
    description: str
    usage: str = ""
    admin: bool = False
    callback: Callback[Any] = field(kw_only=True, compare=False)
    caption: bool = field(default=False, kw_only=True)
    # A user command that only makes sense in a private chat (a group ignores it).
    private: bool = field(default=False, kw_only=True)
    # Who may run an admin command: ADMIN_IDS unless told otherwise (moderators).
    staff: Callable[[Settings, int], bool] | None = field(default=None, kw_only=True, compare=False)
    refusal: str = field(default=ADMIN_REFUSAL, kw_only=True)  # what anyone else is told
    # Whether the configuration lets the command do anything (/subscribe with a price):
    # /help and the menu leave it out otherwise.
    available: Callable[[Settings], bool] | None = field(default=None, kw_only=True, compare=False)

    def __post_init__(self) -> None:
        if self.staff is not None and not self.admin:
            raise ValueError(f"/{self.name}: a command for staff is declared admin=True")

    def usable_by(self, settings: Settings, user_id: int | None) -> bool:
        """Whether ``user_id`` (None: anyone) can use this command now."""
        if self.available is not None and not self.available(settings):
            return False
        if not self.admin:
            return True
        allowed = self.staff or (lambda s, uid: s.is_admin(uid))
        return user_id is not None and allowed(settings, user_id)

    def summary(self) -> str:
        """The description in the current language."""
        return _(self.description)

    def line(self) -> str:
        head = f"/{self.name}" + (f" {_(self.usage)}" if self.usage else "")
        return f"{head} — {self.summary()}"

    def guarded(self) -> Callback[Any]:
        """The callback run only for the command's admins (``staff``, else ``ADMIN_IDS``) in
        their private chat with the bot, on a new message; anyone else in private is told
        ``refusal``, and nothing is said anywhere else."""
        return _guarded(self.callback, self.staff, self.refusal)

    def handlers(self) -> list[BaseHandler[Update, Any, Any]]:
        """The PTB handlers of this command, with the filters that say where it runs."""
        where = PRIVATE_NEW_MESSAGE if self.admin or self.private else NEW_MESSAGE
        callback = self.guarded() if self.admin else self.callback
        built: list[BaseHandler[Update, Any, Any]] = [
            CommandHandler(self.name, callback, filters=where)
        ]
        if self.caption:
            # Any case, as PTB matches the command of a text: /POST is /post.
            pattern = re.compile(rf"^/{self.name}(@\w+)?(\s|$)", re.IGNORECASE)
            photo = filters.PHOTO & filters.CaptionRegex(pattern) & where
            built.append(MessageHandler(photo, callback))
        return built


# One command as a row of a table: (name, description, usage, callback); usage may be "".
Row = tuple[str, str, str, Callback[Any]]


def admin_commands(
    *rows: Row,
    staff: Callable[[Settings, int], bool] | None = None,
    refusal: str = ADMIN_REFUSAL,
) -> tuple[Command, ...]:
    """Commands for the admins (``staff``: for whom else, e.g. the moderators, who are told
    ``refusal`` otherwise), one row each; the guard is declared here, once for the table."""
    return tuple(
        Command(name, description, usage, admin=True, callback=cb, staff=staff, refusal=refusal)
        for name, description, usage, cb in rows
    )


def user_commands(
    *rows: Row, private: bool = False, available: Callable[[Settings], bool] | None = None
) -> tuple[Command, ...]:
    """Commands for everyone, one row each (``private``: in a private chat only;
    ``available``: whether the configuration lets them do anything)."""
    return tuple(
        Command(name, description, usage, callback=cb, private=private, available=available)
        for name, description, usage, cb in rows
    )


class CommandCatalog:
    """Every command a module offers, in the order modules declared them."""

    __slots__ = ("_commands",)

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        if command.name in self._commands:
            raise ValueError(f"command /{command.name} declared twice")
        self._commands[command.name] = command

    def register(self, app: Application[Any, Any, Any, Any, Any, Any], *commands: Command) -> None:
        """Declare ``commands`` and add their handlers to ``app``: the one place a command
        handler is built, so every command gets the same rules of where it runs."""
        for command in commands:
            self.add(command)
            for handler in command.handlers():
                app.add_handler(handler)

    def known(self, name: str) -> bool:
        return name.lower() in self._commands

    def visible_to(self, settings: Settings, user_id: int | None) -> list[Command]:
        """The commands ``user_id`` (None: any user) can use with this configuration."""
        return [c for c in self._commands.values() if c.usable_by(settings, user_id)]

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())


def _guarded(
    callback: Callback[R],
    staff: Callable[[Settings, int], bool] | None,
    refusal: str,
) -> Callback[R | None]:
    """:meth:`Command.guarded`."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: Any) -> R | None:
        user, chat, message = update.effective_user, update.effective_chat, update.message
        user_id = user.id if user else None
        if message is None or message.forward_origin is not None or chat is None:
            log.warning("admin command ignored: not a new message", user_id=user_id)
            return None
        if chat.type != chat.PRIVATE:
            log.warning("admin command ignored outside a private chat", user_id=user_id)
            return None
        settings: Settings = context.services.settings
        allowed = staff or (lambda s, uid: s.is_admin(uid))
        if user_id is not None and allowed(settings, user_id):
            return await callback(update, context)
        log.warning("admin command refused", user_id=user_id, text=message.text)
        await message.reply_text(_(refusal))
        return None

    return guarded
