"""Thin PTB callbacks: /mission, the Done button, and the admins' catalogue commands."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.core.context import BotContext
from bot.core.kernel import SERIAL_MAX, ascii_int, get_logger
from bot.core.people import N_, _, current, ngettext, number
from bot.core.telegram import command_body, fit_lines
from bot.modules.missions import catalogue, service, times
from bot.modules.missions.models import AssignmentStatus
from bot.modules.missions.render import completed_text, done_keyboard, mission_text, parse_done

log = get_logger(__name__)

REFUSALS = {
    service.Refusal.UNKNOWN: N_("This button is not valid for you."),
    service.Refusal.ALREADY_DONE: N_("Already done — well played! Come back tomorrow."),
    service.Refusal.EXPIRED: N_("This mission has expired. Send /mission for today's."),
}


async def mission(update: Update, context: BotContext) -> None:
    """Show today's mission (assigning one if needed) with its Done button."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    services = context.services
    async with services.uow() as uow:
        zone = await times.user_zone(services, uow.session, user.id)
        day = services.clock.today(zone)
        found = await service.mission_for_today(
            uow,
            user_id=user.id,
            day=day,
            ends_at=times.day_end(day, zone),
            now=services.clock.now(),
        )
    if found is None:
        await message.reply_text(_("There are no missions yet. Please come back later."))
        return
    assignment, chosen = found
    if assignment.status == AssignmentStatus.DONE:
        done = _("✅ Today's mission is done: {title}. See you tomorrow!")
        await message.reply_text(done.format(title=chosen.title_in(current())))
        return
    markup = InlineKeyboardMarkup.de_json(done_keyboard(assignment.id), context.bot)
    await message.reply_text(mission_text(chosen), reply_markup=markup)


async def done_pressed(update: Update, context: BotContext) -> None:
    """Complete the mission behind the button once; anything else gets a clear answer."""
    query = update.callback_query
    if query is None:
        return
    assignment_id = parse_done(query.data)
    if assignment_id is None:
        log.warning("malformed mission callback", data=query.data, user_id=query.from_user.id)
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    services = context.services
    async with services.uow() as uow:
        outcome = await service.complete(
            uow,
            user_id=query.from_user.id,
            assignment_id=assignment_id,
            day=await times.user_day(services, uow.session, query.from_user.id),
            now=services.clock.now(),
        )
    if isinstance(outcome, service.Refusal):
        await query.answer(_(REFUSALS[outcome]), show_alert=outcome is service.Refusal.UNKNOWN)
        return
    points = outcome.mission.points
    await query.answer(
        ngettext("+{points} point!", "+{points} points!", points).format(points=number(points))
    )
    await query.edit_message_text(completed_text(outcome.mission, outcome.streak))


async def list_missions(update: Update, context: BotContext) -> None:
    """/missions: the catalogue with ids, points and state."""
    if update.effective_message is None:
        return
    async with context.db.session() as session:
        missions = await catalogue.all_missions(session)
    lines = [_catalogue_line(m.id, m.points, m.title, m.active) for m in missions]
    text = fit_lines(_("Mission catalogue:"), lines) if lines else _("The catalogue is empty.")
    await update.effective_message.reply_text(text)


async def add_mission(update: Update, context: BotContext) -> None:
    """/addmission <points> <title> | <description>"""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = command_body(message)
    try:
        new = catalogue.parse_new_mission(text)
    except catalogue.InvalidMission as exc:
        await message.reply_text(str(exc))
        return
    services = context.services
    async with services.db.session() as session:
        added = await catalogue.add_mission(session, new, services.clock.now())
    added_text = _("Added mission #{id}: {title} ({points} pts).").format(
        id=added.id, title=added.title, points=number(added.points)
    )
    if new.translations:
        others = ", ".join(language for language, _title, _description in new.translations)
        added_text += "\n" + _("Also in: {languages}.").format(languages=others)
    await message.reply_text(added_text)


async def retire_mission(update: Update, context: BotContext) -> None:
    """/retiremission <id>"""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    mission_id = ascii_int(args[0], 1, SERIAL_MAX) if len(args) == 1 else None
    if mission_id is None:
        await message.reply_text(_("Usage: /retiremission <id> (see /missions for the ids)"))
        return
    async with context.db.session() as session:
        retired = await catalogue.retire_mission(session, mission_id)
    if retired is None:
        await message.reply_text(
            _("There is no mission #{id}. See /missions.").format(id=mission_id)
        )
        return
    retired_text = _("Mission #{id} ({title}) is retired.")
    await message.reply_text(retired_text.format(id=retired.id, title=retired.title))


def _catalogue_line(mission_id: int, points: int, title: str, active: bool) -> str:
    line = _("#{id} · {points} pts · {title}").format(
        id=mission_id, points=number(points), title=title
    )
    return line if active else _("{line} (retired)").format(line=line)
