"""Talking to Telegram: how updates arrive, the way each one travels, and the replies.

Intake (one polling leader, or a webhook on every replica), the update processor (in
order within a chat, fair across chats), the per-update pipeline of steps, the command
and button catalogues and their guards, the error reporter, the bot whose replies always
fit, the command menu. This ``__init__`` is the package's public face: code outside
``bot/core/telegram/`` imports from here (an import-linter contract says so); ``request``
(the aiohttp backend) and ``preflight`` (``check``) are imported where they are used.
"""

from bot.core.telegram.arrival import Arrival, ArrivalQueue, NotSafeYet
from bot.core.telegram.bot import CompanionBot, fit_lines, preview, shorten
from bot.core.telegram.buttons import (
    ANYONE,
    OWNER,
    Button,
    ButtonCatalog,
    Guard,
    admins,
    staff,
)
from bot.core.telegram.commands import (
    NEW_MESSAGE,
    PRIVATE_NEW_MESSAGE,
    Callback,
    Command,
    CommandCatalog,
    admin_commands,
    command_body,
    user_commands,
)
from bot.core.telegram.errors import ErrorReporter
from bot.core.telegram.intake import Intake, LeaderPolling, Webhook
from bot.core.telegram.menu import publish_command_menu
from bot.core.telegram.outage import database_unreachable
from bot.core.telegram.pipeline import (
    Deduplicate,
    Handlers,
    Language,
    LogContext,
    Step,
    run,
    taken_by,
    used_update_types,
)
from bot.core.telegram.processor import ChatOrderedUpdateProcessor
from bot.core.telegram.received import InChatOrder, Stranded, purge_received, record_arrival
from bot.core.telegram.request import bot_request

__all__ = [
    "ANYONE",
    "NEW_MESSAGE",
    "OWNER",
    "PRIVATE_NEW_MESSAGE",
    "Arrival",
    "ArrivalQueue",
    "Button",
    "ButtonCatalog",
    "Callback",
    "ChatOrderedUpdateProcessor",
    "Command",
    "CommandCatalog",
    "CompanionBot",
    "Deduplicate",
    "ErrorReporter",
    "Guard",
    "Handlers",
    "InChatOrder",
    "Intake",
    "Language",
    "LeaderPolling",
    "LogContext",
    "NotSafeYet",
    "Step",
    "Stranded",
    "Webhook",
    "admin_commands",
    "admins",
    "bot_request",
    "command_body",
    "database_unreachable",
    "fit_lines",
    "preview",
    "publish_command_menu",
    "purge_received",
    "record_arrival",
    "run",
    "shorten",
    "staff",
    "taken_by",
    "used_update_types",
    "user_commands",
]
