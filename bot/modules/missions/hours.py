"""``/missiontime``: the local time a user's daily mission arrives."""

from __future__ import annotations

from telegram import Update

from bot.core import schedules, users
from bot.core.context import BotContext
from bot.modules.missions import times

USAGE = (
    "Send /missiontime followed by a time of day, for example /missiontime 08:30, "
    "or /missiontime default to go back to {default}."
)
SET = "Your missions now arrive at {time} ({zone})."
RESET = "Your missions now arrive at the default time, {time} ({zone})."
CURRENT = "Your missions arrive at {time} ({zone}). Change it with /missiontime 08:30."
UNKNOWN = "Send /start first, then choose your mission time."


async def mission_time(update: Update, context: BotContext) -> None:
    """Show or set the sender's mission time; recomputes their next one at once."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services, args = context.services, context.args or []
    default = times.default_mission_time(services).strftime("%H:%M")
    if len(args) > 1:
        await message.reply_text(USAGE.format(default=default))
        return
    try:
        minute = _minute(args[0]) if args else -1
    except times.TimeOfDayError:
        await message.reply_text(USAGE.format(default=default))
        return
    async with services.db.session() as session:
        zone_name = await users.timezone_of(session, user.id)
        known = await session.get(users.User, user.id) is not None
        if known and minute != -1:
            await times.reschedule(services, session, user.id, minute)
        current = next((r.minute for r in await schedules.rows_of(session, user.id)
                        if r.kind == times.MISSION), None)  # fmt: skip
    at = times.time_of(services, times.MISSION, current).strftime("%H:%M")
    zone = zone_name or services.settings.timezone
    if not known:
        await message.reply_text(UNKNOWN)
    elif minute == -1:
        await message.reply_text(CURRENT.format(time=at, zone=zone))
    else:
        await message.reply_text((SET if minute is not None else RESET).format(time=at, zone=zone))


def _minute(text: str) -> int | None:
    """None for ``default``; minutes after midnight otherwise."""
    return None if text.strip().lower() == "default" else times.parse_time_of_day(text)
