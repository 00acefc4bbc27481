"""/paidbroadcast <id> <stars>: the estimate first, then [Pay up to N Stars] / [Cancel]
(``paid.py`` does the arithmetic and keeps the cap)."""

from __future__ import annotations

import math
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.core.context import BotContext, Services
from bot.core.kernel import SERIAL_MAX, ascii_int, get_logger
from bot.core.people import N_, _, duration, ngettext, number
from bot.modules.broadcast import paid, service
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.paid_models import BroadcastPaid

log = get_logger(__name__)
PREFIX = "bpaid:"
PAY, DROP = f"{PREFIX}go:", f"{PREFIX}no:"
USAGE = N_(
    "Usage: /paidbroadcast <id> <stars> — send a broadcast's waiting copies in Telegram's paid "
    "lane (up to 1,000 a second, 0.1 Star a copy beyond the free 30 a second), spending at most "
    "<stars> Stars; the estimate comes first."
)
STATES = {
    paid.ACTIVE: N_("sending paid"),
    paid.SPENT: N_("cap reached, the rest at the free rate"),
    paid.REFUSED: N_("refused by Telegram (Stars balance too low), the rest at the free rate"),
}


def shown(millistars: int) -> str:
    """Stars to a tenth, rounded up, written the reader's way: ``1.3``, ``10,000`` (``1,3``)."""
    return number(math.ceil(millistars / paid.PER_COPY) / 10)


def lane_line(lane: BroadcastPaid) -> str:
    """``Paid lane, in Stars: 1.2 counted of a cap of 5 (sending paid).``"""
    return _("Paid lane, in Stars: {spent} counted of a cap of {cap} ({state}).").format(
        spent=shown(lane.spent_millistars),
        cap=number(lane.cap_stars),
        state=_(STATES.get(lane.state, lane.state)),
    )


async def _balance(context: BotContext) -> str:
    try:
        held = await context.bot.get_my_star_balance()
    except TelegramError as exc:
        log.warning("Stars balance unknown", error=str(exc)[:200])
        return _("unknown")
    millis = held.amount * paid.MILLI + (held.nanostar_amount or 0) // 1_000_000
    return shown(millis) if millis >= 0 else number(held.amount)


async def _waiting(services: Services, broadcast_id: int) -> tuple[int, BroadcastPaid | None]:
    """The broadcast's copies not yet handed to the sender (paused ones too), and its lane;
    -1 copies when there is no such broadcast."""
    async with services.db.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return -1, None
        counted = await service.tally(session, broadcast)
        return counted.waiting, await paid.lane_of(session, broadcast_id)


def question(broadcast_id: int, cap: int, estimate: paid.Estimate, balance: str) -> str:
    lines = [
        _("Paid broadcast #{id}, a cap in Stars of {cap}:").format(
            id=broadcast_id, cap=number(cap)
        ),
        _("Copies waiting: {n}, of which {paid} in the paid lane.").format(
            n=number(estimate.waiting), paid=number(estimate.paid_copies)
        ),
        _("Time at the free rate: {free}; with the paid lane: {paid}.").format(
            free=duration(timedelta(seconds=estimate.free_seconds)),
            paid=duration(timedelta(seconds=estimate.paid_seconds)),
        ),
        _(
            "Estimated cost in Stars: {charge} (0.1 a copy beyond the free rate); "
            "counted against the cap: {counted} (0.1 every paid copy)."
        ).format(charge=shown(estimate.charge), counted=shown(estimate.counted)),
        _("The bot's Stars balance: {balance}.").format(balance=balance),
    ]
    return "\n".join(lines)


async def paidbroadcast(update: Update, context: BotContext) -> None:
    """Show what the cap buys for the broadcast's waiting copies, and ask."""
    message = update.effective_message
    if message is None:
        return
    parsed = paid.parse_args(context.args or [])
    if parsed is None:
        await message.reply_text(_(USAGE))
        return
    broadcast_id, cap = parsed
    services = context.services
    waiting, lane = await _waiting(services, broadcast_id)
    if waiting < 0:
        await message.reply_text(_("No broadcast #{id}.").format(id=broadcast_id))
        return
    if lane is not None:
        await message.reply_text(lane_line(lane))
        return
    if waiting == 0:
        await message.reply_text(
            _("Broadcast #{id} has no copies waiting.").format(id=broadcast_id)
        )
        return
    settings = services.settings
    estimate = paid.estimate(
        waiting, cap, settings.rate_global_per_second, settings.rate_paid_per_second
    )
    text = question(broadcast_id, cap, estimate, await _balance(context))
    await message.reply_text(text, reply_markup=buttons(broadcast_id, cap))


def buttons(broadcast_id: int, cap: int) -> InlineKeyboardMarkup:
    pay = ngettext("Pay up to {n} Star", "Pay up to {n} Stars", cap).format(n=number(cap))
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(pay, callback_data=f"{PAY}{broadcast_id}:{cap}"),
                InlineKeyboardButton(_("Cancel"), callback_data=f"{DROP}{broadcast_id}"),
            ]
        ]
    )


def parse_press(data: str) -> tuple[str, int, int] | None:
    """``bpaid:go:<id>:<stars>`` or ``bpaid:no:<id>``: the verb, the id and the cap (0 for
    Cancel); None for anything else."""
    verb = data[: len(PAY)]
    rest = data[len(PAY) :].split(":")
    if verb == PAY and len(rest) == 2:
        broadcast_id = ascii_int(rest[0], 1, SERIAL_MAX)
        cap = ascii_int(rest[1], 1, paid.MAX_CAP)
        if broadcast_id is not None and cap is not None:
            return verb, broadcast_id, cap
    if verb == DROP and len(rest) == 1:
        broadcast_id = ascii_int(rest[0], 1, SERIAL_MAX)
        if broadcast_id is not None:
            return verb, broadcast_id, 0
    return None


async def pressed(update: Update, context: BotContext) -> None:
    """Pay opens the lane with the cap shown (once: a second press changes nothing); Cancel
    leaves the broadcast as it was."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    parsed = parse_press(query.data or "")
    if parsed is None:
        await query.answer(_("This button is no longer valid."))
        return
    verb, broadcast_id, cap = parsed
    if verb == DROP:
        await query.answer()
        await query.edit_message_text(_("Not changed: no paid lane."))
        return
    services = context.services
    async with services.db.session() as session:
        if await session.get(Broadcast, broadcast_id) is None:
            await query.answer(_("No broadcast #{id}.").format(id=broadcast_id))
            return
        opened = await paid.confirm(session, broadcast_id, cap, user.id, services.clock.now())
        lane = await paid.lane_of(session, broadcast_id)
    if not opened:
        await query.answer(_("Already confirmed."))
        return
    log.info("paid broadcast confirmed", broadcast_id=broadcast_id, cap=cap, user_id=user.id)
    await query.answer()
    head = _("Broadcast #{id} goes in the paid lane.").format(id=broadcast_id)
    await query.edit_message_text(f"{head}\n{lane_line(lane)}" if lane else head)
