"""The Stars books checked against Telegram's, and ``/stars`` for the admins.

``subscriptions.reconcile_stars`` pages through ``getStarTransactions`` (oldest first,
100 a page) and compares Telegram's payments and refunds with the stored charges:

- a payment Telegram has and the bot does not (its ``successful_payment`` never arrived)
  whose invoice payload the bot made for that payer is stored and granted through the
  same path as an arrived one (``charges.store``, ``settle.grant_paid``), so it is granted
  once however often the job runs; the payer is told;
- a charge the bot has and Telegram does not, an amount that differs, a refund on one
  side only, and a payment the bot cannot take over (not its payload, or refunded
  already) are flagged.

The admins get one alert listing the differences (the same list alerts once); the run's
summary counts them. ``/stars`` shows the bot's balance (``getMyStarBalance``) and the
Stars taken per day and per month from the stored charges (granted minus refunded).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import select
from telegram import Bot, StarTransaction, TransactionPartnerUser, Update
from telegram.error import TelegramError

from bot.core.context import BotContext, Services
from bot.core.delivery import Category
from bot.core.jobs import JobContext
from bot.core.kernel import get_logger
from bot.core.people import _, number, translatable
from bot.modules.subscriptions import charges, payments, service, settle
from bot.modules.subscriptions.charges import Charge
from bot.modules.subscriptions.models import ChargeState, StarPayment

log = get_logger(__name__)

PAGE = 100  # getStarTransactions' largest page
DAYS, MONTHS = 7, 3  # what /stars shows
ALERT_LINES = 50  # differences listed in the alert; the rest are counted


@dataclass(frozen=True, slots=True)
class Paid:
    """A payment as Telegram's books have it."""

    charge_id: str
    user_id: int
    amount: int
    payload: str


@dataclass(slots=True)
class Ledger:
    """Telegram's side: the payments by charge id, the refunded charge ids, how many
    transactions were read."""

    paid: dict[str, Paid] = field(default_factory=dict)
    refunded: set[str] = field(default_factory=set)
    read: int = 0


class Kind(StrEnum):
    RECOVERED = "recovered"  # Telegram's payment, lost on the way: stored and granted now
    MISSING = "missing"  # on record, unknown to Telegram
    AMOUNT = "amount"  # the amounts differ
    REFUND = "refund"  # refunded on one side only
    FOREIGN = "foreign"  # Telegram's payment the bot cannot take over


@dataclass(frozen=True, slots=True)
class Difference:
    kind: Kind
    charge_id: str
    user_id: int
    ours: int | None = None  # Stars on record
    theirs: int | None = None  # Stars at Telegram
    note: str = ""

    def text(self) -> str:
        """The line for the admins' alert, in the current language."""
        values = {"id": self.charge_id, "user": self.user_id}
        if self.kind == Kind.RECOVERED:
            line = _("{id} by {user}: paid at Telegram but never arrived; stored and granted")
            if self.note:
                line = _(
                    "{id} by {user}: paid at Telegram but never arrived; stored, grant "
                    "pending (retried every minute): {error}"
                )
            return line.format(**values, error=self.note)
        if self.kind == Kind.MISSING:
            text = _("{id} by {user}: on record ({ours} Stars) but not at Telegram")
            return text.format(**values, ours=self.ours)
        if self.kind == Kind.AMOUNT:
            text = _("{id} by {user}: {ours} Stars on record, {theirs} at Telegram")
            return text.format(**values, ours=self.ours, theirs=self.theirs)
        if self.kind == Kind.REFUND:
            if self.note == "telegram":
                text = _("{id} by {user}: refunded at Telegram, not on record")
            else:
                text = _("{id} by {user}: refunded on record, not at Telegram")
            return text.format(**values)
        if self.note == "refunded":
            text = _("{id} by {user}: paid and refunded at Telegram, never on record")
            return text.format(**values)
        text = _(
            "{id} by {user}: paid at Telegram ({theirs} Stars) with a payload the bot "
            "did not make for them: {payload}"
        )
        return text.format(**values, theirs=self.theirs, payload=repr(self.note))


# -- Telegram's side -----------------------------------------------------------------
async def fetch_ledger(bot: Bot, page: int = PAGE) -> Ledger:
    """Every Stars transaction of the bot, a page at a time until a short page."""
    ledger, offset = Ledger(), 0
    while True:
        batch = (await bot.get_star_transactions(offset=offset, limit=page)).transactions
        for transaction in batch:
            _note_transaction(ledger, transaction)
        ledger.read += len(batch)
        offset += len(batch)
        if len(batch) < page:
            return ledger


def _note_transaction(ledger: Ledger, transaction: StarTransaction) -> None:
    source, receiver = transaction.source, transaction.receiver
    if isinstance(source, TransactionPartnerUser) and source.invoice_payload is not None:
        ledger.paid[transaction.id] = Paid(
            transaction.id, source.user.id, transaction.amount, source.invoice_payload
        )
    elif isinstance(receiver, TransactionPartnerUser):
        ledger.refunded.add(transaction.id)  # a refund carries the charge's id


def _made_for(paid: Paid) -> bool:
    """Whether the payload is one the bot makes, for this payer."""
    try:
        offer = payments.parse_payload(paid.payload)
    except payments.PaymentError:
        return False
    return offer.user_id == paid.user_id


# -- the comparison --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OnRecord:
    charge_id: str
    user_id: int
    stars: int
    refunded: bool


async def _on_record(services: Services) -> dict[str, OnRecord]:
    query = select(
        StarPayment.charge_id, StarPayment.user_id, StarPayment.stars, StarPayment.state
    ).where(StarPayment.currency == payments.CURRENCY)
    async with services.db.session() as session:
        rows = (await session.execute(query)).all()
    return {
        charge_id: OnRecord(charge_id, user_id, stars, state == ChargeState.REFUNDED)
        for charge_id, user_id, stars, state in rows
    }


def compare(ledger: Ledger, ours: dict[str, OnRecord]) -> tuple[list[Paid], list[Difference]]:
    """The payments to take over (lost on the way), and the differences to flag."""
    lost: list[Paid] = []
    flagged: list[Difference] = []
    for charge_id, paid in ledger.paid.items():
        row = ours.get(charge_id)
        refunded = charge_id in ledger.refunded
        if row is None:
            if refunded:
                flagged.append(Difference(Kind.FOREIGN, charge_id, paid.user_id, note="refunded"))
            elif _made_for(paid):
                lost.append(paid)
            else:
                flagged.append(
                    Difference(
                        Kind.FOREIGN, charge_id, paid.user_id, theirs=paid.amount, note=paid.payload
                    )
                )
            continue
        if row.stars != paid.amount:
            flagged.append(
                Difference(Kind.AMOUNT, charge_id, row.user_id, ours=row.stars, theirs=paid.amount)
            )
        if refunded != row.refunded:
            note = "telegram" if refunded else "bot"
            flagged.append(Difference(Kind.REFUND, charge_id, row.user_id, note=note))
    for charge_id, row in ours.items():
        if charge_id not in ledger.paid:
            flagged.append(Difference(Kind.MISSING, charge_id, row.user_id, ours=row.stars))
    return lost, flagged


async def _take_over(services: Services, bot: Bot, paid: Paid) -> Difference:
    """Store a lost payment, then grant it as an arrived one would be (once: the stored
    charge is the key); when the grant fails, settle_payments retries it."""
    charge = Charge(
        charge_id=paid.charge_id,
        user_id=paid.user_id,
        amount=paid.amount,
        currency=payments.CURRENCY,
        payload=paid.payload,
    )
    async with services.db.session() as session:
        await charges.store(session, charge, services.clock.now())
    try:
        outcome = await settle.grant_paid(services, bot, paid.charge_id)
    except Exception as exc:
        log.exception("lost Stars payment stored, not granted yet", charge_id=paid.charge_id)
        return Difference(Kind.RECOVERED, paid.charge_id, paid.user_id, note=settle.brief(exc))
    if outcome is not None:
        async with services.db.session() as session:
            await service.tell(
                services.outbox,
                session,
                category=Category.RECEIPT,
                user_id=paid.user_id,
                key=f"recovered:{paid.charge_id}",
                text=functools.partial(_payer_text, paid),
            )
    log.info("lost Stars payment stored and granted", charge_id=paid.charge_id)
    return Difference(Kind.RECOVERED, paid.charge_id, paid.user_id, theirs=paid.amount)


def _payer_text(paid: Paid) -> str:
    return _(
        "Your payment {id} ({stars} Stars) had not reached the bot; it is recorded now and "
        "your VIP access is granted."
    ).format(id=paid.charge_id, stars=number(paid.amount))


@dataclass(frozen=True, slots=True)
class Reconciled:
    read: int
    on_record: int
    differences: Sequence[Difference]

    def count(self, kind: Kind) -> int:
        return sum(d.kind == kind for d in self.differences)


async def reconcile(services: Services, bot: Bot, page: int = PAGE) -> Reconciled:
    """Compare the books, take over lost payments, alert the admins once per list of
    differences."""
    ledger = await fetch_ledger(bot, page)
    ours = await _on_record(services)
    lost, flagged = compare(ledger, ours)
    differences = [await _take_over(services, bot, paid) for paid in lost] + flagged
    if differences:
        digest = hashlib.sha256(
            "\n".join(
                sorted(f"{d.kind}:{d.charge_id}:{d.ours}:{d.theirs}" for d in differences)
            ).encode()
        ).hexdigest()[:16]
        await settle.alert(
            services, bot, f"stars-books:{digest}", functools.partial(_alert_text, differences)
        )
    return Reconciled(ledger.read, len(ours), differences)


def _alert_text(differences: Sequence[Difference]) -> str:
    head = _("The Stars books differ from Telegram's ({count}):").format(count=len(differences))
    lines = [f"- {d.text()}" for d in differences[:ALERT_LINES]]
    if len(differences) > ALERT_LINES:
        lines.append(_("... and {count} more").format(count=len(differences) - ALERT_LINES))
    return "\n".join([head, *lines])


async def reconcile_stars(ctx: JobContext[Services]) -> str:
    """The daily job: reconcile, and say what was found."""
    done = await reconcile(ctx.services, ctx.bot)
    counts = {kind: done.count(kind) for kind in Kind}
    return translatable(
        lambda: _(
            "read {read} Telegram transactions, {ours} charges on record: {recovered} lost "
            "payments stored and granted, {missing} missing at Telegram, {amount} amounts "
            "differ, {refund} refunds differ, {foreign} not the bot's"
        ).format(read=done.read, ours=done.on_record, **counts)
    )


# -- /stars ------------------------------------------------------------------------------
def _day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start, end = (
        datetime.combine(d, time(0), tz).astimezone(UTC) for d in (day, day + timedelta(1))
    )
    return start, end


def _month_start(day: date, back: int) -> date:
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


async def revenue(
    services: Services, today: date, tz: tzinfo
) -> tuple[list[tuple[date, int]], list[tuple[date, int]]]:
    """The Stars taken (granted minus refunded) on each of the last DAYS days and in each
    of the last MONTHS months (the current ones included), newest first, days in ``tz``."""
    days: list[tuple[date, int]] = []
    months: list[tuple[date, int]] = []
    async with services.db.session() as session:
        for back in range(DAYS):
            day = today - timedelta(days=back)
            days.append((day, await charges.stars_revenue(session, *_day_bounds(day, tz))))
        for back in range(MONTHS):
            first, after = _month_start(today, back), _month_start(today, back - 1)
            start = _day_bounds(first, tz)[0]
            end = _day_bounds(after, tz)[0]
            months.append((first, await charges.stars_revenue(session, start, end)))
    return days, months


async def report(services: Services, bot: Bot) -> str:
    """What /stars shows, in the current language."""
    try:
        balance = await bot.get_my_star_balance()
        head = _("Stars balance: {amount}").format(amount=number(balance.amount))
    except TelegramError as exc:
        head = _("Stars balance: Telegram did not answer ({error})").format(error=exc)
    tz = services.settings.tz
    today = services.clock.now().astimezone(tz).date()
    days, months = await revenue(services, today, tz)
    lines = [head, "", _("Stars revenue per day (granted minus refunded):")]
    lines += [f"{day.isoformat()}: {number(stars)}" for day, stars in days]
    lines += ["", _("Stars revenue per month:")]
    lines += [f"{first:%Y-%m}: {number(stars)}" for first, stars in months]
    return "\n".join(lines)


async def stars_command(update: Update, context: BotContext) -> None:
    """/stars: the bot's Stars balance and revenue (admins)."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(await report(context.services, context.bot))
