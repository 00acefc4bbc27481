"""The catalogue of chat commands: /help, the Telegram command menu, and the admin guard."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Update

from bot.core.logging import get_logger

if TYPE_CHECKING:
    from bot.core.context import BotContext

log = get_logger(__name__)

R = TypeVar("R")
Callback = Callable[[Update, "BotContext"], Coroutine[Any, Any, R]]


@dataclass(frozen=True, slots=True)
class Command:
    """A command as users see it in /help and in Telegram's menu."""

    name: str
    description: str
    usage: str = ""
    admin: bool = False

    def line(self) -> str:
        head = f"/{self.name}" + (f" {self.usage}" if self.usage else "")
        return f"{head} — {self.description}"


class CommandCatalog:
    """Every command a module offers, in the order modules declared them."""

    __slots__ = ("_commands",)

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        if command.name in self._commands:
            raise ValueError(f"command /{command.name} declared twice")
        self._commands[command.name] = command

    def known(self, name: str) -> bool:
        return name.lower() in self._commands

    def visible_to(self, is_admin: bool) -> list[Command]:
        return [c for c in self._commands.values() if is_admin or not c.admin]

    def __iter__(self) -> Any:
        return iter(self._commands.values())


def admin_only(callback: Callback[R]) -> Callback[R | None]:
    """Run ``callback`` only for ``ADMIN_IDS``; refuse everyone else and log the attempt."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext) -> R | None:
        user = update.effective_user
        if context.services.settings.is_admin(user.id if user else None):
            return await callback(update, context)
        message = update.effective_message
        log.warning(
            "admin command refused",
            user_id=user.id if user else None,
            text=message.text if message else None,
        )
        if message is not None:
            await message.reply_text("Sorry, this command is for the bot's admins only.")
        return None

    return guarded
