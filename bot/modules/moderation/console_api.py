"""The console's Moderation API: the queue /modqueue shows, and the decisions of a review
card's buttons and /approve, through the same :func:`decisions.decide`: the first decision
on a suggestion wins, in the chat or here, and the other is told who made it (409).
Imported on the first console request."""

from __future__ import annotations

from typing import Any

from bot.core.kernel import ascii_int, get_logger
from bot.core.people import User, _, shown_name
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.moderation import cards, decisions, ids, service, timing
from bot.modules.moderation.models import Submission
from bot.modules.moderation.settings import ModerationSettings

log = get_logger(__name__)

QUEUE_MAX = 100  # suggestions listed at most; the page says how many more wait


async def queue(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/moderation/queue?limit=``: pending suggestions, oldest first."""
    services = request.services
    limit = ascii_int(request.query.get("limit", ""), 1, QUEUE_MAX)
    if request.query.get("limit") and limit is None:
        raise ConsoleError(400, _("limit is 1 to {max}").format(max=QUEUE_MAX))
    async with services.db.session() as session:
        waiting = await service.waiting(session, limit or QUEUE_MAX)
        total = await service.count_waiting(session)
    return {
        "timezone": services.settings.timezone,
        "total": total,
        "reasons": [
            {"index": index, "text": cards.reason_text(reason)}
            for index, reason in enumerate(_reasons(request))
        ],
        "queue": [_item(request, submission) for submission in waiting],
    }


def _item(request: ConsoleRequest, submission: Submission) -> dict[str, Any]:
    text = submission.text
    preview = text if len(text) <= cards.PREVIEW else text[: cards.PREVIEW] + "…"
    return {
        "id": submission.id,
        "kind": submission.kind,
        "text": preview,
        "author": shown_name(submission.author_name),
        "author_id": submission.author_id,
        "created_at": submission.created_at.isoformat(),
        "since": cards.local(request.services, submission.created_at),
        "direct": submission.dm_chat_id is not None,
    }


def _reasons(request: ConsoleRequest) -> list[str]:
    return request.services.settings.of(ModerationSettings).moderation.reject_reasons


async def approve(request: ConsoleRequest) -> dict[str, Any]:
    """``POST moderation/<id>/approve`` with ``{"time": "+2h"}`` (optional, as /approve's)."""
    ident, services = _ident(request), request.services
    when = request.body.get("time")
    if when is not None and not isinstance(when, str):
        raise ConsoleError(400, _("time: +30m, +2h, +1d or 2026-12-01T09:00"))
    try:
        at = timing.parse(when, services.clock.now(), services.settings.tz) if when else None
    except ValueError as exc:
        raise ConsoleError(400, _("Nothing changed: {reason}.").format(reason=exc)) from None
    return await _decide(request, ident, decisions.APPROVE, publish_at=at)


async def reject(request: ConsoleRequest) -> dict[str, Any]:
    """``POST moderation/<id>/reject`` with ``{"reason": <index>}``: one of the configured
    reasons, as the card's Reject buttons."""
    ident, reasons = _ident(request), _reasons(request)
    given = request.body.get("reason")
    index = ids.reason_index(given, len(reasons))
    if index is None:
        text = _("reason: the index of a configured reason, 0 to {last}")
        raise ConsoleError(400, text.format(last=len(reasons) - 1))
    return await _decide(request, ident, decisions.REJECT, reason=reasons[index])


async def ban(request: ConsoleRequest) -> dict[str, Any]:
    """``POST moderation/<id>/ban``: reject it, ban its author and reject their other
    pending suggestions, as the card's Ban button."""
    return await _decide(request, _ident(request), decisions.BAN)


def _ident(request: ConsoleRequest) -> int:
    """The suggestion the path names; 404 for anything but a row id."""
    ident = ids.submission_id(request.params.get("id"))
    if ident is None:
        raise ConsoleError(404, _("No such suggestion."))
    return ident


async def _decide(request: ConsoleRequest, ident: int, action: str, **how: Any) -> dict[str, Any]:
    by = await _moderator(request)
    decided = await decisions.decide(request.services, ident, action, by, **how)
    log.info(
        "moderation decision", submission_id=ident, action=action, won=decided.won, via="console"
    )
    if not decided.found:
        raise ConsoleError(404, decided.answer())
    if not decided.won:
        raise ConsoleError(409, decided.answer())
    submission = decided.outcome.submission
    assert submission is not None
    return {
        "id": ident,
        "state": submission.state,
        "state_text": cards.state_word(submission.state),
        "publish_at": submission.publish_at.isoformat() if submission.publish_at else None,
        "others": [other.id for other in decided.others],
        "message": decided.answer(),
    }


async def _moderator(request: ConsoleRequest) -> service.Moderator:
    """Who decides, named as the cards and the author's notices will show them: the first
    name the bot knows them by (the id alone if they never wrote to it)."""
    async with request.services.db.session() as session:
        user = await session.get(User, request.user_id)
    return service.Moderator(request.user_id, user.first_name if user else "")
