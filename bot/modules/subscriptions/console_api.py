"""The VIP section of a person in the console (People page), and its grant and revoke: the
same functions as /grant and /revoke (``by_admin``). Imported on the first console request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.core.kernel import USER_ID_MAX, ascii_int
from bot.core.people import _
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.subscriptions import access, by_admin, service
from bot.modules.subscriptions.models import InviteLink, StarPayment, Subscription


async def _known(request: ConsoleRequest) -> int:
    """The user the path names; 404 for an id the bot never met."""
    user_id = ascii_int(request.params.get("id", ""), 1, USER_ID_MAX)
    if user_id is not None:
        async with request.services.db.session() as session:
            if await service.user_exists(session, user_id):
                return user_id
    raise ConsoleError(404, _("No user with this id has started the bot."))


def _fact(key: str, label: str, value: Any, kind: str | None = None) -> dict[str, Any]:
    return {"key": key, "label": label, "value": value, "kind": kind}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def vip(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users/<id>/vip``: the subscription as /status sees it, its links
    and Stars payments, and the grant and revoke actions."""
    user_id, services = await _known(request), request.services
    async with services.db.session() as session:
        sub = await service.get(session, user_id)
        links = await session.scalar(
            select(func.count()).select_from(InviteLink).where(InviteLink.user_id == user_id)
        )
        paid = await session.scalar(
            select(func.count()).select_from(StarPayment).where(StarPayment.user_id == user_id)
        )
    active = service.is_active(sub, services.clock.now())
    return {
        "section": "vip",
        "title": _("VIP subscription"),
        "active": active,
        "status": sub.status if sub else None,
        "starts_at": _when(sub.starts_at) if sub else None,
        "ends_at": _when(sub.ends_at) if sub else None,
        "ended_at": _when(_ended_at(sub, active)),
        "removed_at": _when(sub.removed_at) if sub else None,
        "invite_links": int(links or 0),
        "stars_payments": int(paid or 0),
        "facts": _facts(sub, active, int(links or 0), int(paid or 0)),
        "actions": _actions(user_id, active),
    }


def _ended_at(sub: Subscription | None, active: bool) -> datetime | None:
    """When it ended: its end, or (revoked before it) when it was revoked; None if running."""
    if sub is None or active:
        return None
    return sub.updated_at if sub.status == "revoked" else sub.ends_at


def _facts(sub: Subscription | None, active: bool, links: int, paid: int) -> list[dict[str, Any]]:
    if sub is None:
        state = _("none")
    else:
        ended = "expired" if sub.status == "active" else sub.status  # past its end, not swept yet
        state = _("active now") if active else _("ended ({status})").format(status=ended)
    facts = [_fact("status", _("Subscription state"), state)]
    if sub is not None:
        facts += [
            _fact("starts_at", _("Subscribed since"), _when(sub.starts_at), "time"),
            _fact("ends_at", _("Ends at"), _when(sub.ends_at), "time")
            if active
            else _fact("ended_at", _("Ended at"), _when(_ended_at(sub, active)), "time"),
        ]
    facts.append(_fact("invite_links", _("Invite links sent"), links))
    facts.append(_fact("stars_payments", _("Stars payments"), paid))
    return facts


def _actions(user_id: int, active: bool) -> list[dict[str, Any]]:
    base = f"users/{user_id}/vip"
    grant = {
        "id": "grant",
        "label": _("Extend VIP") if active else _("Grant VIP"),
        "path": f"{base}/grant",
        "input": {"name": "duration", "label": _("Duration (e.g. 30d, 12h, 2w)"), "value": "30d"},
        "confirm": None,
    }
    revoke = {
        "id": "revoke",
        "label": _("Revoke VIP"),
        "path": f"{base}/revoke",
        "input": None,
        "confirm": _("End this VIP subscription now and remove the user from the VIP chat?"),
    }
    return [grant, revoke] if active else [grant]


async def grant(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/users/<id>/vip/grant`` ``{"duration": "30d"}``, as /grant: the
    subscription starts or is extended and the user is sent their invite link."""
    user_id, services = await _known(request), request.services
    duration = request.body.get("duration")
    if not isinstance(duration, str):
        raise ConsoleError(400, _("duration: a text such as 30d, 12h or 2w"))
    try:
        outcome = await by_admin.grant(
            services, services.bot, user_id, duration, by=request.user_id, via="console"
        )
    except service.DurationError as exc:
        raise ConsoleError(400, str(exc)) from None
    except by_admin.UnknownUser:
        raise ConsoleError(404, _("No user with this id has started the bot.")) from None
    except access.AccessError as exc:
        raise ConsoleError(409, _("Nothing granted: {reason}.").format(reason=exc)) from None
    return {
        "user_id": user_id,
        "ends_at": outcome.grant.ends_at.isoformat(),
        "extended": outcome.grant.extended,
        "link_expires_at": outcome.link_expires_at.isoformat(),
        "invite_sent": True,
    }


async def revoke(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/users/<id>/vip/revoke``, as /revoke: ended now, the user told and
    removed from the VIP chat; 409 when there is no active subscription."""
    user_id, services = await _known(request), request.services
    try:
        await by_admin.revoke(services, services.bot, user_id, by=request.user_id, via="console")
    except by_admin.NotActive:
        none = _("User {user} has no active subscription; nothing changed.")
        raise ConsoleError(409, none.format(user=user_id)) from None
    return {"user_id": user_id, "revoked": True}
