"""What kind of message an outbox row is, and so whether preferences may touch it.

Two classes, decided here once: *transactional* messages answer something the user
(or an admin for them) did or paid for — an invite link, a receipt, an access change,
a moderation decision — and go out at once whatever the user's quiet hours or toggles;
*optional* ones (missions, reminders, announcements) are the bot speaking first, and
only those are muted by a toggle or held by quiet hours.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """The ``category`` of an outbox row."""

    MISSION = "mission"  # the daily mission
    REMINDER = "reminder"  # "your subscription ends soon"
    ANNOUNCEMENT = "announcement"  # /broadcast
    ACCESS = "access"  # VIP granted (with its invite link), ended, revoked
    RECEIPT = "receipt"  # payments and refunds
    REWARD = "reward"  # points credited (a referral)
    MODERATION = "moderation"  # a decision on the author's suggestion
    REPLY = "reply"  # the answer to a user's own action
    ALERT = "alert"  # admins and moderators
    POST = "post"  # channel posts and decisions on Telegram's suggested posts


OPTIONAL = frozenset({Category.MISSION, Category.REMINDER, Category.ANNOUNCEMENT})
TRANSACTIONAL = frozenset(
    {
        Category.ACCESS,
        Category.RECEIPT,
        Category.REWARD,
        Category.MODERATION,
        Category.REPLY,
        Category.ALERT,
        Category.POST,
    }
)


def optional(category: str) -> bool:
    """Whether preferences may mute or hold a row of ``category``. Anything not listed as
    optional is transactional, including ``notification`` rows queued by older versions
    (invite links, receipts, referral rewards)."""
    return category in OPTIONAL
