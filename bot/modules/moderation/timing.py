"""When a moderator wants an approved suggestion to appear: ``+30m``, ``+2h``, ``+1d`` or a
local ``2026-12-01T09:00``, in the future and at most 30 days ahead (Telegram's limit
for a suggested post's send date, applied to both kinds for one rule)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.people import _

MAX_AHEAD = timedelta(days=30)
_RELATIVE = re.compile(r"^\+(\d{1,5})([mhd])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The aware instant ``text`` names; ValueError with a reason for anything else."""
    if match := _RELATIVE.match(text.strip().lower()):
        when = now + timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    else:
        try:
            naive = datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M")
        except ValueError:
            raise ValueError(
                _("{text!r} is not a time: use +30m, +2h, +1d or 2026-12-01T09:00").format(
                    text=text
                )
            ) from None
        when = naive.replace(tzinfo=tz).astimezone(now.tzinfo)
    if when <= now:
        raise ValueError(_("that time is not in the future"))
    if when - now > MAX_AHEAD:
        raise ValueError(_("that is more than 30 days ahead"))
    return when
