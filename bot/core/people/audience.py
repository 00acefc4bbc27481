"""Audiences: who a broadcast reaches, as one small filter over what the bot knows.

An audience is a line of terms, all of which a user must match::

    lang:uk vip:expired seen:30d -tag:tester

- ``name:value`` matches the users the named facet says; ``name:a,b`` any of the values;
- ``-name:value`` the users it does not match;
- no term at all: every reachable user.

The facets are declared as data. The people facets (language, zone, joined, referred,
source) are here; a module adds its own (``Module(audience=(Facet(...),))``: the VIP state,
the streak, tags) without anyone importing its tables. :func:`parse` reads a line totally
(any text gives an :class:`Audience` or an :class:`AudienceError` with what was wrong and the
usage, never another exception); :meth:`AudienceRegistry.where` compiles it to the conditions
of one ``SELECT`` over ``users``: the audience never passes through Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, not_, or_, select

from bot.core.kernel import ascii_int
from bot.core.people.i18n import N_, _, languages
from bot.core.people.reading import language_column
from bot.core.people.users import User
from bot.core.people.zones import ZoneError, parse_zone

MAX_TERMS = 12
MAX_VALUES = 10  # values of one term
MAX_VALUE = 64  # characters of one value
MAX_DAYS = 3650
MAX_COUNT = 1_000_000
SOURCE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz")


class AudienceError(ValueError):
    """An audience line that cannot be read; the message says what, in the reader's language."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What a facet's condition may depend on besides its value."""

    now: datetime
    default_zone: str  # the bot's TIMEZONE: the zone of users who never set theirs


Reader = Callable[[str], Any]  # a value's text -> the value, or None when it is not one
Condition = Callable[[Any, Scope], ColumnElement[bool]]  # a value -> a condition on users


@dataclass(frozen=True, slots=True)
class Facet:
    """One thing an audience can ask about users: ``name:value``.

    ``read`` turns a value's text into the value (None: not a valid value); ``where`` turns a
    value into a condition on ``users`` (a column of :class:`User`, or ``User.id.in_(...)``
    of the module's own table). ``usage`` shows the values, English marked with ``N_``."""

    name: str
    usage: str
    read: Reader = field(compare=False)
    where: Condition = field(compare=False)

    def __post_init__(self) -> None:
        if not self.name or not NAME_CHARS.issuperset(self.name):
            raise ValueError(f"facet name {self.name!r}: lowercase ASCII letters only")


@dataclass(frozen=True, slots=True)
class Term:
    name: str
    values: tuple[str, ...]
    negated: bool = False

    def __str__(self) -> str:
        return f"{'-' if self.negated else ''}{self.name}:{','.join(self.values)}"


@dataclass(frozen=True, slots=True)
class Audience:
    """The terms of an audience line, as read; ``str()`` is its canonical text."""

    terms: tuple[Term, ...] = ()

    @property
    def everyone(self) -> bool:
        return not self.terms

    def __str__(self) -> str:
        return " ".join(str(term) for term in self.terms)


def parse(text: str) -> Audience:
    """The audience ``text`` writes; :class:`AudienceError` when it is not one. Only the
    syntax is checked here; :meth:`AudienceRegistry.check` checks the names and values."""
    words = text.split()
    if len(words) > MAX_TERMS:
        raise AudienceError(_("At most {n} terms in an audience.").format(n=MAX_TERMS))
    terms = []
    for word in words:
        negated = word.startswith("-")
        name, colon, rest = word.removeprefix("-").partition(":")
        if not colon or not name or not NAME_CHARS.issuperset(name):
            raise AudienceError(
                _("“{word}” is not a term: write name:value, e.g. lang:uk.").format(
                    word=word[:MAX_VALUE]
                )
            )
        values = tuple(rest.split(","))
        if len(values) > MAX_VALUES or any(not v or len(v) > MAX_VALUE for v in values):
            raise AudienceError(
                _("“{word}”: give 1 to {n} values, separated by commas.").format(
                    word=word[:MAX_VALUE], n=MAX_VALUES
                )
            )
        terms.append(Term(name, values, negated))
    return Audience(tuple(terms))


def looks_like_audience(line: str) -> bool:
    """True when every word of ``line`` is written as a term (``name:value`` or
    ``-name:value``, a lowercase ASCII name, a value not starting with ``/``): a broadcast
    whose first line is such a line is read as audience and text. ``Note: bring a pen`` and
    ``https://example.org`` are text."""
    words = line.split()
    return bool(words) and all(_term_like(word) for word in words)


def _term_like(word: str) -> bool:
    name, colon, rest = word.removeprefix("-").partition(":")
    return bool(colon and rest and not rest.startswith("/") and name) and NAME_CHARS.issuperset(
        name
    )


class AudienceRegistry:
    """The facets an audience may use: the people facets, and what modules declare."""

    __slots__ = ("_facets",)

    def __init__(self, facets: Iterable[Facet] = ()) -> None:
        self._facets: dict[str, Facet] = {}
        for facet in (*PEOPLE_FACETS, *facets):
            self.add(facet)

    def add(self, facet: Facet) -> None:
        if facet.name in self._facets:
            raise ValueError(f"audience facet {facet.name!r} declared twice")
        self._facets[facet.name] = facet

    @property
    def facets(self) -> Sequence[Facet]:
        return tuple(self._facets.values())

    def usage(self) -> str:
        """Every facet with its values, one per line, in the reader's language."""
        return "\n".join(f"{f.name}:{_(f.usage)}" for f in self._facets.values())

    def check(self, audience: Audience) -> list[tuple[Facet, Term, list[Any]]]:
        """Each term with its facet and its values read; :class:`AudienceError` naming the
        first unknown name or bad value."""
        checked = []
        for term in audience.terms:
            facet = self._facets.get(term.name)
            if facet is None:
                names = ", ".join(self._facets)
                raise AudienceError(
                    _("No audience term “{name}”; the terms are: {names}.").format(
                        name=term.name, names=names
                    )
                )
            values = []
            for text in term.values:
                value = _read(facet, text)
                if value is None:
                    raise AudienceError(
                        _("“{value}” is not a value of {name}: {usage}").format(
                            value=text, name=facet.name, usage=_(facet.usage)
                        )
                    )
                values.append(value)
            checked.append((facet, term, values))
        return checked

    def where(self, audience: Audience, scope: Scope) -> list[ColumnElement[bool]]:
        """The conditions on ``users`` that select ``audience`` (reachable users only)."""
        conditions: list[ColumnElement[bool]] = [User.reachable.is_(True)]
        for facet, term, values in self.check(audience):
            matched = or_(*(facet.where(value, scope) for value in values))
            # A negated term matches where the term is not true: also where it is unknown
            # (NULL, such as a source nobody recorded), which NOT alone would leave out.
            conditions.append(not_(func.coalesce(matched, false())) if term.negated else matched)
        return conditions

    def select_ids(self, audience: Audience, scope: Scope) -> Select[Any]:
        return select(User.id).where(*self.where(audience, scope))

    def count_query(self, audience: Audience, scope: Scope) -> Select[Any]:
        return select(func.count()).select_from(User).where(*self.where(audience, scope))


def _read(facet: Facet, text: str) -> Any:
    try:
        return facet.read(text)
    except (ValueError, ArithmeticError):
        return None


# -- readers a facet can use -----------------------------------------------------------
def choice(*allowed: str) -> Reader:
    """One of ``allowed`` (any case)."""
    return lambda text: text.lower() if text.lower() in allowed else None


def days(text: str) -> timedelta | None:
    """``30d`` (days) or ``12h`` (hours), 1 to ten years."""
    unit = text[-1:].lower()
    count = ascii_int(text[:-1], 1, MAX_DAYS * (24 if unit == "h" else 1))
    if count is None or unit not in ("d", "h"):
        return None
    return timedelta(days=count) if unit == "d" else timedelta(hours=count)


def at_least(text: str) -> int | None:
    """``7`` or ``7+``: at least 7 (0 to a million)."""
    return ascii_int(text.removesuffix("+"), 0, MAX_COUNT)


# -- the people facets -------------------------------------------------------------------
def _language(text: str) -> str | None:
    return text.lower() if text.lower() in languages() else None


def _zone(text: str) -> str | None:
    try:
        return parse_zone(text)
    except ZoneError:
        return None


def _in_zone(zone: str, scope: Scope) -> ColumnElement[bool]:
    if zone == scope.default_zone:
        return or_(User.timezone == zone, User.timezone.is_(None))
    return User.timezone == zone


def _source(text: str) -> str | None:
    """A start-link source as ``/start`` records it (``users.source``): Telegram's
    start-parameter alphabet, up to 64 characters."""
    return text if SOURCE.fullmatch(text) else None


def _referred(value: str, scope: Scope) -> ColumnElement[bool]:
    return User.referrer_id.is_not(None) if value == "yes" else User.referrer_id.is_(None)


PEOPLE_FACETS = (
    Facet(
        "lang",
        N_("the language the user reads, e.g. lang:uk or lang:en,uk"),
        _language,
        lambda language, scope: language_column() == language,
    ),
    Facet(
        "tz",
        N_("the user's time zone, e.g. tz:Europe/Kyiv"),
        _zone,
        _in_zone,
    ),
    Facet(
        "joined",
        N_("registered within that time, e.g. joined:7d (-joined:7d: earlier)"),
        days,
        lambda within, scope: User.created_at >= scope.now - within,
    ),
    Facet(
        "source",
        N_("came through that start link (t.me/<bot>?start=spring), e.g. source:spring"),
        _source,
        lambda source, scope: User.source == source,
    ),
    Facet(
        "referred",
        N_("invited by a friend: referred:yes or referred:no"),
        choice("yes", "no"),
        _referred,
    ),
)
