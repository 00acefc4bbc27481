"""Delivery: every bulk message goes through the persistent outbox."""

from bot.core.delivery.outbox import Outbox, OutboxMessage, OutboxStatus, Priority
from bot.core.delivery.policy import AllowAll, Decision, DeliveryPolicy

__all__ = [
    "AllowAll",
    "Decision",
    "DeliveryPolicy",
    "Outbox",
    "OutboxMessage",
    "OutboxStatus",
    "Priority",
]
