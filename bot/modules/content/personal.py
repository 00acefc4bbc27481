"""What content holds about a person: the paid posts they bought, kept under the stand-in
when they are forgotten (the Stars taken in stay counted)."""

from __future__ import annotations

from bot.core.people import Holding, Rule

HOLDING = Holding(
    "content", rules=(Rule("paid_media_purchases.user_id", label="paid_posts_bought"),)
)
