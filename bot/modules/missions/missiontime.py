"""``/missiontime``: the local time a user's daily mission arrives."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.core.context import BotContext, Services
from bot.core.people import N_, User, _, rows_of, timezone_of
from bot.modules.missions import times

USAGE = N_(
    "Send /missiontime followed by a time of day, for example /missiontime 08:30, "
    "or /missiontime default to go back to {default}."
)
SET = N_("Your missions now arrive at {time} ({zone}).")
RESET = N_("Your missions now arrive at the default time, {time} ({zone}).")
CURRENT = N_("Your missions arrive at {time} ({zone}). Change it with /missiontime 08:30.")
UNKNOWN = N_("Send /start first, then choose your mission time.")


class _Usage(ValueError):
    """The arguments are not one time of day nor ``default``."""


def parse_arguments(args: list[str]) -> tuple[bool, int | None]:
    """``[]`` -> (False, None): show; ``["default"]`` -> (True, None); ``["08:30"]`` ->
    (True, 510); anything else raises :class:`_Usage`."""
    if not args:
        return False, None
    if len(args) > 1:
        raise _Usage
    if args[0].strip().lower() == "default":
        return True, None
    try:
        return True, times.parse_time_of_day(args[0])
    except times.TimeOfDayError:
        raise _Usage from None


async def mission_time(update: Update, context: BotContext) -> None:
    """Show the sender's mission time, or set it (``default``: the job's time) and recompute
    their next mission at once; anything else gets the usage and changes nothing."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    try:
        change, minute = parse_arguments(context.args or [])
    except _Usage:
        default = times.default_mission_time(services).strftime("%H:%M")
        await message.reply_text(_(USAGE).format(default=default))
        return
    await message.reply_text(await _show_or_set(services, user.id, change, minute))


async def _show_or_set(services: Services, user_id: int, change: bool, minute: int | None) -> str:
    """The answer, once the change is committed: every reply is sent after the transaction
    (a reply may wait for the rate limiter; a transaction must not wait with it)."""
    async with services.db.session() as session:
        if await session.get(User, user_id) is None:
            return _(UNKNOWN)
        if change:
            await times.reschedule(services, session, user_id, minute)
        zone = await timezone_of(session, user_id) or services.settings.timezone
        at = await _current(services, session, user_id)
    text = RESET if change and minute is None else SET if change else CURRENT
    return _(text).format(time=at, zone=zone)


async def _current(services: Services, session: AsyncSession, user_id: int) -> str:
    rows = await rows_of(session, user_id)
    minute = next((row.minute for row in rows if row.kind == times.MISSION), None)
    return times.time_of(services, times.MISSION, minute).strftime("%H:%M")
