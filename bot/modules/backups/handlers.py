"""``/backups``: the admins' list of the backups in the folder (the command is declared
``admin=True``: only an admin, in a private chat, gets here)."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.core.context import BotContext
from bot.core.people import _
from bot.modules.backups import files
from bot.modules.backups.settings import BackupSettings

SHOWN = 15  # the newest backups listed in a message


async def backups_command(update: Update, context: BotContext) -> None:
    """List the newest backups: time, size, rows, revision, whether the checksum holds."""
    message = update.effective_message
    if message is None:
        return
    folder = context.services.settings.of(BackupSettings).backups.folder.expanduser()
    listed = await asyncio.to_thread(files.listing, folder)
    await message.reply_text(backups_text(listed, str(folder)))


def backups_text(listed: list[files.Listed], folder: str) -> str:
    if not listed:
        return _("No backups yet in {folder}.").format(folder=folder)
    lines = [_("Backups in {folder} ({count}):").format(folder=folder, count=len(listed))]
    for item in listed[:SHOWN]:
        m = item.manifest
        state = _("checksum ok") if item.intact else _("DAMAGED: checksum differs")
        lines.append(
            _("{at} UTC, {size}, {rows} rows, revision {revision}, {state}").format(
                at=f"{m.created_at:%Y-%m-%d %H:%M}",
                size=files.human_bytes(m.size),
                rows=f"{m.rows:,}",
                revision=m.revision,
                state=state,
            )
        )
    if len(listed) > SHOWN:
        lines.append(_("... and {count} older.").format(count=len(listed) - SHOWN))
    return "\n".join(lines)
