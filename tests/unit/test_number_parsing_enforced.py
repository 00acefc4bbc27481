"""One number parser, enforced over the source: a number read from text goes through
``ascii_int`` (``bot/core/kernel/parse.py``), never ``int()``, ``float()``, ``str.isdigit()`` or
a ``\\d`` regex, which all take other digits (``'²'.isdigit()`` is true and ``int('²')`` raises,
``int('١٢')`` is 12, ``re.match(r'\\d', '٣')`` matches)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.cluster.lease import Holder
from bot.core.jobs.fire_times import ScheduleError, cron_weekdays
from bot.core.ratelimit import RatePolicy, Window
from bot.modules.missions.settings import MissionSettings

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("bot/modules", "bot/core")
CONVERTERS = {"int", "float"}
DIGIT_TESTS = {"isdigit", "isnumeric", "isdecimal"}
REGEX_CALLS = {"compile", "match", "fullmatch", "search", "sub", "subn", "findall", "finditer"}

# Each int()/float() of a value that is not obviously a number already, by file:function, with
# why it never sees text a person or a button typed. A new conversion of text fails the test:
# read the number with ascii_int instead (or add it here, with its reason, if it is internal).
INTERNAL = {
    "bot/core/kernel/parse.py:ascii_int": "the parser itself, on the ASCII digits it checked",
    # counts and sums the database hands back (None when there is no row)
    "bot/core/delivery/backlog.py:pending_count": "COUNT(*)",
    "bot/core/jobs/statements.py:finish": "an INTEGER column",
    "bot/core/jobs/store.py:streak": "an INTEGER column",
    "bot/core/kernel/db.py:rowcount": "the driver's row count",
    "bot/core/people/users.py:count_users": "COUNT(*)",
    "bot/modules/analytics/reachability.py:registered_before": "a difference of two COUNT(*)",
    "bot/core/cluster/instances.py:live_count": "COUNT(*) of live instances",
    "bot/core/people/users.py:count_new_users": "COUNT(*)",
    "bot/core/people/users.py:count_invited": "COUNT(*)",
    "bot/modules/cleanup/service.py:database_size": "the size the database reports",
    "bot/modules/economy/service.py:credit": "SUM() of the ledger",
    "bot/modules/economy/service.py:mismatches_after": "SUM() of the ledger",
    "bot/modules/missions/service.py:day_figures": "COUNT(*) by status",
    "bot/modules/moderation/jobs.py:sla_digest": "COUNT(*)",
    "bot/modules/moderation/records.py:day_figures": "COUNT(*) by state; a median of seconds",
    "bot/modules/moderation/service.py:_history": "COUNT(*)",
    "bot/modules/moderation/service.py:_refusals": "COUNT(*)",
    "bot/modules/referrals/service.py:invite_figures": "SUM()",
    "bot/modules/subscriptions/service.py:count_active": "COUNT(*)",
    "bot/modules/subscriptions/service.py:count_active_at": "COUNT(*)",
    "bot/modules/economy/service.py:ledger_sum": "SUM() of the ledger",
    "bot/modules/moderation/service.py:count_waiting": "COUNT(*)",
    "bot/modules/monitoring/overview.py:outbox": "COUNT(*) by category",
    "bot/modules/subscriptions/charges.py:stars_revenue": "SUM() of stored charges",
    "bot/modules/subscriptions/console_api.py:vip": "COUNT(*) and SUM() of a user's rows",
    "bot/core/web/sessions.py:redeem_login": "a BIGINT column (the login's user id)",
    "bot/modules/broadcast/drafts.py:count": "COUNT(*) of an audience",
    "bot/modules/broadcast/measure.py:figures": "COUNT(*), a variant (id modulo n), a button index",
    # numbers Redis, Telegram (parsed by PTB) or the bot's own child processes hand back
    "bot/core/delivery/answers.py:deliver": "ChatMigrated.new_chat_id, an int from PTB",
    "bot/core/delivery/claims.py:record": "a bool counted as 0 or 1",
    "bot/core/delivery/transport.py:_send_raw": "message_id in the Bot API's JSON answer",
    "bot/core/kernel/cache.py:add": "a counter this cache stored itself",
    "bot/core/kernel/rediscache.py:add": "INCRBYFLOAT's answer",
    "bot/core/ratelimit/limiter.py:_seconds": "RetryAfter.retry_after from PTB",
    "bot/core/ratelimit/redis.py:acquire": "the limiter's Lua script's answer",
    "bot/core/jobs/runner.py:backoff": "a retry policy's delay (a number in code)",
    "bot/core/telegram/intake.py:_receive": "seconds a peer stays blocked (a float)",
    "bot/modules/cleanup/service.py:_delete_stale": "OBJECT IDLETIME and DEL answers",
    "bot/modules/cleanup/service.py:human_bytes": "a byte count",
    "bot/modules/content/feed_address.py:is_public": "an IPv6Address, already parsed",
    "bot/modules/content/feed_formats.py:_timestamp": "calendar.timegm of feedparser's tuple",
    "bot/modules/content/feed_formats.py:worker": "the item limit the bot passes its child",
    "bot/modules/content/feeds.py:_parsed": "counts in the feed child process's JSON answer",
    "bot/modules/monitoring/service.py:counter_total": "a sample the bot itself exported",
    "bot/modules/monitoring/overview.py:updates_waiting": "the update processor's own counters",
    "bot/core/people/zones.py:resolve": "a stored zone name this module wrote (UTC+05:45)",
    # groups of a regex of ASCII digits ([0-9]{1,n}) that matched first: bounded, never raise
    "bot/core/jobs/args.py:_float": "/runjob x=1.5: ASCII decimal regex, finite checked",
    "bot/core/jobs/fire_times.py:cron_weekdays": "a cron step [0-9]{1,2}",
    "bot/core/jobs/fire_times.py:parse_schedule": "every N[.N]s, daily HH:MM",
    "bot/core/people/zones.py:_parse_offset": "UTC+hh:mm",
    "bot/modules/content/service.py:parse_when": "/post +30m",
    "bot/modules/moderation/timing.py:parse": "/approve <id> +2h",
    "bot/modules/missions/times.py:parse_time_of_day": "/missiontime 8:30",
    "bot/modules/notifications/service.py:parse_quiet": "/quiet 22-08",
    "bot/modules/subscriptions/service.py:parse_duration": "/grant <id> 30d",
}


def _files() -> Iterator[Path]:
    for folder in SCANNED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _calls(tree: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    """Every call in ``tree`` with the name of the function (or method) it is in."""

    def walk(node: ast.AST, where: str) -> Iterator[tuple[str, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Call):
                yield where, child
            yield from walk(child, inner)

    yield from walk(tree, "<module>")


def _number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _obviously_a_number(node: ast.expr) -> bool:
    """A literal, arithmetic with a number, or a duration in seconds: never text."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _obviously_a_number(node.operand)
    if isinstance(node, ast.BinOp):
        return not isinstance(node.op, ast.Add) or any(
            _number(side) or isinstance(side, ast.BinOp) for side in (node.left, node.right)
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("total_seconds", "timestamp")
    return False


def _converts_text(call: ast.Call) -> bool:
    if not (isinstance(call.func, ast.Name) and call.func.id in CONVERTERS and call.args):
        return False
    return not _obviously_a_number(call.args[0])


def _digit_test(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in DIGIT_TESTS


def _unicode_digit_regex(call: ast.Call) -> bool:
    """``re.<call>(r"...\\d...")`` without ``re.ASCII`` (nor ``(?a)``): ``\\d`` matches '٣'."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in REGEX_CALLS and call.args):
        return False
    if not (isinstance(func.value, ast.Name) and func.value.id == "re"):
        return False
    pattern = call.args[0]
    if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
        return False
    text = pattern.value
    flags = ast.unparse(call)
    return (
        "\\d" in text
        and not text.startswith("(?a")
        and "ASCII" not in flags
        and "re.A" not in flags
    )


def problems() -> list[str]:
    """What the source does that it must not, as ``file:line function: what``."""
    found = []
    for path in _files():
        name = path.relative_to(ROOT).as_posix()
        for where, call in _calls(ast.parse(path.read_text(), name)):
            line = f"{name}:{call.lineno} {where}: {ast.unparse(call)[:80]}"
            if _converts_text(call) and f"{name}:{where}" not in INTERNAL:
                found.append(line + " (read it with ascii_int)")
            if _digit_test(call):
                found.append(line + " (true for '²'; use ascii_int)")
            if _unicode_digit_regex(call):
                found.append(line + " (\\d without re.ASCII)")
    return found


def test_numbers_are_read_by_ascii_int_only() -> None:
    """No int()/float() of text outside the allow-list, no str.isdigit()/isnumeric()/
    isdecimal(), no \\d regex without re.ASCII in bot/modules and bot/core."""
    assert problems() == []


def test_the_allow_list_names_only_what_exists() -> None:
    """Every allowed file:function still converts something there (no stale permission)."""
    used = set()
    for path in _files():
        name = path.relative_to(ROOT).as_posix()
        for where, call in _calls(ast.parse(path.read_text(), name)):
            if _converts_text(call):
                used.add(f"{name}:{where}")
    assert sorted(set(INTERNAL) - used) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("def f(t):\n    return int(t)", True),
        ("def f(t):\n    return float(t.strip())", True),
        ("def f(t):\n    return t.isdigit()", True),
        ("def f(t):\n    return t.isnumeric() or t.isdecimal()", True),
        ("import re\nP = re.compile(r'(\\d+)h')", True),
        ("import re\nP = re.compile(r'(\\d+)h', re.ASCII)", False),
        ("import re\nP = re.compile(r'(?a)(\\d+)h')", False),
        ("import re\nP = re.compile(r'([0-9]+)h')", False),
        ("def f(d):\n    return int(d.total_seconds())", False),
        ("def f(x):\n    return int(x * 1000) + float('inf')", False),
    ],
)
def test_the_check_catches_what_it_should(source: str, caught: bool) -> None:
    """The rules themselves, on small sources: what is flagged and what is plainly a number."""
    calls = [call for _where, call in _calls(ast.parse(source))]
    flagged = any(_converts_text(c) or _digit_test(c) or _unicode_digit_regex(c) for c in calls)
    assert flagged is caught


POLICY = RatePolicy(Window(30, 1.0), Window(1, 1.0), Window(20, 60.0), Window(100, 1.0))
DIGITISH = st.text(alphabet="0123456789-²١３①⁵ @_abc", max_size=24)
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(DIGITISH | st.text(max_size=24))
def test_a_chat_id_given_as_text_is_read_or_kept_as_a_name(chat_id: str) -> None:
    """A chat id sent as text: ASCII digits (a leading minus) are that chat, anything else
    ("@channel", "-²", "--5") stays a name; nothing raises (int("-²") used to)."""
    [_total, scope] = POLICY.scopes({"chat_id": chat_id})
    number = chat_id[1:] if chat_id.startswith("-") else chat_id
    if number and len(number) <= 18 and set(number) <= set("0123456789"):
        expected = "private" if int(chat_id) > 0 else "group"
        assert scope.key == f"{expected}:{int(chat_id)}"
    else:
        assert scope.key == f"group:{chat_id}"


def test_chat_ids_in_other_digits_are_names() -> None:
    """The examples that crashed the limiter's scopes: they are names, as Telegram would say."""
    for chat_id in ("-²", "--5", "-١٢", "٣"):
        assert POLICY.scopes({"chat_id": chat_id})[1].key == f"group:{chat_id}"


@FAST
@given(DIGITISH | st.text(max_size=40))
def test_a_lease_holder_is_read_or_refused(text: str) -> None:
    """A lease's holder text: the pid in ASCII digits, or None; never an exception."""
    holder = Holder.parse(text)
    assert holder is None or str(holder) == text or 0 <= holder.pid < 2**31


@FAST
@given(st.integers(0, 23), st.integers(0, 59))
def test_mission_time_reads_a_wall_clock(hour: int, minute: int) -> None:
    """MISSION_TIME HH:MM (or H:MM) is that time of day."""
    for text in (f"{hour:02d}:{minute:02d}", f"{hour}:{minute:02d}"):
        assert MissionSettings(mission_time=text).mission_time.strftime("%H:%M") == (
            f"{hour:02d}:{minute:02d}"
        )


@pytest.mark.parametrize("text", ["²:00", "0²:00", "09:٠٠", "24:00", "9:60", "009:00", "9:5", ":"])
def test_mission_time_in_other_digits_or_out_of_range_is_refused(text: str) -> None:
    """MISSION_TIME with other digits, or past 23:59, stops the settings with a clear error."""
    with pytest.raises(ValueError, match="time of day"):
        MissionSettings(mission_time=text)


@FAST
@given(DIGITISH.map(lambda t: t.replace(" ", "")))
def test_a_cron_weekday_field_is_read_or_refused(field: str) -> None:
    """Any day-of-week field: day names, or ScheduleError; never another exception."""
    try:
        days = cron_weekdays(field)
    except ScheduleError:
        return
    assert days == "*" or set(days.split(",")) <= {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
