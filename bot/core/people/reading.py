"""Which language each user reads: their /language choice, else Telegram's, else the default.

The same rule has two forms that must agree: :func:`bot.core.people.i18n.choose` for the user of an
update (whose ``language_code`` comes fresh with it), and :func:`language_column`, the SQL
expression that bulk statements (``INSERT ... SELECT``) group their audience by, so that
nobody's row passes through Python to learn its language.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import Cache, Database, MemoryCache, get_logger, rowcount
from bot.core.people import i18n
from bot.core.people.users import User

log = get_logger(__name__)

# Seconds a process trusts its copy of a user's stored choice. The copy is the process's own
# (:class:`Choices`), not the shared cache: answering must not wait for Redis, and a choice
# made through another process of a cluster reaches this one within this time.
CHOICE_TTL = 60.0
_NONE = "-"  # cached: the bot never met the user


class Choices(MemoryCache):
    """This process's copies of the users' stored language choices."""

    __slots__ = ()


def choices(bot_data: dict[Any, Any]) -> Choices:
    """The application's :class:`Choices` (made on first use, one per application)."""
    found = bot_data.get(_CHOICES)
    if not isinstance(found, Choices):
        found = bot_data[_CHOICES] = Choices()
    return found


_CHOICES = "companion.language_choices"


def language_column() -> Any:
    """SQL for :func:`bot.core.people.i18n.choose` over ``users``: the stored choice if available,
    else the exact ``language_code``, else its primary subtag, else the default."""
    languages = i18n.languages()
    code = func.lower(func.replace(User.language_code, "_", "-"))
    whens: list[tuple[Any, Any]] = [(User.language.in_(languages), User.language)]
    whens += [(code == i18n.tag(language), literal(language)) for language in languages]
    whens += [
        (code.like(i18n.tag(language) + "-%"), literal(language))
        for language in languages
        if "-" not in i18n.tag(language)
    ]
    return case(*whens, else_=literal(i18n.default_language()))


async def language_of(session: AsyncSession, user_id: int) -> str:
    """The language ``user_id`` reads (the default for someone the bot never met)."""
    found = await session.scalar(select(language_column()).where(User.id == user_id))
    return str(found) if found else i18n.default_language()


@asynccontextmanager
async def speaking_to(session: AsyncSession, user_id: int) -> AsyncIterator[str]:
    """Write in ``user_id``'s language inside the block (a message to someone other than
    the user whose update is being handled, or from a job)."""
    with i18n.speaking(await language_of(session, user_id)) as language:
        yield language


async def store_choice(session: AsyncSession, cache: Cache, user_id: int, language: str) -> bool:
    """Record ``user_id``'s /language choice; False for a language the bot lacks or a user
    who never started it."""
    if language not in i18n.languages():
        return False
    result = await session.execute(update(User).where(User.id == user_id).values(language=language))
    if not rowcount(result):
        return False
    await cache.delete(_key(user_id))  # this process reads the new choice at once
    return True


@dataclass(frozen=True, slots=True)
class OnRecord:
    """What the database holds of a user's language: their /language choice (None: none)
    and the Telegram ``language_code`` last recorded."""

    choice: str | None
    code: str | None

    def outdated_by(self, code: str | None) -> bool:
        """Whether Telegram now reports another ``language_code`` than the one recorded."""
        return bool(code) and self.code != (code or "")[:16]


async def on_record(db: Database, cache: Cache, user_id: int) -> OnRecord | None:
    """The user's language as recorded (None: never met, or the database did not answer),
    read through ``cache`` for :data:`CHOICE_TTL` seconds. Reads only."""
    try:
        cached = await cache.get(_key(user_id))
        if cached is not None:
            return _decoded(cached)
        async with db.session() as session:
            query = select(User.language, User.language_code).where(User.id == user_id)
            row = (await session.execute(query)).first()
        found = None if row is None else OnRecord(row.language, row.language_code)
        await cache.set(_key(user_id), _encoded(found), ttl=CHOICE_TTL)
        return found
    except Exception as exc:  # an outage must not stop the answer: Telegram's code will do
        log.info("stored language not read", user_id=user_id, error=str(exc)[:200])
        return None


async def record_language_code(db: Database, cache: Cache, user_id: int, code: str) -> None:
    """Record the ``language_code`` Telegram now reports for ``user_id`` (the user switched
    their app), so that bulk messages, rendered from SQL, follow it."""
    try:
        async with db.session() as session:
            await session.execute(
                update(User).where(User.id == user_id).values(language_code=code[:16])
            )
        await cache.delete(_key(user_id))
    except Exception as exc:  # the next update of this user tries again
        log.info("language code not recorded", user_id=user_id, error=str(exc)[:200])


def answer_language(record: OnRecord | None, code: str | None) -> str:
    """The language to answer in: the stored choice, else ``code`` (Telegram's), else the
    default (:func:`bot.core.people.i18n.choose`)."""
    return i18n.choose(record.choice if record else None, code)


async def reading_language(db: Database, cache: Cache, user_id: int, code: str | None) -> str:
    """The language to answer an update of ``user_id`` in (``code``: its language_code);
    reads only (:func:`record_language_code` is the write)."""
    return answer_language(await on_record(db, cache, user_id), code)


_SEP = "\x1f"  # between the choice and the code in a cached record


def _encoded(record: OnRecord | None) -> str:
    if record is None:
        return _NONE
    return f"{record.choice or ''}{_SEP}{record.code or ''}"


def _decoded(cached: str) -> OnRecord | None:
    if cached == _NONE:
        return None
    choice, _, code = cached.partition(_SEP)
    return OnRecord(choice or None, code or None)


def _key(user_id: int) -> str:
    return f"language:{user_id}"
