"""/stats: the cached figures, instantly, and the engagement of the last day rolled up."""

from __future__ import annotations

from telegram import Update

from bot.core.context import BotContext
from bot.modules.analytics import service, view


async def stats(update: Update, context: BotContext) -> None:
    """Answer from the cache that ``analytics.quick_stats`` keeps warm, and from the latest
    engagement roll-up (``analytics.engagement``)."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    entry = await service.cached_or_fresh(services)
    async with services.db.session() as session:
        engagement = await view.latest(session)
    text = service.format_stats(entry, services.settings.tz, services.stats)
    block = "\n".join(view.describe(engagement, services.stats))
    await message.reply_text(f"{text}\n\n{block}")
