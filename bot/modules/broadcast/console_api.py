"""The console's Broadcasts API: the same functions as /pausebroadcast, /resumebroadcast and
/cancelbroadcast (``control.py``), /deletebroadcast and /editbroadcast (``undo.py``),
answering JSON. Imported on the first console request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.context import Services
from bot.core.kernel import SERIAL_MAX, ascii_int
from bot.core.people import _
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.broadcast import control, undo
from bot.modules.broadcast.service import State

LIMIT_DEFAULT, LIMIT_MAX = 20, 100
PREVIEW = 120  # characters of a broadcast's text in the list


def _state_words() -> dict[State, str]:
    return {
        State.RUNNING: _("running"),
        State.PAUSED: _("paused"),
        State.CANCELLED: _("cancelled"),
        State.FINISHED: _("ended"),
    }


def as_json(listed: control.Listed, *, full: bool = False) -> dict[str, Any]:
    """One broadcast as the console shows it: who, when, what, and where every message is."""
    b, t = listed.broadcast, listed.tally
    text = b.text if len(b.text) <= PREVIEW else b.text[: PREVIEW - 1] + "…"
    found: dict[str, Any] = {
        "id": b.id,
        "preview": text,
        "created_at": b.created_at.isoformat(),
        "created_by": {"id": b.created_by, "name": listed.started_by},
        "state": t.state.value,
        "state_text": _state_words()[t.state],
        "total": t.total,
        "delivered": t.delivered,
        "blocked": t.blocked,
        "failed": t.failed,
        "skipped": t.skipped,
        "cancelled": t.cancelled,
        "waiting": t.waiting,
        "in_flight": t.in_flight,
        "paused": t.paused,
    }
    if full:
        found["text"] = b.text
    return found


def _id(request: ConsoleRequest) -> int:
    """The broadcast id of the path: 400 unless a whole number of ASCII digits in range."""
    found = ascii_int(request.params.get("id", ""), 1, SERIAL_MAX)
    if found is None:
        raise ConsoleError(400, _("A broadcast id is a whole number."))
    return found


async def broadcasts(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/broadcasts?limit=``: the newest broadcasts, with live progress."""
    given = request.query.get("limit")
    limit = ascii_int(given, 1, LIMIT_MAX) if given else LIMIT_DEFAULT
    if limit is None:
        raise ConsoleError(400, _("Broadcasts: limit is 1 to {max}.").format(max=LIMIT_MAX))
    async with request.services.db.session() as session:
        found = await control.recent(session, limit)
    return {"broadcasts": [as_json(listed) for listed in found]}


async def detail(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/broadcasts/<id>``: one broadcast, with its whole text."""
    broadcast_id = _id(request)
    services = request.services
    try:
        async with services.db.session() as session:
            listed = await control.one(session, broadcast_id)
            undone = await undo.undone(session, broadcast_id, services.clock.now())
    except control.Unknown:
        raise _unknown(broadcast_id) from None
    return {**as_json(listed, full=True), "undo": undone.as_json()}


Action = Callable[[Services, int, int], Awaitable[control.Changed]]


async def _steer(request: ConsoleRequest, action: Action) -> dict[str, Any]:
    broadcast_id = _id(request)
    try:
        await action(request.services, broadcast_id, request.user_id)
    except control.Unknown:
        raise _unknown(broadcast_id) from None
    except control.NotNow as exc:
        raise ConsoleError(409, str(exc)) from None
    async with request.services.db.session() as session:
        listed = await control.one(session, broadcast_id)
    return as_json(listed)


def _unknown(broadcast_id: int) -> ConsoleError:
    return ConsoleError(404, _("No broadcast #{id}.").format(id=broadcast_id))


async def pause(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/broadcasts/<id>/pause``, as /pausebroadcast."""
    return await _steer(request, control.pause)


async def resume(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/broadcasts/<id>/resume``, as /resumebroadcast."""
    return await _steer(request, control.resume)


async def cancel(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/broadcasts/<id>/cancel``, as /cancelbroadcast; the answer's
    ``in_flight`` are the messages already handed to the sender, which still go out."""
    return await _steer(request, control.cancel)


async def _shown(request: ConsoleRequest, broadcast_id: int) -> dict[str, Any]:
    async with request.services.db.session() as session:
        listed = await control.one(session, broadcast_id)
    return as_json(listed, full=True)


async def delete(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/broadcasts/<id>/delete``, as /deletebroadcast: what still waits is
    cancelled, the copies delivered in the last 48 hours are deleted. The answer: the
    broadcast, ``queued`` (deletions queued by this call), ``cancelled`` (waiting copies taken
    off), ``older`` (copies too old to delete, they stay) and ``undo`` (where deletions and
    edits stand); asking again queues nothing twice."""
    broadcast_id = _id(request)
    try:
        deleted = await undo.delete(request.services, broadcast_id, request.user_id)
    except control.Unknown:
        raise _unknown(broadcast_id) from None
    return {
        **await _shown(request, broadcast_id),
        "queued": deleted.queued,
        "cancelled_now": deleted.cancelled,
        "older": deleted.old,
        "undo": deleted.undone.as_json(),
        "message": undo.deleted_text(deleted),
    }


async def edit(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/broadcasts/<id>/edit {"text": ...}``, as /editbroadcast: the text
    becomes the broadcast's next version; delivered copies are edited, waiting ones rewritten.
    The answer: the broadcast, ``version`` (0: it already read so), ``queued``, ``rewritten``
    and ``undo``; the same text again is the same version and queues nothing twice."""
    broadcast_id = _id(request)
    given = request.body.get("text")
    text = given.strip() if isinstance(given, str) else ""
    if not text:
        raise ConsoleError(400, _('An edit needs the corrected text: {"text": "..."}.'))
    try:
        edited = await undo.edit(request.services, broadcast_id, text, request.user_id)
    except control.Unknown:
        raise _unknown(broadcast_id) from None
    except undo.TooLong:
        raise ConsoleError(400, _("This text is too long to replace a message in place.")) from None
    return {
        **await _shown(request, broadcast_id),
        "version": edited.version,
        "queued": edited.queued,
        "rewritten": edited.rewritten,
        "undo": edited.undone.as_json(),
        "message": undo.edited_text(edited),
    }
