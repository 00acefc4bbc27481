"""The mission catalogue: what admins list, add and retire."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import ascii_int
from bot.core.people import N_, _, languages
from bot.modules.missions.models import DESCRIPTION_MAX, TITLE_MAX, Mission

POINTS_MAX = 1000
USAGE = N_("Usage: /addmission <points> <title> | <description>")
IN_OTHER_LANGUAGES = N_(
    "Then, on a line of its own for each other language: uk: <title> | <description>"
)
# A line of a translation: a language code, a colon, the title and the description.
_TRANSLATION = re.compile(r"([a-z]{2,3}(?:-[a-z0-9]{2,8})?)\s*:\s*(.*)", re.DOTALL)


class InvalidMission(ValueError):
    """The admin's /addmission text cannot become a mission; the message says why."""


@dataclass(frozen=True, slots=True)
class NewMission:
    points: int
    title: str
    description: str
    # (language, title, description) for each other language the admin gave.
    translations: tuple[tuple[str, str, str], ...] = ()


def parse_new_mission(text: str) -> NewMission:
    """Parse ``<points> <title> | <description>``, then optional lines
    ``<language>: <title> | <description>`` (a shipped language each, once); raise
    :class:`InvalidMission` if anything is malformed."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if i and _translation_line(line)), None)
    main = "\n".join(lines if first is None else lines[:first])
    mission = _parse_main(main)
    seen: dict[str, tuple[str, str, str]] = {}
    for line in [] if first is None else lines[first:]:
        if not line.strip():
            continue
        match = _TRANSLATION.fullmatch(line.strip())
        if match is None or match[1] not in languages():
            known = ", ".join(languages())
            raise InvalidMission(
                _(
                    "Each line after the first needs a language ({known}), a colon, then "
                    "<title> | <description>."
                ).format(known=known)
            )
        if match[1] in seen:
            raise InvalidMission(_("{language} is given twice.").format(language=match[1]))
        title, description = _title_and_description(match[2])
        seen[match[1]] = (match[1], title, description)
    return NewMission(mission.points, mission.title, mission.description, tuple(seen.values()))


def _translation_line(line: str) -> bool:
    """A line written as a translation (``uk: <title> | <description>``), known language or
    not: an unknown one is refused rather than read as more description."""
    match = _TRANSLATION.fullmatch(line.strip())
    return match is not None and "|" in match[2]


def _title_and_description(text: str) -> tuple[str, str]:
    title, sep, description = text.partition("|")
    title, description = " ".join(title.split()), description.strip()
    if not sep or not title or not description:
        raise InvalidMission(_("Both a title and a description are needed.") + "\n" + _(USAGE))
    if len(title) > TITLE_MAX or len(description) > DESCRIPTION_MAX:
        raise InvalidMission(
            _("Too long: the title may have {title} characters, the description {text}.").format(
                title=TITLE_MAX, text=DESCRIPTION_MAX
            )
        )
    return title, description


def _parse_main(text: str) -> NewMission:
    head, sep, description = text.partition("|")
    points_text, *rest = head.split(None, 1) or [""]  # any whitespace after the points
    title = rest[0] if rest else ""
    if not sep or not points_text:
        raise InvalidMission(_(USAGE) + "\n" + _(IN_OTHER_LANGUAGES))
    points = ascii_int(points_text, 1, POINTS_MAX)
    if points is None:
        raise InvalidMission(
            _("Points must be a whole number from 1 to {max}.").format(max=POINTS_MAX)
        )
    title, description = " ".join(title.split()), description.strip()
    if not title or not description:
        raise InvalidMission(_("Both a title and a description are needed.") + "\n" + _(USAGE))
    if len(title) > TITLE_MAX or len(description) > DESCRIPTION_MAX:
        raise InvalidMission(
            _("Too long: the title may have {title} characters, the description {text}.").format(
                title=TITLE_MAX, text=DESCRIPTION_MAX
            )
        )
    return NewMission(points, title, description)


async def add_mission(session: AsyncSession, new: NewMission, now: datetime) -> Mission:
    mission = Mission(
        title=new.title,
        description=new.description,
        translations={
            language: {"title": title, "description": description}
            for language, title, description in new.translations
        },
        points=new.points,
        kind="custom",
        active=True,
        created_at=now,
    )
    session.add(mission)
    await session.flush()
    return mission


async def retire_mission(session: AsyncSession, mission_id: int) -> Mission | None:
    """Retire a mission (no new assignments; old ones keep it); None if unknown."""
    mission = await session.get(Mission, mission_id)
    if mission is not None:
        mission.active = False
    return mission


async def all_missions(session: AsyncSession) -> list[Mission]:
    return list(await session.scalars(select(Mission).order_by(Mission.active.desc(), Mission.id)))


async def active_missions(session: AsyncSession) -> list[Mission]:
    return list(await session.scalars(select(Mission).where(Mission.active).order_by(Mission.id)))
