"""The life of a submission: every state change is one guarded UPDATE and one event.

A decision is ``UPDATE ... WHERE id = ? AND state = 'pending'``: of two moderators
(or a moderator and the withdrawing author) pressing at once, exactly one changes the
row, and the other is told what happened instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import Event, UnitOfWork, rowcount
from bot.core.people import _
from bot.modules.moderation import checks
from bot.modules.moderation.events import (
    AuthorBanned,
    SubmissionApproved,
    SubmissionAutoRejected,
    SubmissionCancelled,
    SubmissionCreated,
    SubmissionPublished,
    SubmissionRejected,
    SubmissionScheduled,
    SubmissionWithdrawn,
)
from bot.modules.moderation.models import BannedAuthor, State, Submission
from bot.modules.moderation.settings import ModerationRules

# States that count for the duplicate check: what a moderator saw or may still see.
_SEEN = (State.PENDING, State.APPROVED, State.REJECTED, State.SCHEDULED, State.PUBLISHED)
# Refusals by the automatic checks kept as rows, per author over 24 hours: enough for the
# statistics and for a moderator to see someone trying; past them a refusal is answered
# and nothing is written, so a script sending refused posts cannot fill the database.
REFUSALS_KEPT = 5
BANNED_REASON = "the author was banned"
CANCELLED_REASON = "an admin cancelled the scheduled post"


class Refused(ValueError):
    """A submission that is not stored at all (bad shape, banned author); says why."""


@dataclass(frozen=True, slots=True)
class Moderator:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Decided:
    """The result of a decision: ``won`` if this call changed the row."""

    won: bool
    submission: Submission | None


async def submit(
    uow: UnitOfWork,
    rules: ModerationRules,
    *,
    author: Moderator,
    draft: checks.Draft,
    now: datetime,
    origin: tuple[int, int] | None = None,
) -> Submission:
    """Store a pending submission, or an auto-rejected one without its content (author, time,
    reason: at most :data:`REFUSALS_KEPT` a day per author); :class:`Refused` stores nothing.
    ``origin`` is the (chat, message) of a post suggested in the channel's direct messages."""
    session = uow.session
    if await session.get(BannedAuthor, author.id) is not None:
        raise Refused(_("you can no longer suggest posts"))
    shape = checks.check_shape(draft, rules)
    if not shape.ok:
        raise Refused(shape.reason)
    digest = checks.content_hash(draft)
    verdict = checks.check_policy(draft, rules)
    if verdict.ok:
        verdict = checks.check_history(await _history(session, author.id, digest, now), rules)
    if not verdict.ok and await _refusals(session, author.id, now) >= REFUSALS_KEPT:
        raise Refused(verdict.reason)
    submission = Submission(
        author_id=author.id,
        author_name=author.name[:128],
        kind=draft.kind,
        text=draft.text.strip() if verdict.ok else "",
        file_id=draft.file_id if verdict.ok else None,
        content_hash=digest if verdict.ok else "",
        state=State.PENDING if verdict.ok else State.AUTO_REJECTED,
        reason=None if verdict.ok else verdict.reason,
        decided_at=None if verdict.ok else now,
        created_at=now,
        dm_chat_id=origin[0] if origin else None,
        dm_message_id=origin[1] if origin else None,
    )
    session.add(submission)
    await session.flush()
    event: Event = (
        SubmissionCreated(submission.id, author.id)
        if verdict.ok
        else SubmissionAutoRejected(submission.id, author.id, verdict.reason)
    )
    await uow.publish(event)
    return submission


async def _history(
    session: AsyncSession, author_id: int, digest: str, now: datetime
) -> checks.History:
    mine = select(func.count()).select_from(Submission).where(Submission.author_id == author_id)
    pending = await session.scalar(mine.where(Submission.state == State.PENDING))
    today = await session.scalar(
        mine.where(
            Submission.created_at > now - timedelta(days=1),
            Submission.state != State.AUTO_REJECTED,
        )
    )
    duplicate = await session.scalar(
        select(Submission.id)
        .where(Submission.content_hash == digest, Submission.state.in_(_SEEN))
        .limit(1)
    )
    return checks.History(int(pending or 0), int(today or 0), duplicate is not None)


async def _refusals(session: AsyncSession, author_id: int, now: datetime) -> int:
    """The author's auto-rejected submissions of the last 24 hours."""
    count = await session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.author_id == author_id,
            Submission.state == State.AUTO_REJECTED,
            Submission.created_at > now - timedelta(days=1),
        )
    )
    return int(count or 0)


async def decide(
    uow: UnitOfWork,
    submission_id: int,
    *,
    approve: bool,
    by: Moderator,
    reason: str,
    now: datetime,
    publish_at: datetime | None = None,
    slot_minutes: int = 60,
) -> Decided:
    """Approve (at ``publish_at``, else the next free slot) or reject a pending submission;
    the first decision wins."""
    session = uow.session
    state = State.APPROVED if approve else State.REJECTED
    won = await _transition(
        session,
        submission_id,
        state,
        reason=None if approve else reason,
        decided_by=by.id,
        decided_by_name=by.name[:128],
        decided_at=now,
        publish_at=publish_at if approve else None,
    )
    submission = await session.get(Submission, submission_id, populate_existing=True)
    if won and submission is not None:
        await uow.publish(_decided(submission, by.id, slot_minutes))
    return Decided(won, submission)


def _decided(submission: Submission, moderator_id: int, slot_minutes: int) -> Event:
    if submission.state == State.APPROVED:
        photo = submission.file_id if submission.kind == "photo" else None
        video = submission.file_id if submission.kind == "video" else None
        return SubmissionApproved(
            submission.id,
            submission.author_id,
            moderator_id,
            submission.text,
            photo,
            video,
            in_direct_messages=submission.dm_chat_id is not None,
            publish_at=submission.publish_at,
            slot_minutes=slot_minutes,
        )
    return SubmissionRejected(
        submission.id, submission.author_id, moderator_id, submission.reason or ""
    )


async def withdraw(uow: UnitOfWork, submission_id: int, author_id: int, now: datetime) -> Decided:
    """The author takes back a pending submission of theirs."""
    session = uow.session
    submission = await session.get(Submission, submission_id)
    if submission is None or submission.author_id != author_id:
        return Decided(False, None)
    won = await _transition(
        session,
        submission_id,
        State.WITHDRAWN,
        decided_by=author_id,
        decided_by_name=submission.author_name,
        decided_at=now,
    )
    await session.refresh(submission)
    if won:
        await uow.publish(SubmissionWithdrawn(submission_id, author_id))
    return Decided(won, submission)


async def ban(
    uow: UnitOfWork, submission_id: int, *, by: Moderator, now: datetime
) -> tuple[Decided, list[Submission]]:
    """Reject the submission, ban its author and reject their other pending submissions."""
    session = uow.session
    outcome = await decide(uow, submission_id, approve=False, by=by, reason=BANNED_REASON, now=now)
    if not outcome.won or outcome.submission is None:
        return outcome, []
    author_id = outcome.submission.author_id
    if await session.get(BannedAuthor, author_id) is None:
        session.add(BannedAuthor(user_id=author_id, banned_by=by.id, created_at=now))
    others = await session.scalars(
        select(Submission.id).where(
            Submission.author_id == author_id, Submission.state == State.PENDING
        )
    )
    rejected = []
    for other_id in list(others):
        other = await decide(uow, other_id, approve=False, by=by, reason=BANNED_REASON, now=now)
        if other.won and other.submission is not None:
            rejected.append(other.submission)
    await uow.publish(AuthorBanned(author_id, by.id))
    return outcome, rejected


async def _transition(
    session: AsyncSession,
    submission_id: int,
    state: State,
    *conditions: Any,
    came_from: State = State.PENDING,
    **values: object,
) -> bool:
    """Compare-and-set: move the submission from ``came_from`` to ``state`` (and write
    ``values``) if it still is there and meets ``conditions``; True when this call moved it."""
    result = await session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.state == came_from, *conditions)
        .values(state=state, **values)
    )
    return bool(rowcount(result))


async def mark_scheduled(
    uow: UnitOfWork,
    submission_id: int,
    post_id: int | None,
    publish_at: datetime,
) -> Submission | None:
    """The content module made the approved submission a post (same transaction), or
    Telegram confirmed a direct-messages suggestion for ``publish_at`` (no post id)."""
    session = uow.session
    scheduled = await _transition(
        session,
        submission_id,
        State.SCHEDULED,
        came_from=State.APPROVED,
        post_id=post_id,
        publish_at=publish_at,
    )
    if not scheduled:
        return None
    await uow.publish(SubmissionScheduled(submission_id, post_id, publish_at))
    return await session.get(Submission, submission_id, populate_existing=True)


async def mark_cancelled(uow: UnitOfWork, submission_id: int, post_id: int) -> Submission | None:
    """The scheduled post was cancelled by an admin: the submission ends rejected."""
    session = uow.session
    cancelled = await _transition(
        session,
        submission_id,
        State.REJECTED,
        Submission.post_id == post_id,
        came_from=State.SCHEDULED,
        reason=CANCELLED_REASON,
    )
    if not cancelled:
        return None
    submission = await session.get(Submission, submission_id, populate_existing=True)
    if submission is not None:
        await uow.publish(SubmissionCancelled(submission_id, submission.author_id))
    return submission


async def mark_published(
    uow: UnitOfWork, post_id: int, chat_id: int, message_id: int
) -> Submission | None:
    session = uow.session
    submission = await session.scalar(
        select(Submission).where(Submission.post_id == post_id, Submission.state == State.SCHEDULED)
    )
    if submission is None:
        return None
    await _transition(
        session, submission.id, State.PUBLISHED, came_from=State.SCHEDULED, message_id=message_id
    )
    await session.refresh(submission)
    await uow.publish(SubmissionPublished(submission.id, chat_id, message_id))
    return submission


async def waiting(session: AsyncSession, limit: int = 30) -> Sequence[Submission]:
    """Pending submissions, oldest first."""
    query = (
        select(Submission)
        .where(Submission.state == State.PENDING)
        .order_by(Submission.created_at, Submission.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def of_author(session: AsyncSession, author_id: int, limit: int = 10) -> Sequence[Submission]:
    query = (
        select(Submission)
        .where(Submission.author_id == author_id)
        .order_by(Submission.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def count_waiting(session: AsyncSession) -> int:
    """How many submissions wait for a moderator."""
    query = select(func.count()).select_from(Submission).where(Submission.state == State.PENDING)
    return int(await session.scalar(query) or 0)
