"""What moderators and authors are sent: review cards, their edits, and decision notices.

Everything goes through the outbox in the caller's transaction, under keys that make
each message once-only: ``modcard:<id>:<chat>`` (a card), ``modcard-edit:<id>:<chat>``
(the card showing the decision), ``moderation:<id>:<state>`` (the author's notice).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import Category, Priority
from bot.core.kernel import MessageKind, local_time
from bot.core.people import N_, _, shown_name, speaking_to
from bot.modules.moderation.ids import CARD_PREFIX, submission_id_of_key
from bot.modules.moderation.models import ReviewCard, State, Submission
from bot.modules.moderation.settings import ModerationSettings

PREFIX = CARD_PREFIX
CARD_KEY = MessageKind.REVIEW_CARD  # "modcard": its delivery is followed (card_delivered)
PREVIEW = 3000  # characters of the submission shown on a card (a card holds 4096)


STATES = {
    State.PENDING: N_("pending"),
    State.AUTO_REJECTED: N_("auto-rejected"),
    State.APPROVED: N_("approved"),
    State.REJECTED: N_("rejected"),
    State.WITHDRAWN: N_("withdrawn"),
    State.SCHEDULED: N_("scheduled"),
    State.PUBLISHED: N_("published"),
}


def state_word(state: str) -> str:
    """A submission's state as its reader says it."""
    known = STATES.get(state)  # type: ignore[call-overload]
    return _(known) if known else state.replace("_", "-")


def reviewers(services: Services) -> tuple[int, ...]:
    """Where cards go: the moderators' group if set, else each moderator privately."""
    settings = services.settings.of(ModerationSettings)
    chat_id = settings.moderation_chat_id
    return (chat_id,) if chat_id is not None else settings.moderators


def card_text(submission: Submission) -> str:
    kind = "" if submission.kind == "text" else f" [{submission.kind}]"
    body = submission.text if len(submission.text) <= PREVIEW else submission.text[:PREVIEW] + "…"
    head = _("Suggestion #{id}{kind} from {author} (id {author_id}):").format(
        id=submission.id,
        kind=kind,
        author=shown_name(submission.author_name),
        author_id=submission.author_id,
    )
    return f"{head}\n\n{body}"


def reason_text(reason: str | None) -> str:
    """A stored reject reason in the reader's language: the preset reasons are written in
    English (``MODERATION__REJECT_REASONS``' defaults are in the catalogues); a reason an
    operator configured or a moderator typed is shown as written."""
    return _(reason) if reason else ""


def card_keyboard(submission_id: int, reasons: list[str]) -> dict[str, Any]:
    """Approve and Ban on the first row, one Reject button per preset reason below."""
    data = f"{PREFIX}:{{}}:{submission_id}"
    first = [
        {"text": _("✅ Approve"), "callback_data": data.format("a")},
        {"text": _("⛔ Ban author"), "callback_data": data.format("b")},
    ]
    rejects = [
        [{"text": f"❌ {reason_text(reason)}", "callback_data": f"{data.format('r')}:{index}"}]
        for index, reason in enumerate(reasons)
    ]
    return {"inline_keyboard": [first, *rejects]}


def decider(submission: Submission) -> str:
    """Who decided ``submission``, as shown to the moderators."""
    return shown_name(submission.decided_by_name or str(submission.decided_by))


def outcome_line(submission: Submission, tz_format: str) -> str:
    who = decider(submission)
    if submission.state == State.WITHDRAWN:
        return _("↩️ Withdrawn by the author at {at}").format(at=tz_format)
    if submission.state == State.REJECTED:
        text = _("❌ Rejected by {who} at {at}: {reason}")
        return text.format(who=who, at=tz_format, reason=reason_text(submission.reason))
    return _("✅ Approved by {who} at {at}").format(who=who, at=tz_format)


def local(services: Services, moment: datetime | None) -> str:
    return local_time(moment or services.clock.now(), services.settings.tz)


async def send_cards(services: Services, session: AsyncSession, submission: Submission) -> int:
    """Queue the review card to every reviewer; reply to it with text to reject with it."""
    queued = 0
    for chat_id in reviewers(services):
        async with speaking_to(session, chat_id):  # a group: the default language
            markup = card_keyboard(
                submission.id, services.settings.of(ModerationSettings).moderation.reject_reasons
            )
            hint = _("Reply to this card with a reason to reject with it.")
            text = f"{card_text(submission)}\n\n{hint}"
        key = CARD_KEY.key(submission.id, chat_id)
        queued += await to_reviewer(services, session, key, chat_id, text, reply_markup=markup)
    return queued


async def to_reviewer(
    services: Services,
    session: AsyncSession,
    key: str,
    chat_id: int,
    text: str,
    method: str = "sendMessage",
    **payload: Any,
) -> bool:
    """Queue a message to a reviewer's chat (see :func:`reviewers`), once per ``key``: an
    alert (preferences never mute it) at a notification's priority."""
    return await services.outbox.enqueue(
        session,
        key=key,
        chat_id=chat_id,
        category=Category.ALERT,
        priority=Priority.NOTIFICATION,
        method=method,
        text=text,
        payload=payload or None,
    )


async def card_delivered(
    services: Services, session: AsyncSession, key: str, chat_id: int, message_id: int
) -> None:
    """Remember the card's message id; a card delivered after the decision is edited now."""
    submission_id = submission_id_of_key(key)
    if submission_id is None:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Lock the submission first (SQLite serialises writers anyway): a decision committed
        # meanwhile is then seen below, or it sees this card. Without the lock each could
        # miss the other and the card would never show the decision.
        await session.execute(
            select(Submission.id).where(Submission.id == submission_id).with_for_update()
        )
    card = ReviewCard(submission_id=submission_id, chat_id=chat_id, message_id=message_id)
    session.add(card)
    await session.flush()
    submission = await session.get(Submission, submission_id)
    if submission is not None and submission.state != State.PENDING:
        await _edit_card(services, session, submission, card)


async def show_decision(services: Services, session: AsyncSession, submission: Submission) -> None:
    """Edit every delivered card of ``submission`` to show who decided what and when."""
    cards = await session.scalars(
        select(ReviewCard).where(ReviewCard.submission_id == submission.id)
    )
    for card in list(cards):
        await _edit_card(services, session, submission, card)


async def _edit_card(
    services: Services, session: AsyncSession, submission: Submission, card: ReviewCard
) -> None:
    async with speaking_to(session, card.chat_id):
        outcome = outcome_line(submission, local(services, submission.decided_at))
        text = f"{card_text(submission)}\n\n{outcome}"
    key = f"{CARD_KEY}-edit:{submission.id}:{card.chat_id}"
    edit = "editMessageText"
    await to_reviewer(services, session, key, card.chat_id, text, edit, message_id=card.message_id)


async def card_at(session: AsyncSession, chat_id: int, message_id: int) -> ReviewCard | None:
    return await session.scalar(
        select(ReviewCard).where(ReviewCard.chat_id == chat_id, ReviewCard.message_id == message_id)
    )


async def tell_author(
    services: Services, session: AsyncSession, submission: Submission, text: Callable[[], str]
) -> bool:
    """The author's notice of the submission's current state, once per state, written in
    the author's language (a moderator's action or a job queues it)."""
    return await services.outbox.enqueue(
        session,
        key=f"moderation:{submission.id}:{submission.state}",
        chat_id=submission.author_id,
        user_id=submission.author_id,
        category=Category.MODERATION,
        priority=Priority.NOTIFICATION,
        text=text,
    )


def post_link(chat_id: int, message_id: int) -> str:
    """``https://t.me/c/<id>/<message>`` for a channel id ``-100<id>``."""
    internal = str(chat_id).removeprefix("-100")
    return f"https://t.me/c/{internal}/{message_id}"
