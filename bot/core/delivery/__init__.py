"""Delivery: every bulk message goes through the persistent outbox."""

from bot.core.delivery.categories import OPTIONAL, TRANSACTIONAL, Category
from bot.core.delivery.outbox import Outbox, OutboxMessage, OutboxStatus, Priority, Queued
from bot.core.delivery.policy import AllowAll, Candidate, Decision, DeliveryPolicy

__all__ = [
    "OPTIONAL",
    "TRANSACTIONAL",
    "AllowAll",
    "Candidate",
    "Category",
    "Decision",
    "DeliveryPolicy",
    "Outbox",
    "OutboxMessage",
    "OutboxStatus",
    "Priority",
    "Queued",
]
