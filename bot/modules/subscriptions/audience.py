"""The VIP state an audience can ask about: ``vip:active``, ``vip:expired``, ``vip:never``."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select

from bot.core.people import N_, Facet, Scope, User, choice
from bot.modules.subscriptions.models import Subscription, SubscriptionStatus


def _vip(state: str, scope: Scope) -> ColumnElement[bool]:
    s = Subscription
    active = and_(s.status == SubscriptionStatus.ACTIVE, s.ends_at > scope.now)
    if state == "active":
        return User.id.in_(select(s.user_id).where(active))
    if state == "expired":  # had VIP once, and has none now (ran out or was revoked)
        return User.id.in_(select(s.user_id).where(~active))
    return User.id.not_in(select(s.user_id))  # never had it


FACETS = (
    Facet(
        "vip",
        N_("VIP now, once but no more, or never: vip:active, vip:expired or vip:never"),
        choice("active", "expired", "never"),
        _vip,
    ),
)
