"""A Stars payment that cannot be lost: stored first, granted after, retried until granted.

``successful_payment`` is delivered once. So the charge is written in its own
transaction before anything else; the grant follows and marks the charge granted in
the grant's transaction. When the grant fails, for whatever reason (the database
locked or gone, Telegram refusing the invite link, a bug), the payer gets the charge
id, the admins an alert, and ``subscriptions.settle_payments`` retries every minute.
When even storing fails, every field of the charge is logged at ERROR for a manual
grant, and the payer and the admins are told.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.core.alerts import Text, alert_admins
from bot.core.context import Services
from bot.core.kernel import get_logger
from bot.core.people import _, speaking, zone_for
from bot.modules.subscriptions import access, charges, renewing, service
from bot.modules.subscriptions.charges import Charge
from bot.modules.subscriptions.models import ChargeState

log = get_logger(__name__)


async def receive(services: Services, bot: Bot, charge: Charge) -> str | None:
    """Store, then grant, one arrived charge; the answer for the payer (None when the
    same charge arrived again and was granted before: nothing to say twice)."""
    try:
        async with services.db.session() as session:
            row = await charges.store(session, charge, services.clock.now())
            state = row.state
    except Exception as exc:
        log.error("Stars payment NOT STORED; grant it by hand", error=repr(exc), **charge.fields())
        error = brief(exc)
        await alert(
            services,
            bot,
            f"stars-unstored:{charge.charge_id}",
            lambda: _("Stars payment {id} NOT STORED (grant by hand): {fields}: {error}").format(
                id=charge.charge_id, fields=charge.fields(), error=error
            ),
        )
        return _(
            "Your payment arrived, but it could not be recorded just now; the admins "
            "have been told and will grant your access. "
            "Payment id: {id}"
        ).format(id=charge.charge_id)
    if state == ChargeState.UNUSABLE:
        return await _unusable(services, bot, charge)
    if state != ChargeState.RECEIVED:
        log.info("payment delivered again; already settled", charge_id=charge.charge_id)
        return None
    return await _grant_now(services, bot, charge)


async def _grant_now(services: Services, bot: Bot, charge: Charge) -> str | None:
    try:
        outcome = await grant_paid(services, bot, charge.charge_id)
    except Exception as exc:
        log.exception("paid but not granted yet; will retry", charge_id=charge.charge_id)
        await _note(services, charge.charge_id, brief(exc))
        error = brief(exc)
        await alert(
            services,
            bot,
            f"stars:{charge.charge_id}",
            lambda: _(
                "Stars payment {id} by {user} stored but not granted yet "
                "(retried every minute): {error}"
            ).format(id=charge.charge_id, user=charge.user_id, error=error),
        )
        return _(
            "Your payment arrived and is safely recorded, but access could not be "
            "granted yet; it will be granted automatically, and the admins have been "
            "told. Payment id: {id}"
        ).format(id=charge.charge_id)
    if outcome is None:
        return None  # a concurrent try granted it and told the user
    async with services.db.session() as session:
        tz = await zone_for(session, charge.user_id, services.settings.tz)
    ends = service.local(outcome.grant.ends_at, tz)
    return _("Thank you! VIP until {ends}; your invite link follows.").format(ends=ends)


async def _unusable(services: Services, bot: Bot, charge: Charge) -> str:
    log.error("Stars payment names nothing to grant", **charge.fields())
    await alert(
        services,
        bot,
        f"stars-unusable:{charge.charge_id}",
        lambda: _(
            "Stars payment {id} by {user} has an unusable payload {payload}: "
            "grant by hand, or /refund {id}"
        ).format(id=charge.charge_id, user=charge.user_id, payload=repr(charge.payload)),
    )
    return _(
        "Your payment arrived, but its invoice was not valid; the admins have been "
        "told and will sort it out. Payment id: {id}"
    ).format(id=charge.charge_id)


async def grant_paid(services: Services, bot: Bot, charge_id: str) -> access.Access | None:
    """Grant what a stored charge bought; None if it is not waiting (granted already or
    refunded). Raises whatever stopped the grant (the charge stays waiting)."""
    async with services.db.session() as session:
        row = await charges.get(session, charge_id)
    if row is None or row.state != ChargeState.RECEIVED:
        return None
    duration = timedelta(days=row.days)
    if row.subscription_expires_at is not None:  # a renewing charge: to exactly its end
        to_end = await renewing.until(services, row.user_id, row.subscription_expires_at)
        if to_end is None:  # access already runs that long: nothing to add
            await renewing.settle_covered(services, charge_id)
            return None
        duration = to_end
    try:
        outcome = await access.grant_access(
            services, bot, row.user_id, duration, charge_id=charge_id
        )
    except access.AlreadyGranted:
        return None
    log.info(
        "Stars payment granted",
        charge_id=charge_id,
        user_id=row.user_id,
        ends_at=outcome.grant.ends_at.isoformat(),
    )
    return outcome


async def settle_waiting(services: Services, bot: Bot, limit: int) -> tuple[int, int, list[str]]:
    """Retry the grant of every waiting charge: (granted, waiting, failures)."""
    async with services.db.session() as session:
        waiting = await charges.waiting(session, limit)
    granted, failures = 0, []
    for charge_id in waiting:
        try:
            granted += await grant_paid(services, bot, charge_id) is not None
        except Exception as exc:
            log.warning("waiting payment still not granted", charge_id=charge_id, error=str(exc))
            failures.append(f"{charge_id}: {brief(exc)}")
            await _note(services, charge_id, brief(exc))
    return granted, len(waiting), failures


async def _note(services: Services, charge_id: str, error: str) -> None:
    try:
        async with services.db.session() as session:
            await charges.note_failure(session, charge_id, error)
    except Exception as exc:  # the database itself may be what fails
        log.warning("grant failure not recorded", charge_id=charge_id, error=str(exc))


def brief(exc: BaseException) -> str:
    """The first line of an error (a database error's text goes on with its SQL)."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


async def alert(services: Services, bot: Bot, key: str, text: Text) -> None:
    """Alert the admins through the outbox; if the database cannot take it (often the
    very trouble being reported), send it to them directly."""
    try:
        async with services.db.session() as session:
            await alert_admins(services, session, key, text)
        return
    except Exception as exc:
        log.warning("alert not queued; sending it directly", key=key, error=str(exc))
    for admin_id in services.settings.admin_ids:
        try:
            with speaking(None):  # the database is away: the default language
                await bot.send_message(admin_id, (text() if callable(text) else text)[:4000])
        except TelegramError as exc:
            log.error("alert not delivered", key=key, admin_id=admin_id, error=str(exc))
