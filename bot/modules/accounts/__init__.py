"""Accounts: /start registration (with referral payloads), /help, unknown commands, blocks,
and the console's People page."""

from __future__ import annotations

from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.core.context import Services
from bot.core.module import Module, Routed, Stage
from bot.core.people import N_
from bot.core.telegram import OWNER, PRIVATE_NEW_MESSAGE, Button, admin_commands, user_commands
from bot.modules.accounts import handlers, personal, personal_handlers, tags, timezone
from bot.modules.accounts.pages import CONSOLE

COMMANDS = user_commands(
    ("start", N_("register and see what this bot does"), "", handlers.start),
    ("help", N_("list the commands you can use"), "", handlers.help_command),
    ("whoami", N_("your Telegram user id (for ADMIN_IDS)"), "", handlers.whoami),
    (
        "timezone",
        N_("your time zone, for missions and reminders"),
        N_("[zone|+5:45]"),
        timezone.timezone,
    ),
    ("mydata", N_("get everything this bot holds about you"), "", personal_handlers.mydata),
    ("forgetme", N_("have this bot forget you"), "", personal_handlers.forgetme),
) + admin_commands(
    ("tag", N_("tag a user, for audiences (tag:name)"), N_("<user> <tag>…"), tags.tag),
    ("untag", N_("remove a user's tags"), N_("<user> <tag>…"), tags.untag),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    # At a late stage, so it sees only commands that no module claimed; private chats only
    # (in a group, a command meant for another bot is none of this one's business).
    unknown = filters.COMMAND & PRIVATE_NEW_MESSAGE
    # Later still: plain text that no module's handler took (moderation's, at the REPLIES
    # and FOLLOW_UPS stages, stop the update when they take a message), private chats only.
    text = filters.TEXT & ~filters.COMMAND & PRIVATE_NEW_MESSAGE
    membership = ChatMemberHandler(handlers.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    return Module(
        "accounts",
        commands=COMMANDS,
        buttons=(
            Button(timezone.PREFIX, timezone.pressed, guard=OWNER),
            Button(personal_handlers.PREFIX, personal_handlers.pressed, guard=OWNER),
        ),
        handlers=(
            Routed(membership),
            Routed(MessageHandler(unknown, handlers.unknown_command), stage=Stage.UNKNOWN_COMMANDS),
            Routed(MessageHandler(text, handlers.plain_text), stage=Stage.LEFTOVER_TEXT),
        ),
        console=CONSOLE,
        audience=tags.FACETS,
    )


__all__ = ["register"]
