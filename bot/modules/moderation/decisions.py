"""A moderator's decision on a submission, wherever it is made: a review card's button, a
reply to a card, /approve, or the console's Moderation page. One function carries it out
(the guarded UPDATE of :mod:`service`, the cards edited, the author told) and says who won."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.people import _, ngettext
from bot.modules.moderation import cards, direct, service
from bot.modules.moderation.models import State, Submission
from bot.modules.moderation.settings import ModerationSettings

APPROVE, REJECT, BAN = "a", "r", "b"  # as a card's buttons carry them


@dataclass(frozen=True, slots=True)
class Decision:
    """What became of one decision: ``outcome.won`` if it was the first on its submission
    (``outcome.submission`` is None when there is no such submission); ``others`` are the
    author's other pending submissions a ban rejected."""

    submission_id: int
    action: str
    outcome: service.Decided
    others: list[Submission] = field(default_factory=list)

    @property
    def won(self) -> bool:
        return self.outcome.won

    @property
    def found(self) -> bool:
        return self.outcome.submission is not None

    def answer(self) -> str:
        """The answer for the moderator who asked for it, in the current language."""
        submission, ident = self.outcome.submission, self.submission_id
        if submission is None:
            return _("Suggestion #{id} does not exist (any more).").format(id=ident)
        if not self.won:
            text = _("Already decided by {who} ({state}).")
            return text.format(
                who=cards.decider(submission), state=cards.state_word(submission.state)
            )
        if self.action == APPROVE:
            return _("Suggestion #{id} approved.").format(id=ident)
        if self.action == BAN:
            text = ngettext(
                "Author banned; #{id} and {count} other rejected.",
                "Author banned; #{id} and {count} others rejected.",
                len(self.others),
            )
            return text.format(id=ident, count=len(self.others))
        text = _("Suggestion #{id} rejected: {reason}.")
        return text.format(id=ident, reason=cards.reason_text(submission.reason))


async def decide(
    services: Services,
    submission_id: int,
    action: str,
    by: service.Moderator,
    reason: str = "",
    publish_at: datetime | None = None,
) -> Decision:
    """Approve (at ``publish_at``, else the next free slot), reject with ``reason``, or ban
    the author: the first decision on a submission wins, whoever makes it and wherever."""
    now = services.clock.now()
    async with services.uow() as uow:
        others: list[Submission] = []
        if action == BAN:
            outcome, others = await service.ban(uow, submission_id, by=by, now=now)
        else:
            outcome = await service.decide(
                uow,
                submission_id,
                approve=action == APPROVE,
                by=by,
                reason=reason,
                now=now,
                publish_at=publish_at,
                slot_minutes=services.settings.of(ModerationSettings).moderation.slot_minutes,
            )
        for decided in ([outcome.submission] if outcome.won else []) + others:
            if decided is not None:
                await _announce(services, uow.session, decided)
    return Decision(submission_id, action, outcome, others)


async def _announce(services: Services, session: AsyncSession, submission: Submission) -> None:
    """Edit the cards; a rejection is told to the author now (an approval once it has its
    time, by the scheduling handler). Telegram carries out the decision on a post suggested
    in the channel's direct messages, and tells its author itself."""
    await cards.show_decision(services, session, submission)
    if submission.dm_chat_id is not None:
        await direct.carry_out(services, session, submission)
        return
    if submission.state == State.REJECTED:
        await cards.tell_author(
            services,
            session,
            submission,
            lambda: _("Your suggestion #{id} was not accepted: {reason}.").format(
                id=submission.id, reason=cards.reason_text(submission.reason)
            ),
        )
