"""The registry of personal data on a real database: forgetting through every module's
holding in one transaction, where the rules differ by row (a handled update anonymised in
place, one not handled dropped) and a second forgetting finds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.core.people import User
from bot.core.telegram.received import ReceivedUpdate
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.operations import build

PERSON = 8101


async def test_received_updates_are_anonymised_or_dropped_and_forgetting_is_idempotent(
    tmp_path: Path,
) -> None:
    """The handled update keeps its update_id (so a retry is still dropped) without chat or
    payload; the waiting one goes; both were in the export; forgetting again holds nothing."""
    settings = make_settings(tmp_path)
    await upgrade_fresh(settings.database_url)
    services, clock, _bot = build(settings)
    now = clock.now()
    async with services.db.session() as session:
        session.add(User(id=PERSON, first_name="P", created_at=now, last_seen_at=now))
        for update_id, handled in ((1, now), (2, None)):
            session.add(
                ReceivedUpdate(
                    update_id=update_id,
                    received_at=now,
                    chat_id=PERSON,
                    lane=0,
                    payload='{"message": {"text": "hello"}}',
                    handled_at=handled,
                )
            )
    async with services.db.session() as session:
        exported = await services.personal.export(session, PERSON)
    received = exported["core"]["updates_received"]
    assert sorted(row["update_id"] for row in received) == [1, 2]
    assert "hello" in received[0]["payload"]

    async with services.uow() as uow:
        await services.personal.forget(uow.session, PERSON)

    async with services.db.session() as session:
        rows = (await session.execute(select(ReceivedUpdate))).scalars().all()
        assert [(r.update_id, r.chat_id, r.lane, r.payload) for r in rows] == [
            (1, None, None, None)
        ]
        assert not await services.personal.holds(session, PERSON)
        assert await services.personal.export(session, PERSON) == {}
