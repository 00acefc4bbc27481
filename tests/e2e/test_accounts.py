"""Registration, help and blocking, through the real bot and the sandbox over HTTP."""

from __future__ import annotations

from bot.core.people import users
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness


async def test_start_registers_and_greets(harness: Harness) -> None:
    """/start welcomes and registers once; a second /start says welcome back."""
    assert "Welcome to Companion" in await harness.reply(500, "/start")
    assert "Welcome back" in await harness.reply(500, "/start")
    async with harness.services.db.session() as session:
        assert await users.count_users(session) == 1


async def test_referral_payload_is_recorded(harness: Harness) -> None:
    """/start ref_<id> of a known user records the inviter; self-referral is ignored."""
    await harness.reply(600, "/start")
    await harness.reply(601, "/start ref_600")
    await harness.reply(602, "/start ref_602")
    async with harness.services.db.session() as session:
        invited = await session.get(users.User, 601)
        selfish = await session.get(users.User, 602)
    assert invited is not None and invited.referrer_id == 600
    assert selfish is not None and selfish.referrer_id is None


async def test_help_shows_admin_commands_only_to_admins(harness: Harness) -> None:
    """Users see their commands; admins also see an admin section."""
    user_help = await harness.reply(700, "/help")
    admin_help = await harness.reply(ADMIN, "/help")
    assert "/start" in user_help and "Admin commands" not in user_help
    assert "/help" in admin_help


async def test_unknown_command_gets_helpful_reply(harness: Harness) -> None:
    """An unknown command is answered once, pointing to /help; a known one (any case) gets
    its own answer and no "I don't know"."""
    world = harness.sandbox.world
    await harness.say(800, "/frobnicate now")
    await harness.idle()
    [reply] = world.to(800)
    assert "I don't know /frobnicate" in (reply.text or "") and "/help" in (reply.text or "")
    await harness.say(801, "/HELP")
    await harness.idle()
    [help_text] = [m.text or "" for m in world.to(801)]
    assert "/start" in help_text and "I don't know" not in help_text


async def test_blocking_marks_unreachable_and_back(harness: Harness) -> None:
    """my_chat_member kicked -> unreachable; member again -> reachable."""
    await harness.reply(900, "/start")

    async def reachable() -> bool:
        async with harness.services.db.session() as session:
            user = await session.get(users.User, 900)
            assert user is not None
            return user.reachable

    harness.sandbox.world.block(900)
    await _eventually(reachable, False)
    harness.sandbox.world.block(900, blocked=False)
    await _eventually(reachable, True)


async def test_many_users_start_at_once(harness: Harness) -> None:
    """200 users pressing /start together all get their welcome, with zero 429s."""
    world = harness.sandbox.world
    for user_id in range(10_000, 10_200):
        world.send_text(user_id, "/start")
    await harness.wait(lambda: all(world.to(u) for u in range(10_000, 10_200)), timeout=60)
    async with harness.services.db.session() as session:
        assert await users.count_users(session) == 200
    assert harness.sandbox.too_many_requests == 0


async def _eventually(probe: object, expected: bool, timeout: float = 5.0) -> None:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await probe() == expected:  # type: ignore[operator]
            return
        assert asyncio.get_running_loop().time() < deadline, "state did not change in time"
        await asyncio.sleep(0.05)


async def test_whoami_tells_the_user_id_for_admin_ids(harness: Harness) -> None:
    """/whoami answers the sender's id (what ADMIN_IDS lists) to anyone, registered or not,
    in their language; it is in /help."""
    assert await harness.reply(4242, "/whoami") == "Your Telegram user id is 4242."
    harness.sandbox.world.user(4343, language_code="uk")
    assert await harness.reply(4343, "/whoami") == "Ваш ідентифікатор користувача Telegram: 4343."
    assert "/whoami" in await harness.reply(4242, "/help")
