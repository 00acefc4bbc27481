"""Delivery: every bulk message goes through the persistent outbox."""

from bot.core.delivery.outbox import Outbox, OutboxMessage, OutboxStatus, Priority
from bot.core.delivery.policy import AllowAll, Candidate, Decision, DeliveryPolicy

__all__ = [
    "AllowAll",
    "Candidate",
    "Decision",
    "DeliveryPolicy",
    "Outbox",
    "OutboxMessage",
    "OutboxStatus",
    "Priority",
]
