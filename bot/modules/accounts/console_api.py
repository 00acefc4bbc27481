"""The console's People API: find users by id or @username, and a person's profile with
the sections other modules add (``GET users/{id}/<section>``, listed, never imported).
Imported on the first console request."""

from __future__ import annotations

from typing import Any

from bot.core.kernel import USER_ID_MAX, ascii_int
from bot.core.people import User, _
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.accounts import lookup

OWN = "profile"  # this module's section; the others are listed as links


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def brief(user: User) -> dict[str, Any]:
    """A user in a list of results."""
    return {
        "id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "reachable": user.reachable,
        "created_at": _when(user.created_at),
    }


async def search(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users?q=<id or @username>``: the matching users (at most 20)."""
    text = request.query.get("q", "")
    query = lookup.parse_query(text)
    if query is None:
        raise ConsoleError(400, _("q: a user id (digits) or a @username"))
    async with request.services.db.session() as session:
        found = await lookup.find(session, query)
    return {"query": text.strip(), "users": [brief(user) for user in found]}


async def _profile(request: ConsoleRequest) -> dict[str, Any]:
    user_id = ascii_int(request.params.get("id", ""), 1, USER_ID_MAX)
    found = None
    if user_id is not None:
        async with request.services.db.session() as session:
            found = await lookup.profile(session, user_id, request.services.settings.tz)
    if found is None:
        raise ConsoleError(404, _("No user with this id has started the bot."))
    return _shown(found)


def _shown(found: lookup.Profile) -> dict[str, Any]:
    user = found.user
    raw = {
        **brief(user),
        "language": found.language,
        "language_choice": user.language,
        "language_code": user.language_code,
        "timezone": str(found.zone),
        "timezone_choice": user.timezone,
        "unreachable_reason": user.unreachable_reason,
        "referrer_id": user.referrer_id,
        "invited": found.invited,
        "last_seen_at": _when(user.last_seen_at),
    }
    return {"section": OWN, "title": _("Profile and settings"), **raw, "facts": _facts(raw)}


def _facts(raw: dict[str, Any]) -> list[dict[str, Any]]:
    zone = raw["timezone"] + ("" if raw["timezone_choice"] else " " + _("(the bot's zone)"))
    reachable = (
        _("messages reach them")
        if raw["reachable"]
        else _("unreachable: {reason}").format(reason=raw["unreachable_reason"] or "—")
    )
    rows = [
        ("user_id", _("Telegram user id"), raw["id"], None),
        (
            "username",
            _("Telegram username"),
            "@" + raw["username"] if raw["username"] else "—",
            None,
        ),
        ("first_name", _("First name"), raw["first_name"], None),
        ("language", _("Reads in"), raw["language"], None),
        ("timezone", _("Their time zone"), zone, None),
        ("reachable", _("Reachable by the bot"), reachable, None),
        ("referrer_id", _("Invited by"), raw["referrer_id"] or "—", None),
        ("invited", _("Friends invited"), raw["invited"], None),
        ("created_at", _("Started the bot"), raw["created_at"], "time"),
        ("last_seen_at", _("Last message"), raw["last_seen_at"], "time"),
    ]
    return [{"key": k, "label": label, "value": v, "kind": kind} for k, label, v, kind in rows]


async def profile(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users/<id>/profile``: who they are, their language and zone."""
    return await _profile(request)


async def person(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users/<id>``: the profile, and the sections the other modules
    offer (``points``, ``ledger``, ``streak``, ``vip``, ...) as paths to ask for."""
    shown = await _profile(request)
    user_id = shown["id"]
    below = request.registry.below("GET", "users/{id}") if request.registry else []
    shown["sections"] = [
        {"id": section, "module": module, "path": f"users/{user_id}/{section}"}
        for module, section in below
        if section != OWN
    ]
    return shown
