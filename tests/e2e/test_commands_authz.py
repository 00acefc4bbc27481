"""Where admin commands run, generated from the command catalogue: a command added later is
covered without writing a test for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.core.kernel.db import Base
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from bot.sandbox.world import World
from tests.conftest import ADMIN, make_settings
from tests.e2e.conftest import CHANNEL, UNPACED, Harness

USER, OTHER, GROUP = 2, 3, -1_002_000_000_009
# Arguments with which each command would change something if it ran; others run bare.
EXAMPLES = {
    "broadcast": "Hello everyone",
    "runjob": "missions.send_daily",
    "jobhistory": "missions.send_daily 5",
    "pausejob": "missions.send_daily",
    "resumejob": "missions.send_daily",
    "addmission": "20 Read a poem | Read one poem aloud.",
    "retiremission": "1",
    "grant": f"{USER} 30d",
    "revoke": str(USER),
    "post": "now Hello channel",
    "cancelpost": "1",
    "refund": "stxSANDBOX000001",
    "start": f"ref_{OTHER}",
    "quiet": "22-08",
}
Dump = dict[str, list[tuple[Any, ...]]]


def all_jobs_disabled(tmp_path: Path) -> dict[str, Any]:
    """Overrides turning every scheduled job off, so nothing writes behind the test's back."""
    probe = build_application(make_settings(tmp_path / "probe"))
    return {name: {"enabled": False} for name in probe.services.jobs.names()}


# Liveness bookkeeping that changes every second whatever users do: the polling lease and
# the instances' heartbeats; and who used the bot on which day, which any private message
# records, a command refused included.
LIVENESS = frozenset({"leases", "instances", "user_days"})


async def dump(h: Harness) -> Dump:
    """Every row of every table (but the liveness bookkeeping)."""
    async with h.services.db.session() as session:
        return {
            table.name: sorted(map(tuple, (await session.execute(select(table))).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name not in LIVENESS
        }


def _scenarios(world: World, text: str, photo: bool) -> list[Callable[[], object]]:
    """The command (as a text, or as a photo's caption) where it must not run."""
    return [
        lambda: world.send_photo(USER, text) if photo else world.send_text(USER, text),
        lambda: world.send_in_chat(GROUP, ADMIN, text, photo=photo),
        lambda: world.edit_text(ADMIN, 1, text, photo=photo),
        lambda: world.forward(ADMIN, text, OTHER, photo=photo),
        lambda: world.post_in_channel(CHANNEL, text, photo=photo),
    ]


async def _start(harness_factory: Callable[..., Any], tmp_path: Path) -> tuple[Harness, list[int]]:
    h: Harness = await harness_factory(jobs=all_jobs_disabled(tmp_path), **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    h.sandbox.world.chat(GROUP, "supergroup", "Members")
    processed: list[int] = []

    async def seen(update: Update, _context: object) -> None:
        processed.append(update.update_id)

    h.app.add_handler(TypeHandler(Update, seen), group=1_000_000)  # after every other group
    for user in (USER, ADMIN):
        await h.say(user, "/start")
    await h.services.runner.caught_up()  # the first start is recorded before any snapshot
    return h, processed


def _count_reaches(processed: list[int], count: int) -> Callable[[], bool]:
    return lambda: len(processed) >= count


def _unexpected(sent: list[SentMessage], refusal: str) -> list[str]:
    """Anything the bot sent besides the one refusal to the non-admin in private."""
    refusals = [m for m in sent if m.chat_id == USER and m.text == refusal]
    others = [f"{m.chat_id}: {m.text!r}" for m in sent if m not in refusals]
    return others + (["no refusal to the non-admin"] if len(refusals) != 1 else [])


async def test_admin_commands_run_only_for_an_admin_in_private(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Every admin command × (non-admin in private, admin in a group, edited, forwarded,
    channel post) is refused or ignored: no output but the refusal, no row changed."""
    h, processed = await _start(harness_factory, tmp_path)
    world, problems = h.sandbox.world, []
    admin_commands = [c for c in h.services.commands if c.admin]
    assert len(admin_commands) >= 15
    cases = [(c, False) for c in admin_commands] + [(c, True) for c in admin_commands if c.caption]
    for command, photo in cases:
        text = f"/{command.name} {EXAMPLES.get(command.name, '')}".strip()
        before, sent_before, seen_before = await dump(h), len(world.messages), len(processed)
        for act in _scenarios(world, text, photo):
            act()
        await h.wait(_count_reaches(processed, seen_before + 5))
        name = f"/{command.name}" + (" (photo)" if photo else "")
        problems += [
            f"{name}: sent {p}" for p in _unexpected(world.messages[sent_before:], command.refusal)
        ]
        after = await dump(h)
        problems += [f"{name}: table {t} changed" for t in before if before[t] != after[t]]
    assert problems == []


async def test_every_admin_command_answers_an_admin_in_private(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """The control: each admin command, sent bare by an admin in private, is answered."""
    h, _processed = await _start(harness_factory, tmp_path)
    for command in (c for c in h.services.commands if c.admin):
        assert (await h.say(ADMIN, f"/{command.name}"))[0].text, command.name


async def test_no_command_runs_on_an_edit_a_forward_or_a_channel_post(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Every command of the catalogue, for everyone, runs on a new message only: an edited,
    forwarded or channel-posted copy sends nothing and changes no row."""
    h, processed = await _start(harness_factory, tmp_path)
    world, problems = h.sandbox.world, []
    for command in h.services.commands:
        text = f"/{command.name} {EXAMPLES.get(command.name, '')}".strip()
        before, sent_before, seen_before = await dump(h), len(world.messages), len(processed)
        world.edit_text(USER, 1, text)
        world.forward(USER, text, OTHER)
        world.post_in_channel(CHANNEL, text)
        await h.wait(_count_reaches(processed, seen_before + 3))
        sent = [m for m in world.messages[sent_before:] if not _explains_edit(command.name, m)]
        problems += [f"/{command.name}: sent {m.text!r}" for m in sent]
        after = await dump(h)
        problems += [f"/{command.name}: {t} changed" for t in before if before[t] != after[t]]
    assert problems == []


# Commands whose edit is answered (and changes nothing): what the user is told instead.
EDIT_EXPLANATIONS = {"suggest": "Edits do not change a suggestion"}


def _explains_edit(name: str, message: SentMessage) -> bool:
    explanation = EDIT_EXPLANATIONS.get(name)
    return explanation is not None and (message.text or "").startswith(explanation)
