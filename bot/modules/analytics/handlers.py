"""/stats: the cached figures, instantly."""

from __future__ import annotations

from telegram import Update

from bot.core.context import BotContext
from bot.modules.analytics import service


async def stats(update: Update, context: BotContext) -> None:
    """Answer from the cache that ``analytics.quick_stats`` keeps warm."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    entry = await service.cached_or_fresh(services)
    await message.reply_text(service.format_stats(entry, services.settings.tz, services.stats))
