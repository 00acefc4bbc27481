"""Expired VIP invite links are deleted by cleanup.daily through the subscriptions purger."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.core.kernel.retention import PurgeRequest
from bot.modules.cleanup import jobs
from bot.modules.subscriptions.models import InviteLink
from bot.modules.subscriptions.service import purge_expired_links
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.operations import build, job_context


async def test_cleanup_deletes_expired_invite_links_in_batches(tmp_path: Path) -> None:
    """Expired links go (six, with a batch size of 2), the valid one stays; a rerun removes none."""
    settings = make_settings(tmp_path, retention={"batch_size": 2})
    await upgrade_fresh(settings.database_url)
    services, clock, bot = build(settings)
    now = clock.now()
    ages = {f"https://t.me/+old{n}": -timedelta(hours=n + 1) for n in range(5)}
    ages |= {"https://t.me/+edge": timedelta(0), "https://t.me/+live": timedelta(hours=1)}
    async with services.db.session() as session:
        for n, (link, offset) in enumerate(ages.items()):
            session.add(
                InviteLink(
                    link=link,
                    user_id=100 + n,
                    expires_at=now + offset,
                    created_at=now - timedelta(days=1),
                )
            )
    clock.advance(timedelta(seconds=1))  # the edge link has now expired too

    summary = await jobs.daily(job_context(services, bot, "cleanup.daily"))

    assert "subscriptions.invite_links 6" in summary
    async with services.db.session() as session:
        left = list(await session.scalars(select(InviteLink.link)))
    assert left == ["https://t.me/+live"]
    assert await purge_expired_links(PurgeRequest(services.db, clock.now(), 2)) == 0
