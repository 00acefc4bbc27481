"""Every catalogued command, sent with hostile arguments, is answered and logs no error; command
bodies are read alike whatever the command's case, and across lines."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from structlog.testing import capture_logs

from bot.core.kernel.clock import ManualClock
from bot.modules.broadcast.models import BroadcastDraft
from bot.modules.content.models import Post
from bot.modules.missions.models import Mission
from bot.modules.moderation.models import Submission
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_commands_authz import all_jobs_disabled
from tests.helpers.chat import answer
from tests.helpers.clocks import START

# Flood limits lifted: one admin sends hundreds of commands in a row (pacing is tested elsewhere).
pytestmark = pytest.mark.lifted_limits

# Pieces of arguments that broke parsers somewhere once: other digits (superscript, Arabic-Indic,
# fullwidth, circled), numbers past every bound, impossible dates and zones, text that is markup
# or a format string, direction marks and zero-width characters, and a text longer than Telegram's.
NASTY = [
    "²",
    "١٢",
    "３０d",
    "①",
    "⁵⁰",
    "-1",
    "0",
    "-0",
    "+5",
    "99999999999999999999999",
    "-9223372036854775809",
    str(2**63),
    "1e309",
    "nan",
    "inf",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30T25:61",
    "+999999d",
    "+²h",
    "Mars/Olympus",
    "UTC+99:99",
    "Etc/GMT+14",
    "22-٠٨",
    "24-24",
    "<b>bold</b><a href='tg://user?id=1'>x</a>",
    "{0}{name!r}%s%d%(x)s",
    "\u202eevil\u202c",
    "\u200b1\u200d",
    "\u2066١\u2069",
    "ref_²",
    "x=²",
    "limit=99999999999999999999",
    "ratio=nan",
    "missions.send_daily",
    "a|b|c",
    "|",
]
# Numbers in the shapes commands read (22-08, 8:30, +2h, 30d, 1.5), in mixed digits.
DIGITS = st.text(alphabet="0123456789²³¹١٢٣３０①⁵", min_size=1, max_size=3)
NUMBERISH = st.builds(
    lambda sign, a, sep, b, unit: sign + a + sep + b + unit,
    st.sampled_from(["", "", "+", "-"]),
    DIGITS,
    st.sampled_from(["", "-", ":", ".", "T"]),
    DIGITS,
    st.sampled_from(["", "d", "h", "m", "s", "w"]),
)
PIECES = st.one_of(st.sampled_from(NASTY), NUMBERISH, st.text(max_size=12))
SEPARATORS = st.sampled_from([" ", "  ", "\n", " \n ", "\t", "\u00a0"])
# Arguments every command gets before the generated ones.
EXPLICIT = ["", "² ١٢ ３０", "x" * 5000, "{0} %s\n<i>line</i>\u202e\u200b"]
# And the shapes of the arguments each command reads, with other digits or past their bounds.
SHAPES = {
    "start": ["ref_²", "ref_99999999999999999999", "ref_-1"],
    "timezone": ["UTC+99:99", "+²:45", "Mars/Olympus"],
    "runjob": ["missions.send_daily limit=²", "missions.send_daily limit=1e309 x"],
    "jobhistory": ["missions.send_daily ²", "missions.send_daily 99999999999999999999"],
    "missiontime": ["²:30", "٠٨:٣٠", "25:99"],
    "addmission": ["99999999999999999999 Walk | a", "20 Walk | a\nzz: b | c", "-5 W | a"],
    "retiremission": ["99999999999999999999", "-1"],
    "grant": [f"{ADMIN} ³⁰d", f"{ADMIN} +99999999999d", "99999999999999999999 30d"],
    "revoke": ["99999999999999999999", "-1"],
    "refund": ["stx²", "-1"],
    "post": ["+²h x", "0001-01-01T00:00 x", "9999-12-31T23:59 x", "2026-02-30T25:61 x"],
    "cancelpost": ["99999999999999999999", "-1"],
    "quiet": ["²-8", "22-٠٨", "99-99"],
    "withdraw": ["99999999999999999999", "-1"],
    "approve": ["1 0001-01-01T00:00", "1 9999-12-31T23:59", "1 +99999d", "99999999999999999999"],
}


@st.composite
def arguments(draw: st.DrawFn) -> str:
    """One to four nasty pieces, apart by spaces or new lines."""
    pieces = draw(st.lists(PIECES, min_size=1, max_size=4))
    text = pieces[0]
    for piece in pieces[1:]:
        text += draw(SEPARATORS) + piece
    return text


@contextmanager
def errors_logged() -> Iterator[list[str]]:
    """Every log line at ERROR or above while inside: structlog's and the standard library's."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(f"{record.name}: {record.getMessage()}")

    handler, root = Collect(logging.ERROR), logging.getLogger()
    root.addHandler(handler)
    try:
        with capture_logs() as logs:
            yield found
            found += [repr(e) for e in logs if e.get("log_level") in ("error", "critical")]
    finally:
        root.removeHandler(handler)


async def nasty_bot(harness_factory: Callable[..., Any], tmp_path: Path) -> Harness:
    """A bot with every command usable (moderators, a channel, Stars), no scheduled job running,
    and its admin registered."""
    h: Harness = await harness_factory(
        clock=ManualClock(START),
        timezone="Europe/Berlin",
        vip_stars_price=50,
        jobs=all_jobs_disabled(tmp_path),
        **UNPACED,
    )
    h.sandbox.set_limits(FloodLimits(private=None, group=None))
    await h.reply(ADMIN, "/start")
    await h.idle()
    return h


async def test_every_command_with_nasty_arguments_is_answered_without_an_error(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Each command of the catalogue, sent by an admin in private with hostile arguments
    (generated, seeded), gets a reply and puts no line at ERROR in the log."""
    h = await nasty_bot(harness_factory, tmp_path)
    loop, world = asyncio.get_running_loop(), h.sandbox.world
    assert len(list(h.services.commands)) >= 25

    async def exchange(text: str) -> list[str]:
        """What went wrong with ``text``: no reply, or the error lines it logged."""
        before = len(world.to(ADMIN))
        with errors_logged() as errors:
            world.send_text(ADMIN, text)
            await h.wait(lambda: len(world.to(ADMIN)) > before, 30)
            await h.idle(30)
        return [f"{text[:80]!r} logged {line[:300]}" for line in errors]

    def check(name: str, args: str) -> None:
        text = f"/{name} {args}" if args else f"/{name}"
        future = asyncio.run_coroutine_threadsafe(exchange(text), loop)
        try:
            problems = future.result(timeout=90)
        except TimeoutError:
            raise AssertionError(f"no answer to {text[:80]!r}") from None
        assert problems == []

    def checks(name: str) -> Callable[[str], None]:
        return lambda args: check(name, args)

    for command in h.services.commands:
        name = command.name
        test = given(args=arguments())(checks(name))
        for args in [*EXPLICIT, *SHAPES.get(name, [])]:
            test = example(args=args)(test)
        bounded = settings(
            max_examples=4 if command.usage or name in SHAPES else 1,
            deadline=None,
            derandomize=True,  # seeded: the same arguments on every run
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        await asyncio.to_thread(bounded(test))


async def rows(h: Harness, model: Any) -> list[Any]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_command_bodies_are_read_in_any_case_and_across_lines(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """/SUGGEST Hello suggests "Hello" and a bare /SUGGEST asks for the post; /POST now x posts
    "x"; /post +29d with its text on the next line is scheduled; /broadcast and /addmission take
    their text after a new line."""
    h = await nasty_bot(harness_factory, tmp_path)
    await answer(h, ADMIN, "/SUGGEST Hello", "waits for review")
    await answer(h, ADMIN, "/Suggest@companion_sandbox_bot Hi\nthere", "waits for review")
    await answer(h, ADMIN, "/SUGGEST", "Send the post now")
    assert [s.text for s in await rows(h, Submission)] == ["Hello", "Hi\nthere"]
    await answer(h, ADMIN, "/POST now x", "on its way")
    await answer(h, ADMIN, "/post +29d\nText on the next line", "scheduled for")
    await answer(h, ADMIN, "/post\tnow\n\nTwo\nlines", "on its way")
    assert [p.text for p in await rows(h, Post)] == ["x", "Text on the next line", "Two\nlines"]
    await answer(h, ADMIN, "/BROADCAST\nHello all", "Send it?")
    assert [b.text for b in await rows(h, BroadcastDraft)] == ["Hello all"]
    await answer(h, ADMIN, "/ADDMISSION\n20\nWalk | Walk a mile.", "Added mission")
    assert (await rows(h, Mission))[-1].title == "Walk"
