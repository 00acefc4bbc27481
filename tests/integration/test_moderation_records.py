"""Moderation's figures in /stats and its retention through cleanup.daily."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.core.context import Services
from bot.modules.cleanup import jobs
from bot.modules.moderation.checks import Draft
from bot.modules.moderation.models import ReviewCard, Submission
from bot.modules.moderation.service import Moderator, decide, submit, withdraw
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.operations import build, job_context

MOD = Moderator(1, "Mod")


async def _suggest(services: Services, text: str, author: int = 5) -> Submission:
    async with services.uow() as uow:
        return await submit(
            uow,
            services.settings.moderation,
            author=Moderator(author, "Author"),
            draft=Draft("text", text),
            now=services.clock.now(),
        )


async def test_day_figures_count_decisions_and_the_median_wait(tmp_path: Path) -> None:
    """Submitted, approved, rejected, auto-rejected, pending, and the median time to decide."""
    settings = make_settings(tmp_path, moderation={"blocked_words": ["spam"]})
    await upgrade_fresh(settings.database_url)
    services, clock, _bot = build(settings)
    for text in ("one", "two", "three", "spam it"):
        await _suggest(services, text)
    for ident, approve, minutes in ((1, True, 10), (2, False, 20)):
        clock.advance(timedelta(minutes=minutes))
        async with services.uow() as uow:
            await decide(
                uow,
                ident,
                approve=approve,
                by=MOD,
                reason="no",
                now=clock.now(),
            )
    async with services.db.session() as session:
        figures = await services.stats.collect(session, clock.now().date())
    assert {k: v for k, v in figures.items() if "suggestion" in k} == {
        "suggestions": 4,
        "suggestions_approved": 1,
        "suggestions_rejected": 1,
        "suggestions_auto_rejected": 1,
        "suggestions_pending": 1,
        "suggestion_median_decision_seconds": (10 * 60 + 30 * 60) // 2,
    }


async def test_cleanup_removes_old_decided_submissions_only(tmp_path: Path) -> None:
    """After MODERATION__RETENTION_DAYS decided ones (and their cards) go; pending ones stay."""
    settings = make_settings(tmp_path, moderation={"retention_days": 30})
    await upgrade_fresh(settings.database_url)
    services, clock, bot = build(settings)
    for text in ("kept pending", "old withdrawn", "recent withdrawn"):
        await _suggest(services, text)
    async with services.uow() as uow:
        await withdraw(uow, 2, 5, clock.now())
        uow.session.add(ReviewCard(submission_id=2, chat_id=1, message_id=77))
    clock.advance(timedelta(days=29))
    async with services.uow() as uow:
        await withdraw(uow, 3, 5, clock.now())
    clock.advance(timedelta(days=2))
    summary = await jobs.daily(job_context(services, bot, "cleanup.daily"))
    assert "moderation.submissions 1" in summary
    async with services.db.session() as session:
        left = list(await session.scalars(select(Submission.text).order_by(Submission.id)))
        cards = list(await session.scalars(select(ReviewCard.id)))
    assert left == ["kept pending", "recent withdrawn"] and cards == []
