"""The economy's sections of a person in the console (People page): points, the ledger and
the streak, read with the same service functions as /balance. Imported on the first console
request."""

from __future__ import annotations

from typing import Any

from bot.core.kernel import USER_ID_MAX, ascii_int
from bot.core.people import User, _, zone_for
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.economy import service
from bot.modules.economy.handlers import REASONS
from bot.modules.economy.models import Balance

LEDGER_DEFAULT, LEDGER_MAX = 20, 100


async def _known(request: ConsoleRequest) -> int:
    """The user the path names; 404 for an id the bot never met."""
    user_id = ascii_int(request.params.get("id", ""), 1, USER_ID_MAX)
    if user_id is not None:
        async with request.services.db.session() as session:
            if await session.get(User, user_id) is not None:
                return user_id
    raise ConsoleError(404, _("No user with this id has started the bot."))


def _fact(key: str, label: str, value: Any, kind: str | None = None) -> dict[str, Any]:
    return {"key": key, "label": label, "value": value, "kind": kind}


async def points(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users/<id>/points``: the balance /balance shows, and its ledger sum
    (they are equal unless reconciliation has something to report)."""
    user_id = await _known(request)
    async with request.services.db.session() as session:
        balance = await session.get(Balance, user_id)
        total = await service.ledger_sum(session, user_id)
    held = balance.points if balance else 0
    return {
        "section": "points",
        "title": _("Points held"),
        "points": held,
        "ledger_sum": total,
        "facts": [
            _fact("points", _("Points held"), held),
            _fact("ledger_sum", _("Sum of the ledger"), total),
        ],
    }


async def ledger(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users/<id>/ledger?limit=``: the newest ledger rows (20; 1 to 100)."""
    user_id = await _known(request)
    text = request.query.get("limit", "")
    limit = ascii_int(text, 1, LEDGER_MAX) if text else LEDGER_DEFAULT
    if limit is None:
        raise ConsoleError(400, _("limit: a whole number from 1 to {max}").format(max=LEDGER_MAX))
    async with request.services.db.session() as session:
        rows = await service.ledger(session, user_id, limit)
    entries = [
        {
            "id": row.id,
            "amount": row.amount,
            "reason": row.reason,
            "reason_text": _(REASONS[row.reason]) if row.reason in REASONS else row.reason,
            "reference": row.reference,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]
    columns = [
        {"key": "created_at", "label": _("Written at"), "kind": "time"},
        {"key": "amount", "label": _("Points (+/−)"), "kind": None},
        {"key": "reason_text", "label": _("Earned for"), "kind": None},
        {"key": "reference", "label": _("Reference"), "kind": None},
    ]
    return {
        "section": "ledger",
        "title": _("Points ledger"),
        "entries": entries,
        "table": {"columns": columns, "rows": entries, "empty": _("No points yet.")},
    }


async def streak(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/users/<id>/streak``: the streak as /balance shows it today (in the
    user's zone), and the last day a mission counted for it."""
    user_id, services = await _known(request), request.services
    async with services.db.session() as session:
        balance = await session.get(Balance, user_id)
        today = services.clock.today(await zone_for(session, user_id, services.settings.tz))
    live = service.live_streak(balance, today)
    last = balance.streak_day.isoformat() if balance and balance.streak_day else None
    return {
        "section": "streak",
        "title": _("Mission streak"),
        "streak": live,
        "last_day": last,
        "facts": [
            _fact("streak", _("Days in a row"), live),
            _fact("last_day", _("Last day counted"), last or "—"),
        ],
    }
