"""What referrals hold about a person: the rewards for the friends they invited, and the
one for their own joining.

Forgetting keeps both under the stand-in: an inviter keeps the reward they earned for the
person (and the count of friends who joined), and a forgotten inviter's rewards still add
up in the day's figures.
"""

from __future__ import annotations

from bot.core.people import Holding, Rule

HOLDING = Holding(
    "referrals",
    rules=(
        Rule("referral_rewards.inviter_id", label="rewards_for_invites"),
        Rule(
            "referral_rewards.invitee_id",
            shown=("points", "created_at", "paid_at"),
            label="reward_for_joining",
        ),
    ),
)
