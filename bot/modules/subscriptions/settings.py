"""The subscriptions module's settings: VIP invite links, the Stars price and removals
(``VIP_INVITE_TTL_HOURS``, ``VIP_STARS_PRICE``, ``VIP_STARS_DAYS``,
``VIP_REMOVAL_ALERT_AFTER``). ``VIP_CHAT_ID`` is the kernel's (``check --online``
verifies the bot's rights there). The application's settings compose this class
(``bot/settings.py``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bot.core.kernel import Settings


class SubscriptionSettings(Settings):
    """The settings the subscriptions module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    # Hours a one-person VIP invite link stays valid (capped at the subscription's end).
    vip_invite_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    # /subscribe: price in Telegram Stars (0 = not on sale) of VIP_STARS_DAYS days of access.
    vip_stars_price: int = Field(default=0, ge=0, le=100_000)
    vip_stars_days: int = Field(default=30, ge=1, le=3650)
    # /subscribe: Stars per 30 days of a renewing subscription (0 = not offered); Telegram
    # allows at most 10,000 Stars a period.
    vip_stars_monthly: int = Field(default=0, ge=0, le=10_000)
    # Failed tries of one removal from the VIP chat (the bot lacking the right to ban, a
    # member made a chat administrator) before the admins are told; it is retried anyway.
    vip_removal_alert_after: int = Field(default=3, ge=1, le=100)
    # /trial: days of free VIP each user may take once, ever (0 = no trial offered).
    vip_trial_days: int = Field(default=0, ge=0, le=365)
