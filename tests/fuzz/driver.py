"""The chat fuzzer's loop: a bot on the sandbox, seeded steps, the invariants after each."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.kernel.clock import ManualClock
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_commands_authz import Dump, all_jobs_disabled, dump
from tests.fuzz import invariants
from tests.fuzz.actions import ACTORS, GROUP, MODERATOR, ROOM, Actions, Step
from tests.helpers.clocks import START
from tests.helpers.logs import ErrorRecords

TRACE = 25  # how many steps before a failing one its report shows
# What an ordinary user's step may change of someone else's rows: nothing but what the
# outbox sends (a suggestion to the moderators) and an inviter's referral reward.
SHARED = frozenset({"outbox"})


async def start(harness_factory: Callable[..., Any], tmp_path: Path) -> Harness:
    """A bot with every job off (only the fuzzer's /runjob runs them), moderators and their
    room, VIP sold for Stars, and Telegram's flood limits lifted (pacing has its own tests)."""
    h: Harness = await harness_factory(
        clock=ManualClock(START),
        jobs=all_jobs_disabled(tmp_path),
        moderator_ids=f"{ADMIN},{MODERATOR}",
        moderation_chat_id=ROOM,
        vip_stars_price=50,
        vip_stars_days=30,
        **UNPACED,
    )
    h.sandbox.set_limits(FloodLimits.lifted())
    world = h.sandbox.world
    world.chat(GROUP, "supergroup", "Members")
    world.chat(ROOM, "supergroup", "Moderators")
    for user in ACTORS[::2]:
        world.user(user, language_code="uk")
    await h.services.runner.caught_up()
    await h.idle()
    return h


async def fuzz(h: Harness, seed: int, steps: int) -> None:
    """Run ``steps`` seeded steps; AssertionError at the first step breaking an invariant,
    with the steps before it and the command that replays the run."""
    services = h.services
    clock = services.clock
    assert isinstance(clock, ManualClock)
    actions = Actions(
        random.Random(seed),
        h.sandbox.world,
        clock,
        services.settings,
        list(services.commands),
        list(services.buttons),
    )
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    trace: list[str] = []
    try:
        before = await dump(h)
        for number in range(1, steps + 1):
            world = h.sandbox.world
            sent, decided = len(world.messages), len(world.join_decisions)
            step = actions.next()
            trace.append(f"{number:5d} {step.line}")
            before, problems = await _check(h, step, before, sent, errors)
            problems += await invariants.joins_approved_for_their_link(h, step, decided)
            if problems:
                raise AssertionError(_report(seed, number, trace, problems))
        print(_summary(before, trace))
    finally:
        logging.getLogger().removeHandler(errors)


def _summary(final: Dump, trace: list[str]) -> str:
    """What the run reached: the rows of the tables it filled, and the kinds of steps."""
    rows = ", ".join(f"{table} {len(found)}" for table, found in final.items() if found)
    presses = sum(" presses " in line for line in trace)
    return f"chat fuzzer: {len(trace)} steps ({presses} presses); rows: {rows}"


async def _check(
    h: Harness, step: Step, before: Dump, sent: int, errors: ErrorRecords
) -> tuple[Dump, list[str]]:
    """Wait for the bot to be done with the step; the new dump and what went wrong."""
    try:
        await h.idle(timeout=30)
    except TimeoutError:
        return before, ["the bot did not become idle in 30 s"]
    problems = invariants.answered(h, step, sent) + invariants.silent_untouched(h)
    problems += await invariants.ledger_balanced(h)
    after = await dump(h)
    if not step.entitled:
        problems += invariants.unchanged(before, after)
    elif step.actor is not None and not step.staff:
        rewarded = invariants.referral_rewarded(before, after, step.actor)
        problems += invariants.others_unchanged(before, after, step.actor, SHARED, rewarded)
    return after, problems + errors.take(step.allowed_errors)


def _report(seed: int, number: int, trace: list[str], problems: list[str]) -> str:
    lines = [f"chat fuzzer, seed {seed}: step {number} broke an invariant:"]
    lines += [f"  - {p}" for p in problems]
    lines += ["the steps up to it:", *trace[-TRACE:]]
    replay = f"replay with: make fuzz SEED={seed} N={number}"
    print(replay)  # also on the terminal when the assertion text is cut
    return "\n".join([*lines, replay])
