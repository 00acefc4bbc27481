"""What the bot holds about each person, part by part: exported by /mydata, anonymised by
/forgetme.

Each module declares, in its ``register()``, a :class:`Holding`: the columns of its tables
that name a person (``Rule``: the rows whose ``transactions.user_id`` is theirs, and what
forgetting does to them) and, where a rule is not enough, an exporter
``(session, user_id) -> dict`` and a forgetter ``(session, user_id, stand_in) -> None``.
Core's own parts (the users row, per-user times, the outbox, job runs and console records)
are :data:`CORE`, registered by the registry itself.

Forgetting deletes what is only the person's (their profile, settings, messages queued to
them) and gives what others depend on (a ledger entry, a referrer's reward, a moderator's
decision, a day's activity) to a *stand-in*: an id drawn at random for this one forgetting
from ``[2**62, 2**63)``, far above Telegram's user ids (at most 52 bits) and positive, so it
is never a group's chat id and is never sent to. Sums stay whole (per day, per referrer,
per moderator), and nothing leads back to the person: the id is not derived from theirs.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import Base

STAND_IN_BASE = 2**62  # stand-ins are in [STAND_IN_BASE, 2**63): no Telegram id is
STAND_IN_SPAN = 2**62 - 1

Exporter = Callable[[AsyncSession, int], Awaitable[dict[str, Any]]]
Forgetter = Callable[[AsyncSession, int, int], Awaitable[None]]
# What a person gives up by being forgotten (translated lines), e.g. a running subscription.
Warner = Callable[[int], Awaitable[list[str]]]
# Done before forgetting, outside its transaction: what only Telegram can do for the real id
# (cancel a renewing subscription, remove them from a chat).
Before = Callable[[int], Awaitable[None]]
Condition = Callable[[Table], ColumnElement[bool]]


class Action(StrEnum):
    DELETE = "delete"  # the rows are the person's only: they go
    REPLACE = "replace"  # others depend on them: the stand-in takes the person's place


def stand_in() -> int:
    """A fresh stand-in id (random, so it says nothing about the person it replaces)."""
    return STAND_IN_BASE + secrets.randbelow(STAND_IN_SPAN)


def is_stand_in(user_id: int) -> bool:
    return user_id >= STAND_IN_BASE


def _plain(value: Any) -> Any:
    """``value`` as JSON can carry it (times in ISO 8601)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """The rows of one table whose ``column`` ("table.column") names the person, and what
    forgetting does with them.

    ``clear``: other columns set on the rows kept (a name beside the id; or the column
    itself, to something other than the stand-in); ``only``: the
    rows it applies to (a condition on the table; default all); ``shown``: the columns
    /mydata shows (default all; fewer where the rows are someone else's, such as the users
    a person invited); ``label``: the section of the export (default the table's name;
    rules with one label share a section, each row once).
    """

    column: str
    action: Action = Action.REPLACE
    clear: Mapping[str, Any] = field(default_factory=dict)
    only: Condition | None = None
    shown: Sequence[str] | None = None
    label: str | None = None
    exported: bool = True

    @property
    def table_name(self) -> str:
        return self.column.split(".", 1)[0]

    @property
    def section(self) -> str:
        return self.label or self.table_name

    def resolve(self) -> tuple[Table, Column[Any]] | None:
        """The table and column, if the table is part of this application's schema."""
        table_name, column_name = self.column.split(".", 1)
        table = Base.metadata.tables.get(table_name)
        if table is None:
            return None
        return table, table.c[column_name]

    def _where(self, table: Table, column: Column[Any], user_id: int) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [column == user_id]
        if self.only is not None:
            conditions.append(self.only(table))
        return conditions

    async def rows(self, session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
        """The person's rows, as plain dictionaries (oldest first where the table has ids)."""
        resolved = self.resolve()
        if resolved is None or not self.exported:
            return []
        table, column = resolved
        shown = [table.c[name] for name in self.shown] if self.shown else list(table.c)
        order = list(table.primary_key.columns)
        query = select(*shown).where(*self._where(table, column, user_id)).order_by(*order)
        result = await session.execute(query)
        return [{key: _plain(value) for key, value in row.items()} for row in result.mappings()]

    async def apply(self, session: AsyncSession, user_id: int, stand_in: int) -> None:
        """Delete the person's rows, or give them to ``stand_in`` (with ``clear`` set)."""
        resolved = self.resolve()
        if resolved is None:
            return
        table, column = resolved
        where = self._where(table, column, user_id)
        if self.action is Action.DELETE:
            await session.execute(delete(table).where(*where))
            return
        values = {column.name: stand_in, **self.clear}
        await session.execute(update(table).where(*where).values(values))


@dataclass(frozen=True, slots=True)
class Holding:
    """What one part of the bot (a module, or core) holds about people.

    ``claims``: the "table.column"s its ``export``/``forget`` cover beyond its rules (the
    coverage test checks every column that names a person is claimed by some holding).
    """

    name: str
    rules: Sequence[Rule] = ()
    export: Exporter | None = None
    forget: Forgetter | None = None
    warn: Warner | None = None
    before: Before | None = None
    claims: Sequence[str] = ()

    def claimed(self) -> set[str]:
        return {rule.column for rule in self.rules} | set(self.claims)

    async def exported(self, session: AsyncSession, user_id: int) -> dict[str, Any]:
        sections: dict[str, list[dict[str, Any]]] = {}
        for rule in self.rules:
            if not rule.exported:
                continue
            rows = sections.setdefault(rule.section, [])
            rows += [row for row in await rule.rows(session, user_id) if row not in rows]
        document: dict[str, Any] = dict(sections)
        if self.export is not None:
            document.update(await self.export(session, user_id))
        return document

    async def forgotten(self, session: AsyncSession, user_id: int, stand_in: int) -> None:
        if self.forget is not None:  # first: it may read rows the rules then change
            await self.forget(session, user_id, stand_in)
        for rule in self.rules:
            await rule.apply(session, user_id, stand_in)


UPDATE_SHOWN = ("update_id", "received_at", "payload")

CORE = Holding(
    "core",
    rules=(
        Rule("users.id", Action.DELETE, label="profile"),
        # The users they invited stay; "invited by" names the stand-in. Their own data is
        # theirs: the export shows only when each joined.
        Rule("users.referrer_id", shown=("created_at",), label="invited_users"),
        Rule("user_schedules.user_id", Action.DELETE, label="daily_times"),
        Rule("outbox.user_id", Action.DELETE, label="messages"),
        Rule("outbox.chat_id", Action.DELETE, label="messages"),
        # Updates a webhook replica recorded (kept a day): one already handled stays, for
        # its update_id (a retry is still dropped), without its chat or content; one not
        # handled yet goes (its replica records it anew when it handles it).
        Rule(
            "received_updates.chat_id",
            clear={"chat_id": None, "lane": None, "payload": None},
            only=lambda table: table.c.handled_at.is_not(None),
            shown=UPDATE_SHOWN,
            label="updates_received",
        ),
        Rule(
            "received_updates.chat_id",
            Action.DELETE,
            only=lambda table: table.c.handled_at.is_(None),
            shown=UPDATE_SHOWN,
            label="updates_received",
        ),
        # What an admin or moderator did stays theirs to account for, under the stand-in.
        Rule("job_runs.requested_by", label="job_runs_requested"),
        Rule("console_audit.user_id", label="console_audit"),
        Rule("console_sessions.user_id", Action.DELETE, label="console_sessions", exported=False),
        Rule("console_logins.user_id", Action.DELETE, label="console_logins", exported=False),
    ),
    claims=("console_sessions.user_id", "console_logins.user_id"),
)


class PersonalRegistry:
    """Every :class:`Holding`, core's first; exports and forgets a person across them."""

    __slots__ = ("_holdings",)

    def __init__(self) -> None:
        self._holdings: dict[str, Holding] = {CORE.name: CORE}

    def add(self, holding: Holding) -> None:
        if holding.name in self._holdings:
            raise ValueError(f"personal data of {holding.name!r} registered twice")
        self._holdings[holding.name] = holding

    def __iter__(self) -> Iterator[Holding]:
        return iter(self._holdings.values())

    def claimed(self) -> set[str]:
        """Every "table.column" some holding exports and forgets."""
        return set().union(*(holding.claimed() for holding in self))

    async def export(self, session: AsyncSession, user_id: int) -> dict[str, Any]:
        """Everything held about ``user_id``, by part (empty parts left out)."""
        parts = {holding.name: await holding.exported(session, user_id) for holding in self}
        return {name: part for name, part in parts.items() if any(part.values())}

    async def holds(self, session: AsyncSession, user_id: int) -> bool:
        """Whether any row names ``user_id`` (a registered user, or any record of theirs)."""
        for holding in self:
            for rule in holding.rules:
                resolved = rule.resolve()
                if resolved is None:
                    continue
                _table, column = resolved
                if await session.scalar(select(column).where(column == user_id).limit(1)):
                    return True
        return False

    async def warnings(self, user_id: int) -> list[str]:
        """What ``user_id`` gives up by being forgotten, every part's lines."""
        lines: list[str] = []
        for holding in self:
            if holding.warn is not None:
                lines += await holding.warn(user_id)
        return lines

    async def prepare(self, user_id: int) -> None:
        """What must be done with Telegram for the real id before it is forgotten."""
        for holding in self:
            if holding.before is not None:
                await holding.before(user_id)

    async def forget(self, session: AsyncSession, user_id: int) -> int:
        """Anonymise ``user_id`` in every part, in ``session``'s transaction; the stand-in.
        The modules' parts go first, core's last (its users row is the person's anchor)."""
        standing = stand_in()
        holdings = list(self)
        for holding in [*holdings[1:], holdings[0]]:
            await holding.forgotten(session, user_id, standing)
        return standing


def personal_columns(table: Table) -> list[str]:
    """The integer columns of ``table`` that, by their name, hold a person's (or a chat's)
    id: ``*user_id``, ``*chat_id``, ``author_id``, ``invitee_id``, ``inviter_id``,
    ``referrer_id``, ``*_by`` (who created, decided, confirmed), and ``users.id``."""
    names = ("user_id", "chat_id", "author_id", "invitee_id", "inviter_id", "referrer_id", "_by")
    numbers = [c for c in table.c if isinstance(c.type, Integer)]
    found = [c.name for c in numbers if c.name.endswith(names)]
    if table.name == "users":
        found.insert(0, "id")
    return [f"{table.name}.{name}" for name in found]


__all__ = [
    "CORE",
    "STAND_IN_BASE",
    "Action",
    "Before",
    "Exporter",
    "Forgetter",
    "Holding",
    "PersonalRegistry",
    "Rule",
    "Warner",
    "is_stand_in",
    "personal_columns",
    "stand_in",
]
