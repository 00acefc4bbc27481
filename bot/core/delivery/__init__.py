"""Delivery: every bulk message goes through the persistent outbox."""

from bot.core.delivery.backlog import pending_count
from bot.core.delivery.categories import OPTIONAL, TRANSACTIONAL, Category, optional
from bot.core.delivery.claimed import Claimed
from bot.core.delivery.outbox import Outbox, OutboxMessage, OutboxStatus, Priority, Queued
from bot.core.delivery.paid import PaidLane
from bot.core.delivery.policy import AllowAll, Candidate, Decision, DeliveryPolicy
from bot.core.delivery.posting import Posting
from bot.core.delivery.sender import OutboxSender
from bot.core.delivery.split import MAX_CAPTION, MAX_TEXT, split_caption, split_text, utf16_len

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "OPTIONAL",
    "TRANSACTIONAL",
    "AllowAll",
    "Candidate",
    "Category",
    "Claimed",
    "Decision",
    "DeliveryPolicy",
    "Outbox",
    "OutboxMessage",
    "OutboxSender",
    "OutboxStatus",
    "PaidLane",
    "Posting",
    "Priority",
    "Queued",
    "optional",
    "pending_count",
    "split_caption",
    "split_text",
    "utf16_len",
]
