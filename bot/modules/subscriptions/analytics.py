"""The subscriptions' step of the engagement funnel (and the conversion counted per source):
VIP, bought, given or redeemed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from bot.core.people import N_
from bot.core.stats import FunnelStep
from bot.modules.subscriptions.models import Subscription


def had_vip(at: datetime) -> Select[int]:
    """Users whose VIP had begun by ``at`` (running or not since). A lapsed VIP granted
    again starts anew, so a day rolled up after that regrant misses that user."""
    return select(Subscription.user_id).where(Subscription.starts_at <= at)


FUNNEL = (FunnelStep("vip", N_("VIP"), 30, had_vip),)
