"""The people the bot talks to: who they are, where they live, which language they read.

Users, their time zones and per-user daily times, the language each one reads (their
choice, else Telegram's), gettext and Babel formatting. This ``__init__`` is the
package's public face: code outside ``bot/core/people/`` imports from here (an
import-linter contract says so).
"""

from bot.core.people.formatting import clock, day, duration, moment, number, percent, short_day
from bot.core.people.i18n import (
    N_,
    _,
    choose,
    configure,
    current,
    languages,
    ngettext,
    pgettext,
    speaking,
    tag,
)
from bot.core.people.reading import (
    answer_language,
    choices,
    language_column,
    language_of,
    on_record,
    record_language_code,
    speaking_to,
    store_choice,
)
from bot.core.people.user_times import (
    UserSchedule,
    advance,
    applied_defaults,
    minute_of,
    move,
    next_occurrence,
    occurrence,
    plan,
    record_default,
    rows_of,
    wall_time,
)
from bot.core.people.users import (
    User,
    count_invited,
    count_new_users,
    count_users,
    register,
    set_reachable,
    set_timezone,
    timezone_of,
    zone_for,
)
from bot.core.people.zones import ZoneError, parse_zone, suggested, zone_of

__all__ = [
    "N_",
    "User",
    "UserSchedule",
    "ZoneError",
    "_",
    "advance",
    "answer_language",
    "applied_defaults",
    "choices",
    "choose",
    "clock",
    "configure",
    "count_invited",
    "count_new_users",
    "count_users",
    "current",
    "day",
    "duration",
    "language_column",
    "language_of",
    "languages",
    "minute_of",
    "moment",
    "move",
    "next_occurrence",
    "ngettext",
    "number",
    "occurrence",
    "on_record",
    "parse_zone",
    "percent",
    "pgettext",
    "plan",
    "record_default",
    "record_language_code",
    "register",
    "rows_of",
    "set_reachable",
    "set_timezone",
    "short_day",
    "speaking",
    "speaking_to",
    "store_choice",
    "suggested",
    "tag",
    "timezone_of",
    "wall_time",
    "zone_for",
    "zone_of",
]
