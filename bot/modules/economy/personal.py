"""What the economy holds about a person: their ledger, balance and streak gifts.

Forgetting keeps every ledger entry and the balance under the stand-in, so the points
given per day and the sum of balances stay whole; a referrer's reward for the person keeps
its amount and stays the referrer's (its reference, the invitee, names the stand-in). A
gift not yet sent is dropped; one sent or being sent stays, for the month's Stars budget.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.people import Action, Holding, Rule
from bot.modules.economy.models import LedgerEntry
from bot.modules.economy.service import Reason


def _pending(table: Table) -> ColumnElement[bool]:
    return table.c.status == "pending"


async def _forget(session: AsyncSession, user_id: int, stand_in: int) -> None:
    """The inviter's reward for ``user_id`` names the stand-in as its invitee."""
    await session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.reason == Reason.REFERRAL, LedgerEntry.reference == str(user_id))
        .values(reference=str(stand_in))
    )


HOLDING = Holding(
    "economy",
    rules=(
        Rule("transactions.user_id", label="ledger"),
        Rule("balances.user_id", label="balance"),
        Rule("streak_gifts.user_id", Action.DELETE, only=_pending, exported=False),
        Rule("streak_gifts.user_id"),
    ),
    forget=_forget,
)
