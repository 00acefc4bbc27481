"""The console's view of campaigns: an audience line counted as the chat counts it, and what a
broadcast achieved. ``GET /console/api/audience?q=<line>`` and ``GET /console/api/campaigns/<id>``
(admins; imported on the first console request)."""

from __future__ import annotations

from typing import Any

from bot.core.kernel import SERIAL_MAX, ascii_int
from bot.core.people import AudienceError, _
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.broadcast import drafts, measure, when
from bot.modules.broadcast.models import Broadcast

MAX_LINE = 1000


async def audience(request: ConsoleRequest) -> dict[str, Any]:
    """The audience and the time ``q`` writes (the first line of a /broadcast) and how many
    users it reaches now; 400 with the reason and the terms when it is not one."""
    line = request.query.get("q", "")
    if len(line) > MAX_LINE or "\n" in line:
        raise ConsoleError(
            400, _("An audience is one line of at most {n} characters.").format(n=MAX_LINE)
        )
    services = request.services
    try:
        written, schedule = drafts.read_line(line)
        when.first(schedule, services.settings.tz, services.clock.now())
        reach = await drafts.count(services, written)
    except AudienceError as exc:
        raise ConsoleError(400, str(exc)) from None
    return {
        "audience": str(written),
        "when": str(schedule),
        "reach": reach,
        "terms": [
            {"name": facet.name, "usage": _(facet.usage)} for facet in services.audience.facets
        ],
    }


def _part(part: measure.Part) -> dict[str, Any]:
    return {
        "targeted": part.targeted,
        "delivered": part.delivered,
        "blocked": part.blocked,
        "failed": part.failed,
        "waiting": part.waiting,
        "opted_out": part.opted_out,
        "clicked": part.clicked,
    }


async def campaign(request: ConsoleRequest) -> dict[str, Any]:
    """What broadcast ``id`` achieved: its figures, per button and per variant."""
    broadcast_id = ascii_int(request.params.get("id", ""), 1, SERIAL_MAX)
    if broadcast_id is None:
        raise ConsoleError(400, _("A broadcast id is a whole number."))
    async with request.services.db.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise ConsoleError(404, _("No broadcast #{id}.").format(id=broadcast_id))
        whole, parts = await measure.figures(session, broadcast)
    return {
        "id": broadcast.id,
        "audience": broadcast.audience or "",
        "when": broadcast.schedule or "",
        "series_id": broadcast.series_id,
        "occurrence": broadcast.occurrence,
        **_part(whole),
        "buttons": [
            {"label": spec["label"], "url": spec.get("url"), "clicked": whole.clicks[index]}
            for index, spec in enumerate(broadcast.buttons or [])
        ],
        "variants": [
            {"text": (broadcast.variants or [""])[index], **_part(part)}
            for index, part in enumerate(parts)
        ],
    }
