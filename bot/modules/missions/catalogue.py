"""The mission catalogue: what admins list, add and retire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import ascii_int
from bot.core.people import N_, _
from bot.modules.missions.models import DESCRIPTION_MAX, TITLE_MAX, Mission

POINTS_MAX = 1000
USAGE = N_("Usage: /addmission <points> <title> | <description>")


class InvalidMission(ValueError):
    """The admin's /addmission text cannot become a mission; the message says why."""


@dataclass(frozen=True, slots=True)
class NewMission:
    points: int
    title: str
    description: str


def parse_new_mission(text: str) -> NewMission:
    """Parse ``<points> <title> | <description>``; raise :class:`InvalidMission` if malformed."""
    head, sep, description = text.partition("|")
    points_text, _sep, title = head.strip().partition(" ")
    if not sep or not points_text:
        raise InvalidMission(_(USAGE))
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
