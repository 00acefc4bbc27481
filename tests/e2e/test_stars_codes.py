"""Free trials and promo codes through the real bot and the sandbox: /trial once per user
ever, /addcode, /codes, /dropcode and /redeem granting as /grant does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.codes_models import VipRedemption, VipTrial
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START
from tests.helpers.factories import subscription_of

USER, OTHER = 4242, 4343
GROUP = -100_777


async def started(factory: Callable[..., Any], clock: ManualClock, **settings: Any) -> Harness:
    """A bot with two registered users, the per-chat flood limit lifted."""
    h: Harness = await factory(clock=clock, **UNPACED, **settings)
    h.sandbox.set_limits(FloodLimits(private=None))
    await h.reply(USER, "/start")
    await h.reply(OTHER, "/start")
    return h


async def count(h: Harness, model: type[VipRedemption] | type[VipTrial]) -> int:
    async with h.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_trial_is_granted_once_per_user_ever(harness_factory: Callable[..., Any]) -> None:
    """/trial grants VIP_TRIAL_DAYS with an invite link; a second one, even after the
    trial ended, is refused and grants nothing."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock, vip_trial_days=3)
    await answer(h, USER, "/trial", "subscribed until")
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.ends_at == START + timedelta(days=3)
    assert len(h.sandbox.world.invite_links) == 1
    await answer(h, USER, "/trial", "already had your free trial")
    clock.advance(timedelta(days=5))
    await answer(h, USER, "/trial", "already had your free trial")
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.ends_at == START + timedelta(days=3)
    assert len(h.sandbox.world.invite_links) == 1 and await count(h, VipTrial) == 1


async def test_two_trials_at_once_grant_once(harness_factory: Callable[..., Any]) -> None:
    """Two /trial of one user sent together: one grant, one refusal."""
    h = await started(harness_factory, ManualClock(START), vip_trial_days=2)
    world = h.sandbox.world
    before = len(world.to(USER))
    world.send_text(USER, "/trial")
    world.send_text(USER, "/trial")

    def answers() -> list[str] | None:
        texts = [m.text or "" for m in world.to(USER)[before:]]
        done = [t for t in texts if "subscribed until" in t or "already had" in t]
        return done if len(done) == 2 else None

    done = await world.wait_until(answers, 10)
    assert sum("subscribed until" in t for t in done) == 1
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.ends_at == START + timedelta(days=2)
    assert len(world.invite_links) == 1


async def test_no_trial_when_none_is_configured(harness_factory: Callable[..., Any]) -> None:
    """With VIP_TRIAL_DAYS=0, /trial says there is none and records nothing."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, USER, "/trial", "no free trial")
    assert await subscription_of(h.services.db, USER) is None and await count(h, VipTrial) == 0


async def test_a_code_is_defined_listed_redeemed_and_dropped(
    harness_factory: Callable[..., Any],
) -> None:
    """An admin's code is redeemed case-insensitively for its duration, once per user; its
    uses left are listed; a dropped code is unknown."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/addcode summer-25 30d 2 expires 2026-12-31", "Added: code SUMMER-25")
    await answer(h, ADMIN, "/codes", "SUMMER-25: 30d, 2 of 2 uses left")
    await answer(h, USER, "/redeem Summer-25", "subscribed until")
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.ends_at == START + timedelta(days=30)
    link = h.sandbox.world.invite_links[0]["invite_link"]
    await h.wait(lambda: any(link in (m.text or "") for m in h.sandbox.world.to(USER)))
    await answer(h, USER, "/redeem SUMMER-25", "already redeemed")
    await answer(h, ADMIN, "/codes", "1 of 2 uses left")
    await answer(h, ADMIN, "/addcode SUMMER-25 1d 9", "exists already")
    await answer(h, ADMIN, "/dropcode summer-25", "Dropped: code SUMMER-25")
    await answer(h, OTHER, "/redeem SUMMER-25", "no such code")
    assert await subscription_of(h.services.db, OTHER) is None
    assert await count(h, VipRedemption) == 1


async def test_an_expired_code_is_refused_and_nothing_changes(
    harness_factory: Callable[..., Any],
) -> None:
    """A code past its last day grants nothing and keeps its uses."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    await answer(h, ADMIN, "/addcode LASTDAY 7d 5 expires 2026-11-22", "Added")
    clock.advance(timedelta(days=3))
    await answer(h, USER, "/redeem lastday", "expired")
    await answer(h, ADMIN, "/codes", "LASTDAY: 1w, 5 of 5 uses left")
    assert await subscription_of(h.services.db, USER) is None
    assert await count(h, VipRedemption) == 0


async def test_two_users_redeeming_a_one_use_code_at_once_get_one_grant(
    harness_factory: Callable[..., Any],
) -> None:
    """Two users send /redeem of a one-use code together: exactly one is granted."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/addcode ONCE 10d 1", "Added")
    world = h.sandbox.world
    before = {u: len(world.to(u)) for u in (USER, OTHER)}
    world.send_text(USER, "/redeem ONCE")
    world.send_text(OTHER, "/redeem ONCE")

    def answers() -> dict[int, str] | None:
        found = {}
        for user in (USER, OTHER):
            texts = [m.text or "" for m in world.to(user)[before[user] :]]
            hit = [t for t in texts if "subscribed until" in t or "used up" in t]
            if hit:
                found[user] = hit[0]
        return found if len(found) == 2 else None

    done = await world.wait_until(answers, 10)
    assert sorted("subscribed until" in t for t in done.values()) == [False, True]
    subs = [await subscription_of(h.services.db, u) for u in (USER, OTHER)]
    assert sum(s is not None for s in subs) == 1
    # The loser's link was made before its grant's transaction refused it, then revoked.
    live = [link for link in world.invite_links if not link.get("is_revoked")]
    assert len(live) == 1 and await count(h, VipRedemption) == 1
    await answer(h, ADMIN, "/codes", "ONCE: 10d, 0 of 1 uses left")


async def test_a_grant_that_fails_gives_the_use_and_the_trial_back(
    harness_factory: Callable[..., Any],
) -> None:
    """With no VIP chat the grant fails: the code keeps its use, the trial stays untaken."""
    h = await started(harness_factory, ManualClock(START), vip_chat_id=None, vip_trial_days=1)
    await answer(h, ADMIN, "/addcode ONCE 10d 1", "Added")
    await answer(h, USER, "/redeem ONCE", "Nothing granted")
    await answer(h, USER, "/trial", "Nothing granted")
    await answer(h, ADMIN, "/codes", "ONCE: 10d, 1 of 1 uses left")
    assert await count(h, VipRedemption) == 0 and await count(h, VipTrial) == 0
    assert await subscription_of(h.services.db, USER) is None


async def test_malformed_codes_and_arguments_get_the_usage(
    harness_factory: Callable[..., Any],
) -> None:
    """Codes outside [A-Z0-9-]{3,32} (non-ASCII, too short), bad uses or dates: the usage,
    and nothing is defined or redeemed."""
    h = await started(harness_factory, ManualClock(START))
    for bad in (
        "/addcode ÜBER 1d 1",
        "/addcode AB 1d 1",
        "/addcode GOOD 1d ٣",
        "/addcode GOOD 1d 0",
        "/addcode GOOD 1d 1 expires 2026-02-30",
        "/addcode GOOD 1d 1 until 2026-12-01",
    ):
        await answer(h, ADMIN, bad, "Usage: /addcode")
    await answer(h, ADMIN, "/addcode GOOD 0d 1", "Nothing added")
    await answer(h, ADMIN, "/addcode GOOD 1d 1 expires 2026-11-20", "already over")
    await answer(h, ADMIN, "/codes", "No promo codes.")
    await answer(h, USER, "/redeem", "Usage: /redeem")
    await answer(h, USER, "/redeem a_b", "Usage: /redeem")
    assert await count(h, VipRedemption) == 0


async def test_a_code_typed_in_a_group_is_not_redeemed(
    harness_factory: Callable[..., Any],
) -> None:
    """/redeem works in a private chat only: in a group (where the code would be given
    away) it does nothing, and the code keeps its use."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/addcode SECRET 1d 1", "Added")
    world = h.sandbox.world
    world.chat(GROUP, "supergroup", "Friends")
    world.send_in_chat(GROUP, USER, "/redeem SECRET")
    world.send_in_chat(GROUP, USER, "/help")  # answered after the /redeem was handled
    await h.wait(lambda: world.to(GROUP))
    assert all("subscribed" not in (m.text or "") for m in world.to(GROUP) + world.to(USER))
    await answer(h, ADMIN, "/codes", "SECRET: 1d, 1 of 1 uses left")
    assert await count(h, VipRedemption) == 0
