"""Free trials and promo codes: VIP granted through the same path as ``/grant``.

A trial is taken once per user, ever: its row's primary key refuses a second, even two at
once. A code's use is claimed in one transaction before anything is granted: a conditional
``UPDATE ... SET uses_left = uses_left - 1 WHERE uses_left > 0`` (so the uses never exceed
the limit, whoever redeems at the same moment) and the redemption's row, unique per code and
user. A grant that then fails (no VIP chat, Telegram refusing the invite link) gives the
claim back, so a refused redemption changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.core.context import Services
from bot.core.kernel import Database, ascii_int, rowcount
from bot.modules.subscriptions import access, by_admin
from bot.modules.subscriptions.codes_models import VipCode, VipRedemption, VipTrial

_CODE = re.compile(r"[A-Za-z0-9-]{3,32}", re.ASCII)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
MAX_USES = 1_000_000


def parse_code(text: str | None) -> str | None:
    """A promo code as stored (upper case), or None unless ``text`` is 3 to 32 ASCII
    letters, digits or hyphens. Case-insensitive: ``summer-25`` is ``SUMMER-25``."""
    if text is None or not _CODE.fullmatch(text):
        return None
    return text.upper()


def parse_date(text: str | None) -> date | None:
    """``YYYY-MM-DD`` (ASCII digits, a real calendar day) as a date; None otherwise."""
    match = _DATE.fullmatch(text or "")
    if match is None:
        return None
    year, month, day = (ascii_int(part, 1, 9999) for part in match.groups())
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The moment ``day`` ends in ``tz``: a code "expires 2026-12-31" works all that day."""
    return datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)


class Refusal(StrEnum):
    """Why a trial or a code grants nothing (and changed nothing)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    ALREADY = "already"


class Refused(Exception):
    """Nothing was granted, for :attr:`reason`."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


async def add_code(
    db: Database,
    code: str,
    seconds: int,
    uses: int,
    expires_at: datetime | None,
    *,
    by: int,
    now: datetime,
) -> bool:
    """Define a code; False (nothing changed) when one of that name exists."""
    row = VipCode(
        code=code,
        seconds=seconds,
        uses=uses,
        uses_left=uses,
        expires_at=expires_at,
        created_by=by,
        created_at=now,
    )
    try:
        async with db.session() as session:
            session.add(row)
    except IntegrityError:
        return False
    return True


async def list_codes(db: Database) -> list[VipCode]:
    async with db.session() as session:
        return list(await session.scalars(select(VipCode).order_by(VipCode.code)))


async def drop_code(db: Database, code: str) -> bool:
    """Delete a code (its redemptions stay on record); False if there was none."""
    async with db.session() as session:
        return rowcount(await session.execute(delete(VipCode).where(VipCode.code == code))) > 0


async def take_use(session: AsyncSession, code: str, user_id: int, now: datetime) -> int:
    """In ``session``'s transaction: one use of ``code`` taken and the redemption recorded
    (a unique row per code and user); the seconds it is worth. :class:`Refused` when the
    code cannot be used (the caller's transaction then rolls back)."""
    usable = update(VipCode).where(
        VipCode.code == code,
        VipCode.uses_left > 0,
        or_(VipCode.expires_at.is_(None), VipCode.expires_at > now),
    )
    taken = await session.execute(usable.values(uses_left=VipCode.uses_left - 1))
    if rowcount(taken) == 0:
        raise Refused(await _why(session, code, user_id, now))
    if await _redeemed(session, code, user_id):
        raise Refused(Refusal.ALREADY)
    session.add(VipRedemption(code=code, user_id=user_id, redeemed_at=now))
    await session.flush()
    seconds = await session.scalar(select(VipCode.seconds).where(VipCode.code == code))
    assert seconds is not None
    return seconds


async def usable_seconds(db: Database, code: str, user_id: int, now: datetime) -> int:
    """What ``code`` is worth to ``user_id`` now, read without taking anything; Refused
    (unknown, expired, used up, already redeemed) changes nothing."""
    async with db.session() as session:
        row = await session.scalar(select(VipCode).where(VipCode.code == code))
        if (
            row is None
            or row.uses_left <= 0
            or (row.expires_at is not None and row.expires_at <= now)
            or await _redeemed(session, code, user_id)
        ):
            raise Refused(await _why(session, code, user_id, now))
        return row.seconds


async def _why(session: AsyncSession, code: str, user_id: int, now: datetime) -> Refusal:
    if await _redeemed(session, code, user_id):
        return Refusal.ALREADY
    row = await session.scalar(select(VipCode).where(VipCode.code == code))
    if row is None:
        return Refusal.UNKNOWN
    if row.expires_at is not None and row.expires_at <= now:
        return Refusal.EXPIRED
    return Refusal.USED_UP


async def _redeemed(session: AsyncSession, code: str, user_id: int) -> bool:
    found = await session.scalar(
        select(VipRedemption.id).where(VipRedemption.code == code, VipRedemption.user_id == user_id)
    )
    return found is not None


async def redeem(services: Services, bot: Bot, user_id: int, code: str) -> access.Access:
    """Redeem ``code`` for ``user_id``: grant as ``/grant`` does, the code's use taken in the
    grant's own transaction (a crash or a failed grant takes none; two redemptions racing for
    the last use: one grant). Raises :class:`Refused`, :class:`by_admin.UnknownUser` or
    :class:`access.AccessError`, each having changed nothing."""
    now = services.clock.now()
    seconds = await usable_seconds(services.db, code, user_id, now)

    async def claim(session: AsyncSession) -> None:
        await take_use(session, code, user_id, now)

    try:
        return await by_admin.grant(
            services, bot, user_id, f"{seconds}s", by=user_id, via=f"code:{code}", claim=claim
        )
    except IntegrityError:
        raise Refused(Refusal.ALREADY) from None


async def take_trial(services: Services, bot: Bot, user_id: int, days: int) -> access.Access:
    """Grant ``days`` of VIP once per user, ever, as ``/grant`` does; the trial is recorded in
    the grant's own transaction (a failed grant or a crash leaves it untaken; two at once:
    one grant)."""
    now = services.clock.now()
    async with services.db.session() as session:
        if await session.get(VipTrial, user_id) is not None:
            raise Refused(Refusal.ALREADY)

    async def claim(session: AsyncSession) -> None:
        session.add(VipTrial(user_id=user_id, days=days, taken_at=now))
        await session.flush()

    try:
        return await by_admin.grant(
            services, bot, user_id, f"{days}d", by=user_id, via="trial", claim=claim
        )
    except IntegrityError:
        raise Refused(Refusal.ALREADY) from None
