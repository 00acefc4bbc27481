"""The referral module pays a reward once by itself: on a database whose points ledger has
lost its unique key, an invitee's later completions, the sweep and payments racing each
other still credit the inviter once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, text

from bot.app import build_application
from bot.core.context import Services
from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.settings import Settings
from bot.modules.economy.models import Balance, LedgerEntry
from bot.modules.missions import service as missions
from bot.modules.referrals import service as referrals
from bot.modules.referrals.jobs import process
from tests.helpers.clocks import START
from tests.helpers.factories import register_user
from tests.helpers.jobs import manual_context
from tests.helpers.owned import own

INVITER, INVITEE, LATE_INVITEE = 40, 41, 42
# The ledger as it would be without its UNIQUE (user_id, reason, reference).
LOOSE_LEDGER = """CREATE TABLE transactions (
    id INTEGER NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    amount INTEGER NOT NULL,
    reason VARCHAR(32) NOT NULL,
    reference VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL
)"""


async def _loosen_ledger(services: Services) -> None:
    """Drop the ledger's unique key in this test's own database (SQLite cannot drop a
    table's constraint: the empty table is made again without it)."""
    async with services.db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text("DROP TABLE transactions"))
            await conn.execute(text(LOOSE_LEDGER))
        else:
            await conn.execute(
                text("ALTER TABLE transactions DROP CONSTRAINT uq_transactions_user_id")
            )
    async with services.db.session() as session:  # the same credit twice is now stored twice
        for _ in range(2):
            session.add(
                LedgerEntry(user_id=1, amount=1, reason="probe", reference="x", created_at=START)
            )
    async with services.db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM transactions"))


async def _services(settings: Settings) -> tuple[Services, ManualClock]:
    clock = ManualClock(START)
    services = own(build_application(settings, clock=clock).services)
    await _loosen_ledger(services)
    async with services.db.session() as session:
        await register_user(session, INVITER, now=START, first_name="Inviter")
        for invitee in (INVITEE, LATE_INVITEE):
            await register_user(session, invitee, now=START, payload=f"ref_{INVITER}")
    return services, clock


async def _complete_todays_mission(services: Services, clock: ManualClock, user_id: int) -> None:
    """The user completes today's mission (``MissionCompleted``: record, then pay)."""
    day, now = clock.today(services.settings.tz), clock.now()
    async with services.uow() as uow:
        found = await missions.mission_for_today(
            uow, user_id=user_id, day=day, ends_at=clock.now() + timedelta(hours=12), now=now
        )
        assert found is not None
        outcome = await missions.complete(
            uow, user_id=user_id, assignment_id=found[0].id, day=day, now=now
        )
    assert isinstance(outcome, missions.Completion), outcome


async def _pay(services: Services, invitee: int) -> bool:
    async with services.uow() as uow:
        return await referrals.pay(uow, services, invitee)


async def _credits(services: Services) -> list[tuple[int, str, str]]:
    async with services.db.session() as session:
        rows = await session.execute(
            select(LedgerEntry.amount, LedgerEntry.reason, LedgerEntry.reference)
            .where(LedgerEntry.user_id == INVITER)
            .order_by(LedgerEntry.id)
        )
        return [(amount, reason, reference) for amount, reason, reference in rows.all()]


async def _balance_and_notices(services: Services) -> tuple[int, int]:
    async with services.db.session() as session:
        points = await session.scalar(select(Balance.points).where(Balance.user_id == INVITER))
        notices = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.key.like("referral:%"))
        )
    return int(points or 0), int(notices or 0)


async def test_later_completions_and_the_sweep_pay_nothing_more(migrated: Settings) -> None:
    """The invitee completes missions on three days, the hourly sweep runs and pay is
    called again: the inviter's ledger holds one referral credit, the balance is 100."""
    services, clock = await _services(migrated)
    for _day in range(3):
        await _complete_todays_mission(services, clock, INVITEE)
        clock.advance(timedelta(days=1))
    summary = await process(manual_context(services, None, "referrals.process"))
    assert "paid 0" in summary
    assert await _credits(services) == [(referrals.REWARD, "referral", str(INVITEE))]
    assert await _pay(services, INVITEE) is False
    assert await _balance_and_notices(services) == (referrals.REWARD, 1)


async def test_racing_payments_of_one_reward_pay_it_once(migrated: Settings) -> None:
    """A reward recorded but not yet paid (the process stopped in between), then paid by
    eight payments at once and the sweep: exactly one of them pays it."""
    services, _clock = await _services(migrated)
    async with services.db.session() as session:
        assert await referrals.record_due(session, LATE_INVITEE, START)
    paid = await asyncio.gather(*(_pay(services, LATE_INVITEE) for _ in range(8)))
    summary = await process(manual_context(services, None, "referrals.process"))
    assert sum(paid) == 1 and "paid 0" in summary
    assert await _credits(services) == [(referrals.REWARD, "referral", str(LATE_INVITEE))]
    assert await _balance_and_notices(services) == (referrals.REWARD, 1)
