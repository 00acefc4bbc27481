"""What a broadcast achieved: the buttons under each copy, the opt-out, and the figures.

Every copy carries a "No more announcements" button: a press turns the user's announcements
off at once (the notifications module reacts to :class:`AnnouncementsDeclined` in the same
transaction), so no later broadcast reaches them, and it is counted for this broadcast. A
broadcast's own buttons are callback buttons: a press is counted once per user and button,
then answered (a link button sends its link). ``/campaign <id>`` shows the figures: targeted,
delivered, blocked, failed, opted out and clicked, per button and per variant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.core.context import BotContext
from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel import SERIAL_MAX, ascii_int, dialect_insert, get_logger
from bot.core.people import _, number, percent
from bot.modules.broadcast import service
from bot.modules.broadcast.events import AnnouncementsDeclined
from bot.modules.broadcast.models import Broadcast, BroadcastClick, BroadcastOptOut

log = get_logger(__name__)
OPT_OUT = "bout:"  # bout:<broadcast>
CLICK = "bclk:"  # bclk:<broadcast>:<button>
VARIANT_NAMES = "ABCD"


def keyboard(buttons: tuple[dict[str, str], ...]) -> Callable[[int], dict[str, Any]]:
    """The reply_markup builder for a broadcast with ``buttons`` (called once its id is
    known, in each language being queued)."""

    def build(broadcast_id: int) -> dict[str, Any]:  # a broadcast's id (0: the preview)
        rows = [
            [{"text": spec["label"], "callback_data": f"{CLICK}{broadcast_id}:{index}"}]
            for index, spec in enumerate(buttons)
        ]
        rows.append(
            [{"text": _("🔕 No more announcements"), "callback_data": f"{OPT_OUT}{broadcast_id}"}]
        )
        return {"inline_keyboard": rows}

    return build


def preview_markup(buttons: tuple[dict[str, str], ...]) -> InlineKeyboardMarkup:
    """The buttons a copy will carry, for the admin's preview (of no broadcast yet: pressed
    there, they are answered as no longer valid and count nothing)."""
    rows = keyboard(buttons)(0)["inline_keyboard"]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in rows
        ]
    )


async def opted_out(update: Update, context: BotContext) -> None:
    """``bout:<broadcast>``: no more announcements for the presser, counted once."""
    query = update.callback_query
    if query is None:
        return
    broadcast_id = ascii_int((query.data or "").removeprefix(OPT_OUT), 1, SERIAL_MAX)
    if broadcast_id is None:
        await query.answer(_("This button is no longer valid."))
        return
    services, user_id = context.services, query.from_user.id
    async with services.uow() as uow:
        if await uow.session.get(Broadcast, broadcast_id) is None:
            await query.answer(_("This button is no longer valid."))
            return
        row = {"broadcast_id": broadcast_id, "user_id": user_id, "created_at": services.clock.now()}
        insert = dialect_insert(uow.session, BroadcastOptOut).values(**row)
        await uow.session.execute(insert.on_conflict_do_nothing())
        await uow.publish(AnnouncementsDeclined(user_id, broadcast_id))
    log.info("announcements declined", user_id=user_id, broadcast_id=broadcast_id)
    await query.answer(
        _("You will get no more announcements. /notifications turns them back on."),
        show_alert=True,
    )
    if isinstance(query.message, Message):
        await query.edit_message_reply_markup(None)


async def clicked(update: Update, context: BotContext) -> None:
    """``bclk:<broadcast>:<button>``: counted once per user and button, then answered."""
    query = update.callback_query
    if query is None:
        return
    broadcast_text, _colon, index_text = (query.data or "").removeprefix(CLICK).partition(":")
    broadcast_id = ascii_int(broadcast_text, 1, SERIAL_MAX)
    index = ascii_int(index_text, 0, 9)
    services, user_id = context.services, query.from_user.id
    async with services.db.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id) if broadcast_id else None
        buttons = (broadcast.buttons or []) if broadcast is not None else []
        if broadcast is None or index is None or index >= len(buttons):
            await query.answer(_("This button is no longer valid."))
            return
        row = {"broadcast_id": broadcast.id, "user_id": user_id, "button": index}
        insert = dialect_insert(session, BroadcastClick).values(
            **row, created_at=services.clock.now()
        )
        await session.execute(insert.on_conflict_do_nothing())
    spec = buttons[index]
    url = spec.get("url")
    if url is None:
        await query.answer(_("Noted, thank you."))
        return
    await query.answer()
    link = InlineKeyboardMarkup([[InlineKeyboardButton(spec["label"], url=url)]])
    await context.bot.send_message(user_id, spec["label"], reply_markup=link)


@dataclass(slots=True)
class Part:
    """The figures of a broadcast, or of one of its variants."""

    targeted: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    waiting: int = 0
    opted_out: int = 0
    clicked: int = 0  # users who pressed any of its buttons
    clicks: Counter[int] = field(default_factory=Counter)  # users per button


async def figures(session: AsyncSession, broadcast: Broadcast) -> tuple[Part, list[Part]]:
    """The broadcast's figures, and each variant's (none with a single text): its rows by
    outcome, its opt-outs and its clicks, by grouped queries (no row loaded)."""
    count = len(broadcast.variants or []) or 1
    parts = [Part() for _ in range(count)]
    o = OutboxMessage
    variant = service.variant_of(o.user_id, broadcast.id, count)
    kind = service._kind()
    rows = (
        select(variant, o.status, kind, func.count())
        .where(*service.of_broadcast(session, broadcast.id))
        .group_by(variant, o.status, kind)
    )
    for which, status, how, n in (await session.execute(rows)).all():
        part = parts[int(which)]
        part.targeted += n
        bucket = service._bucket(status, how)
        if bucket == "delivered" or status == OutboxStatus.SENT:
            part.delivered += n
        elif bucket == "blocked":
            part.blocked += n
        elif status == OutboxStatus.FAILED:
            part.failed += n
        elif status not in (OutboxStatus.SKIPPED,):
            part.waiting += n
    # One expression object per query, in its SELECT and its GROUP BY (PostgreSQL matches
    # them by their bound parameters, which a second object would name apart).
    opt = BroadcastOptOut
    which_optout = service.variant_of(opt.user_id, broadcast.id, count)
    optouts = (
        select(which_optout, func.count())
        .where(opt.broadcast_id == broadcast.id)
        .group_by(which_optout)
    )
    for which, n in (await session.execute(optouts)).all():
        parts[int(which)].opted_out += n
    c = BroadcastClick
    which_click = service.variant_of(c.user_id, broadcast.id, count)
    by_button = (
        select(which_click, c.button, func.count())
        .where(c.broadcast_id == broadcast.id)
        .group_by(which_click, c.button)
    )
    for which, button, n in (await session.execute(by_button)).all():
        parts[int(which)].clicks[int(button)] += n
    which_clicker = service.variant_of(c.user_id, broadcast.id, count)
    clickers = (
        select(which_clicker, func.count(func.distinct(c.user_id)))
        .where(c.broadcast_id == broadcast.id)
        .group_by(which_clicker)
    )
    for which, n in (await session.execute(clickers)).all():
        parts[int(which)].clicked += n
    whole = Part()
    for part in parts:
        for name in ("targeted", "delivered", "blocked", "failed", "waiting", "opted_out"):
            setattr(whole, name, getattr(whole, name) + getattr(part, name))
        whole.clicked += part.clicked
        whole.clicks.update(part.clicks)
    return whole, parts if count > 1 else []


def _line(part: Part) -> str:
    rate = percent(part.clicked / part.delivered) if part.delivered else percent(0)
    return _(
        "targeted {targeted} · delivered {delivered} · blocked {blocked} · failed {failed} · "
        "waiting {waiting} · opted out {opted_out} · clicked {clicked} ({rate})"
    ).format(
        targeted=number(part.targeted),
        delivered=number(part.delivered),
        blocked=number(part.blocked),
        failed=number(part.failed),
        waiting=number(part.waiting),
        opted_out=number(part.opted_out),
        clicked=number(part.clicked),
        rate=rate,
    )


def render(broadcast: Broadcast, whole: Part, parts: list[Part]) -> str:
    lines = [_("Broadcast #{id}").format(id=broadcast.id)]
    if broadcast.audience:
        lines.append(_("Audience: {who}").format(who=broadcast.audience))
    if broadcast.schedule:
        lines.append(_("When: {when}").format(when=broadcast.schedule))
    lines.append(_line(whole))
    for index, spec in enumerate(broadcast.buttons or []):
        lines.append(f"  {spec['label']}: {number(whole.clicks[index])}")
    for index, part in enumerate(parts):
        text = (broadcast.variants or [""])[index]
        preview = text if len(text) <= 40 else text[:39] + "…"
        lines.append(f"{VARIANT_NAMES[index]} «{preview}»: {_line(part)}")
    return "\n".join(lines)


async def campaign(update: Update, context: BotContext) -> None:
    """``/campaign <id>``: what a broadcast achieved."""
    message = update.effective_message
    if message is None:
        return
    words = context.args or []
    broadcast_id = ascii_int(words[0], 1, SERIAL_MAX) if len(words) == 1 else None
    if broadcast_id is None:
        await message.reply_text(_("Usage: /campaign <id> — the number shown under the broadcast."))
        return
    async with context.services.db.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            await message.reply_text(_("No broadcast #{id}.").format(id=broadcast_id))
            return
        whole, parts = await figures(session, broadcast)
    await message.reply_text(render(broadcast, whole, parts))
