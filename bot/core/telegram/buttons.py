"""The catalogue of inline buttons: who may press each one, and an answer for every press.

A button is declared once, as data: the prefix of its callback data, its callback and its
:class:`Guard` (who may press it, and in which chat). The catalogue routes every callback
query through one PTB handler (:meth:`ButtonCatalog.handler`), so the rules hold for every
button, including one added later:

- data that starts with no declared prefix (forged, stale after an upgrade, truncated) is
  answered at once, "This button is no longer valid.", and reaches no callback;
- a press the guard does not admit is answered with the guard's refusal and reaches no
  callback, so it changes nothing.

A callback keeps the checks that go further than its guard (the assignment is the
presser's, the suggestion still waits for review), and answers the press itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, Message, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler

from bot.core.kernel import get_logger
from bot.core.people import N_, _
from bot.core.telegram.commands import Callback

if TYPE_CHECKING:
    from bot.core.kernel import Settings

log = get_logger(__name__)

STALE = N_("This button is no longer valid.")
NOT_YOURS = N_("This button is not valid for you.")
MAX_DATA = 64  # bytes of callback data Telegram carries

StaffCheck = Callable[["Settings", int], bool]
Rooms = Callable[["Settings"], Collection[int | None]]


def _no_rooms(_settings: Settings) -> Collection[int | None]:
    return ()


@dataclass(frozen=True, slots=True)
class Guard:
    """Who may press a button, and where; see :data:`OWNER`, :data:`ANYONE`, :func:`admins`
    and :func:`staff`. ``refusal`` (English, marked with ``N_``) is what anyone else is told.
    """

    who: StaffCheck | None = None  # None: the user the message was for
    rooms: Rooms = field(default=_no_rooms, compare=False)
    refusal: str = NOT_YOURS
    anyone: bool = False

    def admits(self, settings: Settings, query: CallbackQuery) -> bool:
        """Whether the presser of ``query`` may press this button in its chat."""
        if self.anyone:
            return True
        message, user_id = query.message, query.from_user.id
        if message is None:  # a message sent in inline mode: its chat is unknown
            return False
        private = message.chat.id == user_id
        if self.who is None:
            return private or _replied_to(message) == user_id
        if not self.who(settings, user_id):
            return False
        return private or message.chat.id in self.rooms(settings)


def _replied_to(message: object) -> int | None:
    """The user whose message the bot's message answers (in a group), if any."""
    replied = message.reply_to_message if isinstance(message, Message) else None
    author = replied.from_user if replied is not None else None
    return author.id if author is not None else None


# The user the message was for: in their private chat with the bot, or in a group the user
# whose message it answers.
OWNER = Guard()
# Anyone, anywhere (a button whose callback checks everything itself).
ANYONE = Guard(anyone=True)


def admins(refusal: str = NOT_YOURS) -> Guard:
    """The bot's admins (``ADMIN_IDS``), in their private chat with the bot."""
    return Guard(who=lambda settings, user_id: settings.is_admin(user_id), refusal=refusal)


def staff(who: StaffCheck, *, rooms: Rooms = _no_rooms, refusal: str = NOT_YOURS) -> Guard:
    """The users ``who`` admits (moderators), in their private chat with the bot or in one of
    ``rooms`` (the chats where they work, e.g. the moderators' group)."""
    return Guard(who=who, rooms=rooms, refusal=refusal)


@dataclass(frozen=True, slots=True)
class Button:
    """The buttons whose callback data starts with ``prefix``, who may press them, and what
    runs when they are pressed."""

    prefix: str
    callback: Callback[Any] = field(compare=False)
    guard: Guard = field(kw_only=True)  # no default: every button says who may press it

    def __post_init__(self) -> None:
        if not self.prefix or len(self.prefix.encode()) >= MAX_DATA:
            raise ValueError(f"button prefix {self.prefix!r}: 1 to {MAX_DATA - 1} bytes")


class ButtonCatalog:
    """Every button a module offers, and the one handler that routes their presses."""

    __slots__ = ("_buttons", "_routed")

    def __init__(self) -> None:
        self._buttons: dict[str, Button] = {}
        self._routed = False

    def add(self, button: Button) -> None:
        """``button``; a prefix that overlaps a declared one (``mod:`` and ``mod:a``) is
        refused, so that each press belongs to exactly one button."""
        for prefix in self._buttons:
            if prefix.startswith(button.prefix) or button.prefix.startswith(prefix):
                raise ValueError(f"button prefix {button.prefix!r} overlaps {prefix!r}")
        self._buttons[button.prefix] = button

    def register(self, app: Application[Any, Any, Any, Any, Any, Any], *buttons: Button) -> None:
        """Declare ``buttons``; the first call adds the catalogue's handler to ``app``."""
        for button in buttons:
            self.add(button)
        if not self._routed:
            app.add_handler(self.handler())
            self._routed = True

    def handler(self) -> BaseHandler[Update, Any, Any]:
        """The PTB handler of every callback query: :meth:`press`."""
        return CallbackQueryHandler(self.press)

    def find(self, data: str | None) -> Button | None:
        """The button whose prefix ``data`` starts with, if any."""
        if not data:
            return None
        return next((b for p, b in self._buttons.items() if data.startswith(p)), None)

    async def press(self, update: Update, context: Any) -> None:
        """Answer a press nothing declares, refuse one the guard does not admit, else run
        the button's callback."""
        query = update.callback_query
        if query is None:
            return
        button, user_id = self.find(query.data), query.from_user.id
        if button is None:
            data = (query.data or "")[:MAX_DATA]
            log.info("button press with unknown data", data=data, user_id=user_id)
            await query.answer(_(STALE))
            return
        if not button.guard.admits(context.services.settings, query):
            log.warning("button press refused", prefix=button.prefix, user_id=user_id)
            await query.answer(_(button.guard.refusal), show_alert=True)
            return
        await button.callback(update, context)

    def __iter__(self) -> Iterator[Button]:
        return iter(self._buttons.values())
