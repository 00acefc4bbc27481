"""Users' time zones: what a user may type, what is stored, and what it means.

A zone is stored as its canonical text: an IANA name (``Europe/Kyiv``) or a fixed
offset written ``UTC+05:45``. IANA names follow daylight saving; an offset never
moves. Telegram never tells a bot a user's zone, so the region of the user's
``language_code`` (``en-US`` -> US) only orders the suggestions.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta, timezone, tzinfo
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from bot.core.people.i18n import _

OFFSET_MAX = timedelta(hours=14)  # Line Islands; the furthest west is -12:00
OFFSET_MIN = -timedelta(hours=12)
NAME_MAX = 64
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*([0-9]{1,2})(?:(?::|\.|h)?([0-9]{2}))?")
_QUARTERS = frozenset({0, 15, 30, 45})
# Languages whose speakers mostly live in one region, for tags with no region part.
_LANGUAGE_REGION = {
    "uk": "UA",
    "ru": "RU",
    "de": "DE",
    "fr": "FR",
    "it": "IT",
    "es": "ES",
    "pl": "PL",
    "ja": "JP",
    "ko": "KR",
    "tr": "TR",
    "nl": "NL",
    "cs": "CZ",
    "ro": "RO",
    "hu": "HU",
    "el": "GR",
    "he": "IL",
    "fa": "IR",
    "ne": "NP",
    "hi": "IN",
    "id": "ID",
    "vi": "VN",
    "th": "TH",
    "kk": "KZ",
    "uz": "UZ",
    "be": "BY",
    "ka": "GE",
    "hy": "AM",
    "az": "AZ",
}


class ZoneError(ValueError):
    """Text that names no zone; ``suggestions`` are the closest valid names."""

    def __init__(self, text: str, suggestions: list[str]) -> None:
        super().__init__(text)
        self.text, self.suggestions = text, suggestions


@cache
def _names() -> dict[str, str]:
    """Every IANA name, by its lower-case spelling."""
    return {name.lower(): name for name in available_timezones() if len(name) <= NAME_MAX}


@cache
def _cities() -> dict[str, list[str]]:
    """IANA names by their last part (``kyiv`` -> ``Europe/Kyiv``), for suggestions."""
    cities: dict[str, list[str]] = {}
    for name in sorted(_names().values()):
        city = name.rsplit("/", 1)[-1].lower().replace("_", " ")
        cities.setdefault(city, []).append(name)
    return cities


def parse_zone(text: str) -> str:
    """The canonical zone ``text`` names (any case, ``_`` or spaces); :class:`ZoneError`
    with the closest names otherwise."""
    cleaned = " ".join(text.strip().split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise ZoneError(cleaned[:NAME_MAX], suggest(cleaned[:NAME_MAX]))
    if (offset := _parse_offset(cleaned)) is not None:
        return offset
    name = _names().get(cleaned.lower().replace(" ", "_"))
    if name is None:
        matches = _cities().get(cleaned.lower().replace("_", " "), [])
        if len(matches) != 1:
            raise ZoneError(cleaned, matches or suggest(cleaned))
        name = matches[0]
    return name


def _parse_offset(text: str) -> str | None:
    """``+5:45``, ``UTC-3``, ``GMT+0530`` -> ``UTC+05:45`` ...; None if not an offset."""
    match = _OFFSET.fullmatch(text.lower())
    if match is None:
        return None
    hours, minutes = int(match[2]), int(match[3] or 0)
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if match[1] == "-" else 1)
    if minutes not in _QUARTERS or not OFFSET_MIN <= offset <= OFFSET_MAX:
        raise ZoneError(text, [_("UTC-12:00 … UTC+14:00, in quarters of an hour")])
    return format_offset(offset)


def format_offset(offset: timedelta) -> str:
    """``timedelta(hours=5, minutes=45)`` -> ``UTC+05:45``; zero is ``UTC``."""
    if not offset:
        return "UTC"
    sign, total = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, rest = divmod(int(total.total_seconds()), 3600)
    return f"UTC{sign}{hours:02d}:{rest // 60:02d}"


def suggest(text: str, limit: int = 3) -> list[str]:
    """The names closest to ``text``, by whole name or by city."""
    key = text.strip().lower().replace("_", " ")
    if not key:
        return []
    cities = difflib.get_close_matches(key, _cities(), n=limit, cutoff=0.6)
    found = [name for city in cities for name in _cities()[city]]
    spelled = {name.replace("_", " "): name for name in _names()}
    found += [_names()[spelled[n]] for n in difflib.get_close_matches(key, spelled, limit, 0.6)]
    return list(dict.fromkeys(found))[:limit]


@cache
def resolve(name: str) -> tzinfo:
    """The tzinfo of a stored zone name (an offset or an IANA name)."""
    if name.startswith("UTC") and len(name) == 9:
        sign = -1 if name[3] == "-" else 1
        return timezone(sign * timedelta(hours=int(name[4:6]), minutes=int(name[7:9])), name)
    return ZoneInfo(name)


def zone_of(stored: str | None, default: tzinfo) -> tzinfo:
    """A user's zone: theirs if they chose one (and it still exists), else ``default``."""
    if stored is None:
        return default
    try:
        return resolve(stored)
    except (ValueError, KeyError):  # a name a newer tzdata removed
        return default


def region_of(language_code: str | None) -> str | None:
    """``en-US`` -> ``US``; ``uk`` -> ``UA``; None when the tag says nothing of a place."""
    if not language_code:
        return None
    parts = language_code.replace("_", "-").split("-")
    if len(parts) > 1 and len(parts[-1]) == 2 and parts[-1].isalpha():
        return parts[-1].upper()
    return _LANGUAGE_REGION.get(parts[0].lower())


@cache
def _by_region() -> dict[str, list[str]]:
    """Zones by ISO country code, from tzdata's ``zone.tab`` (empty if none is installed)."""
    text = _zone_tab()
    regions: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#") and fields[2].lower() in _names():
            regions.setdefault(fields[0], []).append(fields[2])
    return regions


def _zone_tab() -> str:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        return system.read_text("utf-8") if system.exists() else ""


def suggested(language_code: str | None, default: str, limit: int = 6) -> list[str]:
    """The short list /timezone offers: the user's region's zones first, then the bot's."""
    region = region_of(language_code)
    zones = _by_region().get(region, [])[: limit - 2] if region else []
    return list(dict.fromkeys([*zones, default, "UTC"]))[:limit]
