"""Tags an admin sets on users (``/tag``, ``/untag``), for audiences to ask about: ``tag:beta``."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.core.context import BotContext
from bot.core.kernel import dialect_insert, rowcount
from bot.core.people import N_, Facet, Scope, User, _
from bot.modules.accounts.lookup import find, parse_query
from bot.modules.accounts.models import UserTag

TAG = re.compile(r"[a-z0-9_-]{1,32}", re.ASCII)
MAX_TAGS = 10  # named in one command


def read_tag(text: str) -> str | None:
    """``text`` as a tag (lowercase letters, digits, ``_`` and ``-``, up to 32), or None."""
    lowered = text.lower()
    return lowered if TAG.fullmatch(lowered) else None


def _tagged(tag: str, scope: Scope) -> ColumnElement[bool]:
    return User.id.in_(select(UserTag.user_id).where(UserTag.tag == tag))


FACETS = (Facet("tag", N_("a tag an admin set with /tag, e.g. tag:beta"), read_tag, _tagged),)


async def add(session: AsyncSession, user_id: int, tags: list[str], now: datetime) -> int:
    """Tag the user; how many tags were new."""
    added = 0
    for tag in tags:
        insert = dialect_insert(session, UserTag).values(user_id=user_id, tag=tag, created_at=now)
        added += rowcount(await session.execute(insert.on_conflict_do_nothing()))
    return added


async def remove(session: AsyncSession, user_id: int, tags: list[str]) -> int:
    query = delete(UserTag).where(UserTag.user_id == user_id, UserTag.tag.in_(tags))
    return rowcount(await session.execute(query))


async def of_user(session: AsyncSession, user_id: int) -> list[str]:
    query = select(UserTag.tag).where(UserTag.user_id == user_id).order_by(UserTag.tag)
    return list((await session.scalars(query)).all())


TAG_USAGE = N_("Usage: /{command} <user id|@username> <tag> [tag…] — tags are a-z, 0-9, _ and -.")


async def tag(update: Update, context: BotContext) -> None:
    await _change(update, context, "tag")


async def untag(update: Update, context: BotContext) -> None:
    await _change(update, context, "untag")


async def _change(update: Update, context: BotContext, command: str) -> None:
    message = update.effective_message
    if message is None:
        return
    words = context.args or []
    query = parse_query(words[0]) if words else None
    tags = [read_tag(word) for word in words[1:]]
    if query is None or not tags or len(tags) > MAX_TAGS or None in tags:
        await message.reply_text(_(TAG_USAGE).format(command=command))
        return
    named = [t for t in tags if t is not None]
    services = context.services
    async with services.db.session() as session:
        found = await find(session, query, limit=2)
        wanted = query.username
        exact = [u for u in found if not wanted or (u.username or "").lower() == wanted]
        if len(exact) != 1:
            await message.reply_text(_("No such user: {who}.").format(who=words[0][:64]))
            return
        user_id = exact[0].id
        if command == "tag":
            await add(session, user_id, named, services.clock.now())
        else:
            await remove(session, user_id, named)
        now_tagged = await of_user(session, user_id)
    shown = ", ".join(now_tagged) if now_tagged else _("none")
    await message.reply_text(_("Tags of {user}: {tags}").format(user=user_id, tags=shown))
