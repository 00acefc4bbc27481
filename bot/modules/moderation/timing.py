"""When a moderator wants an approved suggestion to appear: ``+30m``, ``+2h``, ``+1d`` or a
local ``2026-12-01T09:00``, in the future and at most 30 days ahead (Telegram's limit
for a suggested post's send date, applied to both kinds for one rule)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.people import _

MAX_AHEAD = timedelta(days=30)
_RELATIVE = re.compile(r"\+([0-9]{1,5})([mhd])")  # [0-9]: re's digit class takes '١' too
_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The aware instant ``text`` names; ValueError with a reason for anything else."""
    if match := _RELATIVE.fullmatch(text.strip().lower()):
        when = now + timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    else:
        when = _local_instant(text.strip(), now, tz)
    if when <= now:
        raise ValueError(_("that time is not in the future"))
    if when - now > MAX_AHEAD:
        raise ValueError(_("that is more than 30 days ahead"))
    return when


def _local_instant(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A local ``YYYY-MM-DDTHH:MM`` in ``tz`` as an instant in ``now``'s zone."""
    try:
        if not text.isascii():  # strptime reads '٢٠٢٦' as 2026
            raise ValueError(text)
        naive = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValueError(
            _("{text!r} is not a time: use +30m, +2h, +1d or 2026-12-01T09:00").format(text=text)
        ) from None
    try:
        return naive.replace(tzinfo=tz).astimezone(now.tzinfo)
    except OverflowError:  # 0001-01-01T00:00 in Europe/Berlin is before year 1 in UTC
        raise ValueError(
            _("{text} ({zone}) is out of range").format(text=text, zone=tz.key)
        ) from None
