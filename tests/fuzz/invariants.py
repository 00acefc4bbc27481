"""What must hold after every step of the chat fuzzer, as lists of problems (empty: fine)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.core.kernel.db import Base
from bot.modules.economy.models import Balance, LedgerEntry
from bot.modules.subscriptions.models import InviteLink
from tests.e2e.conftest import Harness
from tests.e2e.test_commands_authz import Dump
from tests.fuzz.actions import SILENT, Step


def answered(h: Harness, step: Step, sent_before: int) -> list[str]:
    """A private command got a message back; a press got answerCallbackQuery."""
    world, problems = h.sandbox.world, []
    if step.private_command and step.actor is not None:
        new = [m for m in world.messages[sent_before:] if m.chat_id == step.actor]
        if not new:
            problems.append("the private command got no answer")
    if step.query_id is not None:
        answers = [a for a in world.callback_answers if a.get("callback_query_id") == step.query_id]
        if not answers:  # a second answer is harmless: Telegram refuses it ("query is too old")
            problems.append("the press was not answered")
    return problems


async def joins_approved_for_their_link(h: Harness, step: Step, decided: int) -> list[str]:
    """A join request is approved only for the subscriber its link was made for."""
    if step.join is None:
        return []
    user, link = step.join
    approved = [d for d in h.sandbox.world.join_decisions[decided:] if d[0] == "approve"]
    if not approved:
        return []
    async with h.services.db.session() as session:
        owner = await session.scalar(select(InviteLink.user_id).where(InviteLink.link == link))
    return [] if owner == user else [f"{user} was let in with a link made for {owner}"]


def silent_untouched(h: Harness) -> list[str]:
    """The bot wrote nothing to anyone who never wrote to it."""
    return [
        f"sent {m.text!r} to {user}, who never wrote"
        for user in SILENT
        for m in h.sandbox.world.to(user)
    ]


async def ledger_balanced(h: Harness) -> list[str]:
    """Every balance is the sum of its ledger entries."""
    async with h.services.db.session() as session:
        sums = dict(
            (
                await session.execute(
                    select(LedgerEntry.user_id, func.sum(LedgerEntry.amount)).group_by(
                        LedgerEntry.user_id
                    )
                )
            ).all()
        )
        balances = dict((await session.execute(select(Balance.user_id, Balance.points))).all())
    users = set(sums) | set(balances)
    return [
        f"user {u}: balance {balances.get(u, 0)} but ledger sum {sums.get(u, 0)}"
        for u in sorted(users)
        if int(balances.get(u, 0) or 0) != int(sums.get(u, 0) or 0)
    ]


def unchanged(before: Dump, after: Dump) -> list[str]:
    """Tables that differ, with a few of the rows that came or went."""
    problems = []
    for table in before:
        if before[table] != after[table]:
            gone = [r for r in before[table] if r not in after[table]][:2]
            came = [r for r in after[table] if r not in before[table]][:2]
            problems.append(f"table {table} changed: -{_short(gone)} +{_short(came)}")
    return problems


def others_unchanged(
    before: Dump, after: Dump, actor: int, skip: frozenset[str], rewarded: int | None = None
) -> list[str]:
    """Rows that belong to someone other than ``actor`` (by ``user_id``, or ``users.id``)
    are unchanged, in every table but ``skip``; ``rewarded`` (the inviter the step paid a
    referral reward, see :func:`referral_rewarded`) may see their points move."""
    problems = []
    for table in before.keys() - skip:
        column = _owner_column(table)
        if column is None:
            continue
        mine = {actor} | ({rewarded} if rewarded is not None and table in REWARD else set())
        was = [r for r in before[table] if r[column] not in mine]
        now = [r for r in after[table] if r[column] not in mine]
        if was != now:
            gone, came = [r for r in was if r not in now], [r for r in now if r not in was]
            problems.append(
                f"{table} rows of others changed by {actor}: -{_short(gone)} +{_short(came)}"
            )
    return problems


# The tables an inviter's referral reward writes: their ledger entry and their balance.
REWARD = frozenset({"transactions", "balances"})


def referral_rewarded(before: Dump, after: Dump, actor: int) -> int | None:
    """The inviter of ``actor`` if this step added their referral reward for ``actor``
    (a ledger entry of kind ``referral`` whose ref is ``actor``), else None."""
    columns = list(Base.metadata.tables["transactions"].columns.keys())
    owner, kind, ref = (columns.index(c) for c in ("user_id", "reason", "reference"))
    users = list(Base.metadata.tables["users"].columns.keys())
    referrer = next(
        (r[users.index("referrer_id")] for r in after["users"] if r[users.index("id")] == actor),
        None,
    )
    added = [r for r in after["transactions"] if r not in before["transactions"]]
    paid = any(
        r[owner] == referrer and (r[kind], r[ref]) == ("referral", str(actor)) for r in added
    )
    return referrer if referrer is not None and paid else None


def _owner_column(table: str) -> int | None:
    columns = list(Base.metadata.tables[table].columns.keys())
    name = "id" if table == "users" else "user_id"
    return columns.index(name) if name in columns else None


def _short(rows: list[Any]) -> str:
    return repr(rows)[:300]
