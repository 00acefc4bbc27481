"""The console's Charts API: the daily series the page draws, and the engagement roll-up.
Imported on the first console request."""

from __future__ import annotations

from typing import Any

from bot.core.kernel import ascii_int
from bot.core.people import _
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.analytics.series import DEFAULT_DAYS, MAX_DAYS, daily_series
from bot.modules.analytics.view import SHOWN_WEEKS, latest

MAX_WEEKS = 26


def days_of(text: str | None) -> int:
    """``?days=N``: 1 to 365 ASCII digits, 30 when absent; 400 otherwise."""
    if text is None:
        return DEFAULT_DAYS
    days = ascii_int(text, 1, MAX_DAYS)
    if days is None:
        raise ConsoleError(
            400, _("days must be a whole number from 1 to {most}.").format(most=MAX_DAYS)
        )
    return days


async def charts(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/charts?days=N``: users, new users, active users, missions
    completed and Stars revenue per day for the last N days (today included)."""
    return await daily_series(request.services, days_of(request.query.get("days")))


def weeks_of(text: str | None) -> int:
    """``?weeks=N``: 1 to 26 ASCII digits, 4 when absent; 400 otherwise."""
    if text is None:
        return SHOWN_WEEKS
    weeks = ascii_int(text, 1, MAX_WEEKS)
    if weeks is None:
        raise ConsoleError(
            400, _("weeks must be a whole number from 1 to {most}.").format(most=MAX_WEEKS)
        )
    return weeks


async def engagement(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/engagement?weeks=N``: the last rolled-up day's active users,
    funnel and sources, and the retention of the N join weeks up to it (newest first);
    ``{"day": null}`` before the first roll-up. Reads the roll-up rows only."""
    async with request.services.db.session() as session:
        found = await latest(session, weeks_of(request.query.get("weeks")))
    return {"day": None} if found is None else found.as_json()
