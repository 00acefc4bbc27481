"""Audiences on a real database: each facet selects exactly its users, with one SELECT."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.core.people import AudienceRegistry, Scope, parse_audience
from bot.core.people.users import User
from bot.modules.accounts.models import UserTag
from bot.modules.accounts.tags import FACETS as TAGS
from bot.modules.analytics.audience import FACETS as ACTIVITY
from bot.modules.missions.audience import FACETS as MISSIONS
from bot.modules.missions.models import Mission, MissionAssignment, Streak
from bot.modules.subscriptions.audience import FACETS as VIP
from bot.modules.subscriptions.models import Subscription

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
REGISTRY = AudienceRegistry([*VIP, *MISSIONS, *TAGS, *ACTIVITY])
SCOPE = Scope(NOW, "Europe/Kyiv")


def _user(user_id: int, **values: object) -> User:
    defaults: dict[str, object] = {
        "first_name": f"U{user_id}",
        "created_at": NOW - 100 * DAY,
        "last_seen_at": NOW,
        "reachable": True,
    }
    return User(id=user_id, **{**defaults, **values})


@pytest.fixture
async def people(db: Database, migrated: Settings) -> Database:
    """1 uk, VIP, a live 8-day streak, 12 missions, tagged beta; 2 en, expired VIP, seen 40
    days ago, invited by 1; 3 en, in New York, joined yesterday, never VIP; 4 uk but has
    blocked the bot; 5 uk in the bot's zone (none set), its 8-day streak broken."""
    async with db.session() as session:
        session.add_all(
            [
                _user(1, language="uk", timezone="Europe/Kyiv"),
                _user(2, language_code="en", last_seen_at=NOW - 40 * DAY, referrer_id=1),
                _user(
                    3,
                    language_code="en",
                    timezone="America/New_York",
                    created_at=NOW - DAY,
                    source="spring",
                ),
                _user(4, language="uk", reachable=False),
                _user(5, language="uk"),
            ]
        )
        session.add_all(
            [
                Subscription(
                    user_id=1, starts_at=NOW - DAY, ends_at=NOW + 30 * DAY, updated_at=NOW
                ),
                Subscription(
                    user_id=2, starts_at=NOW - 60 * DAY, ends_at=NOW - 30 * DAY, updated_at=NOW
                ),
                Subscription(
                    user_id=4, starts_at=NOW - DAY, ends_at=NOW + 30 * DAY, updated_at=NOW
                ),
                Streak(user_id=1, current=8, best=8, last_completed_day=NOW.date() - DAY),
                Streak(user_id=5, current=8, best=8, last_completed_day=NOW.date() - 10 * DAY),
                UserTag(user_id=1, tag="beta", created_at=NOW),
                UserTag(user_id=4, tag="beta", created_at=NOW),
            ]
        )
        mission = Mission(title="Walk", description="", points=5, kind="daily", created_at=NOW)
        session.add(mission)
        await session.flush()
        for n in range(12):
            session.add(_done(1, mission.id, date(2026, 11, 1) + n * DAY))
        session.add(_done(3, mission.id, date(2026, 12, 6)))
    return db


def _done(user_id: int, mission_id: int, day: date) -> MissionAssignment:
    at = datetime.combine(day, datetime.min.time(), UTC)
    return MissionAssignment(
        user_id=user_id, mission_id=mission_id, day=day, status="done", assigned_at=at
    )


async def _who(db: Database, line: str) -> set[int]:
    audience = parse_audience(line)
    async with db.session() as session:
        ids = set((await session.scalars(REGISTRY.select_ids(audience, SCOPE))).all())
        counted = await session.scalar(REGISTRY.count_query(audience, SCOPE))
    assert counted == len(ids)
    return ids


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", {1, 2, 3, 5}),  # everyone reachable
        ("lang:uk", {1, 5}),
        ("lang:en", {2, 3}),
        ("lang:en,uk", {1, 2, 3, 5}),
        ("tz:Europe/Kyiv", {1, 2, 5}),  # 2 and 5 set none: the bot's zone
        ("tz:America/New_York", {3}),
        ("seen:30d", {1, 3, 5}),
        ("-seen:30d", {2}),
        ("joined:7d", {3}),
        ("-joined:7d", {1, 2, 5}),
        ("referred:yes", {2}),
        ("referred:no", {1, 3, 5}),
        ("vip:active", {1}),  # 4 is VIP too, but has blocked the bot
        ("vip:expired", {2}),
        ("vip:never", {3, 5}),
        ("vip:active,expired", {1, 2}),
        ("-vip:never", {1, 2}),
        ("streak:7+", {1}),  # 5's streak of 8 is broken
        ("streak:0", {1, 2, 3, 5}),
        ("missions:10+", {1}),
        ("missions:1", {1, 3}),
        ("-missions:1", {2, 5}),
        ("tag:beta", {1}),
        ("source:spring", {3}),
        ("-source:spring", {1, 2, 5}),
        ("source:Spring", set()),  # sources are kept as written
        ("-tag:beta", {2, 3, 5}),
        ("lang:uk -tag:beta", {5}),
        ("lang:en seen:30d vip:never", {3}),
    ],
)
async def test_each_audience_reaches_exactly_its_users(
    people: Database, line: str, expected: set[int]
) -> None:
    assert await _who(people, line) == expected


async def test_an_audience_is_one_statement_over_users(people: Database) -> None:
    """Compiled, the audience is a single SELECT on users with sub-selects (no rows loaded
    into Python to filter)."""
    audience = parse_audience("lang:uk vip:active streak:7+ missions:10+ tag:beta seen:1d")
    statement = REGISTRY.select_ids(audience, SCOPE)
    assert str(statement).count("FROM users") == 1
    async with people.session() as session:
        assert list(await session.scalars(statement)) == [1]
