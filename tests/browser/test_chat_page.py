"""The sandbox's chat page (bot/sandbox/web.py, static/) in Chromium, beside the real bot and
its sandbox: people press buttons, pay, open invite links and see the bot's answers live, in
panes side by side, without reloading."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chatpage import chat_page, shoot
from tests.browser.miniapp import PHONE, ConsoleBot
from tests.conftest import ADMIN
from tests.helpers.chat import answer
from tests.helpers.jobs import installed_days_before

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.lifted_limits]

Factory = Callable[..., Awaitable[ConsoleBot]]
SEEN = 20_000  # ms: a hang guard for what the bot does in the background, not a pace
MODERATION = -1_001_000_000_003
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


async def test_a_person_starts_does_the_mission_and_sees_the_points(
    console_bot_factory: Factory, chromium: Browser
) -> None:
    """Start, /mission, Done: the mission arrives with its button and the message is edited
    in place to show the points; what the person types, and a bot's HTML beyond Telegram's
    tags, show as text, whatever they hold."""
    bot = await console_bot_factory()
    bot.harness.sandbox.world.user(501, "Olena", language_code="en")
    async with chat_page(chromium, bot, [501]) as opened:
        pane = opened.pane(501)
        await pane.get_by_test_id("start").click()
        await expect(opened.message(501, "Welcome to Companion")).to_be_visible(timeout=SEEN)
        await opened.write(501, HOSTILE)
        mine = pane.get_by_test_id("person-message").filter(has_text="onerror")
        await expect(mine).to_contain_text(HOSTILE)
        assert await opened.page.evaluate("window.pwned") is None
        world = bot.harness.sandbox.world  # a bot text in HTML with tags Telegram has not
        world.record(501, f"<b>Bold</b> {HOSTILE}", "sendMessage", {"parse_mode": "HTML"})
        bold = opened.message(501, "Bold")
        await expect(bold).to_contain_text(HOSTILE)
        await expect(bold.locator("b")).to_have_text("Bold")
        await expect(bold.locator("img, script")).to_have_count(0)
        assert await opened.page.evaluate("window.pwned") is None
        await opened.write(501, "/mission")
        mission = opened.message(501, "Today's mission")
        await expect(mission).to_be_visible(timeout=SEEN)
        await shoot(opened.page, "mission")
        done = pane.get_by_test_id("inline-button").filter(has_text="Done")
        await done.click()
        complete = opened.message(501, "Mission complete")
        await expect(complete).to_contain_text("points", timeout=SEEN)
        await expect(complete).to_contain_text("edited")
        await expect(pane.get_by_test_id("toast")).to_contain_text("+", timeout=SEEN)
        await expect(opened.message(501, "Today's mission")).to_have_count(0)
        await shoot(opened.page, "mission-done")


async def test_a_broadcast_reaches_the_other_pages_live(
    console_bot_factory: Factory, chromium: Browser
) -> None:
    """The admin writes /broadcast and presses Send: the two people's panes, open all along,
    show the broadcast without a reload."""
    bot = await console_bot_factory()
    h = bot.harness
    world = h.sandbox.world
    world.user(ADMIN, "Admin")
    for user_id, name in ((601, "Taras"), (602, "Mariia")):
        world.user(user_id, name)
        await answer(h, user_id, "/start", "Welcome")
    async with chat_page(chromium, bot, [ADMIN, 601, 602]) as opened:
        await opened.write(ADMIN, "/broadcast Hello from the sandbox page!")
        send = opened.pane(ADMIN).get_by_test_id("inline-button").filter(has_text="Send to")
        await expect(send).to_be_visible(timeout=SEEN)
        await send.click()
        for user_id in (601, 602):
            news = opened.message(user_id, "Hello from the sandbox page!")
            await expect(news).to_be_visible(timeout=SEEN)
        await shoot(opened.page, "broadcast")

        texts = (m.text or "" for m in world.to(ADMIN))
        found = (re.search(r"/cancelbroadcast (\d+)", text) for text in texts)
        ident = next(match.group(1) for match in found if match)
        await opened.write(ADMIN, f"/deletebroadcast {ident}")
        for user_id in (601, 602):
            gone = opened.message(user_id, "Hello from the sandbox page!")
            await expect(gone).to_have_count(0, timeout=SEEN)
            await expect(opened.message(user_id, "Welcome")).to_be_visible()


async def test_a_chart_shows_inline(console_bot_factory: Factory, chromium: Browser) -> None:
    """The daily report's chart, uploaded by the bot, shows in the admin's chat as a picture
    the page loads from the sandbox."""
    bot = await console_bot_factory()
    h = bot.harness
    h.sandbox.world.user(ADMIN, "Admin")
    await answer(h, ADMIN, "/start", "Welcome")
    await installed_days_before(h.services, 2)
    async with chat_page(chromium, bot, [ADMIN]) as opened:
        await h.run_job("analytics.daily_report")
        chart = opened.pane(ADMIN).get_by_test_id("photo")
        await expect(chart).to_be_visible(timeout=SEEN)
        await expect(opened.message(ADMIN, "Daily report")).to_be_visible()
        await chart.evaluate("img => img.decode()")
        assert await chart.evaluate("img => img.naturalWidth") > 100
        await shoot(opened.page, "chart")


async def test_a_suggestion_approved_in_the_moderation_view_reaches_its_author(
    console_bot_factory: Factory, chromium: Browser
) -> None:
    """A person suggests a post; its review card shows in the moderation chat's view, where
    Approve (pressed as the moderator) tells the author it was approved."""
    bot = await console_bot_factory(moderation_chat_id=MODERATION, moderator_ids=str(ADMIN))
    world = bot.harness.sandbox.world
    world.chat(MODERATION, "supergroup", "Moderators")
    world.user(5, "Ostap")
    async with chat_page(chromium, bot, [5, MODERATION]) as opened:
        await opened.pane(5).get_by_test_id("start").click()
        await expect(opened.message(5, "Welcome")).to_be_visible(timeout=SEEN)
        await opened.write(5, "/suggest Sunrise over the Carpathians")
        await expect(opened.message(5, "waits for review")).to_be_visible(timeout=SEEN)
        card = opened.message(MODERATION, "Sunrise over the Carpathians")
        await expect(card).to_be_visible(timeout=SEEN)
        moderation = opened.pane(MODERATION)
        await expect(moderation.get_by_test_id("actor")).to_have_value(str(ADMIN))
        await shoot(opened.page, "moderation")
        await moderation.get_by_test_id("inline-button").filter(has_text="Approve").click()
        await expect(opened.message(5, "was approved")).to_be_visible(timeout=SEEN)
        await expect(card).to_contain_text("Approved by", timeout=SEEN)
        await shoot(opened.page, "moderation-approved")


async def test_a_stars_invoice_paid_on_the_page_lets_the_person_into_the_vip_chat(
    console_bot_factory: Factory, chromium: Browser
) -> None:
    """/subscribe brings an invoice; Pay runs the pre-checkout and the payment; the invite
    link the bot sends, opened, shows the join in the VIP chat's view. On a phone-sized
    window the page fits its width."""
    bot = await console_bot_factory(vip_stars_price=50, vip_stars_days=30)
    world = bot.harness.sandbox.world
    world.user(7, "Bohdana")
    vip = bot.harness.services.settings.vip_chat_id
    assert vip is not None
    async with chat_page(chromium, bot, [7, vip]) as opened:
        await opened.pane(7).get_by_test_id("start").click()
        await expect(opened.message(7, "Welcome")).to_be_visible(timeout=SEEN)
        await opened.write(7, "/subscribe")
        pay = opened.pane(7).get_by_test_id("pay")
        await expect(pay).to_contain_text("50", timeout=SEEN)
        await pay.click()
        await expect(opened.message(7, "Thank you! VIP until")).to_be_visible(timeout=SEEN)
        link = opened.pane(7).locator('a[href^="https://t.me/+sandbox"]')
        await expect(link).to_be_visible(timeout=SEEN)
        await link.click()
        joined = opened.pane(vip).get_by_test_id("service").filter(has_text="joined the chat")
        await expect(joined).to_be_visible(timeout=SEEN)
        await shoot(opened.page, "vip")
        await opened.page.set_viewport_size(PHONE)
        width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert await opened.page.evaluate(width) <= 0
        await opened.message(7, "Thank you! VIP until").scroll_into_view_if_needed()
        await shoot(opened.page, "phone-chat")
        await opened.page.get_by_test_id("menu").click()
        await expect(opened.page.get_by_test_id("person").first).to_be_visible()
        await shoot(opened.page, "phone-panel")


async def test_the_panel_adds_people_and_drives_the_sandbox(
    console_bot_factory: Factory, chromium: Browser
) -> None:
    """A person added in the panel starts the bot; 'send today's mission now' brings the
    mission; a renewing subscription paid from its link is renewed by the panel's button;
    the failing-sends control sets the sandbox's fault rate; blocking shows in the chat."""
    bot = await console_bot_factory(vip_stars_monthly=100)
    world = bot.harness.sandbox.world
    async with chat_page(chromium, bot, []) as opened:
        page = opened.page
        await page.get_by_test_id("add-user").get_by_placeholder("New person's name").fill("Iryna")
        await page.get_by_test_id("add-user").get_by_role("button", name="Add").click()
        person = page.get_by_test_id("person").filter(has_text="Iryna")
        await person.get_by_test_id("open-chat").click()
        iryna = next(u.id for u in world.users.values() if u.first_name == "Iryna")
        await opened.pane(iryna).get_by_test_id("start").click()
        await expect(opened.message(iryna, "Welcome to Companion, Iryna")).to_be_visible(
            timeout=SEEN
        )
        await page.get_by_test_id("mission-now").click()
        done = opened.pane(iryna).get_by_test_id("inline-button").filter(has_text="Done")
        await expect(done).to_be_visible(timeout=SEEN)

        await opened.write(iryna, "/subscribe")
        subscribe = opened.pane(iryna).get_by_test_id("url-button")
        await expect(subscribe).to_be_visible(timeout=SEEN)
        await subscribe.click()
        paid = opened.pane(iryna).get_by_test_id("service").filter(has_text="paid 100")
        await expect(paid).to_be_visible(timeout=SEEN)
        renew = page.get_by_test_id("renew").filter(has_text="Iryna")
        await renew.click()
        renewed = opened.pane(iryna).get_by_test_id("service").filter(has_text="renewed")
        await expect(renewed).to_be_visible(timeout=SEEN)

        sandbox = bot.harness.sandbox
        await page.get_by_test_id("fault").select_option(label="30 %")
        await bot.harness.wait(lambda: sandbox.fault_rate == 0.3)
        await page.get_by_test_id("fault").select_option(label="none")
        await bot.harness.wait(lambda: sandbox.fault_rate == 0.0)

        await person.locator("summary").click()
        await person.get_by_test_id("block").click()
        blocked = opened.pane(iryna).get_by_test_id("service").filter(has_text="Blocked the bot")
        await expect(blocked).to_be_visible()
        await expect(person).to_contain_text("blocked")
        await shoot(page, "panel")


async def test_a_person_added_with_a_language_reads_it_and_sets_their_zone(
    console_bot_factory: Factory, chromium: Browser
) -> None:
    """A person added with Ukrainian as their Telegram's language is welcomed in Ukrainian;
    the panel's zone field sends /timezone as them."""
    bot = await console_bot_factory()
    world = bot.harness.sandbox.world
    async with chat_page(chromium, bot, []) as opened:
        page = opened.page
        form = page.get_by_test_id("add-user")
        await form.get_by_placeholder("New person's name").fill("Oksana")
        await form.locator("select").select_option(label="uk")
        await form.get_by_role("button", name="Add").click()
        person = page.get_by_test_id("person").filter(has_text="Oksana")
        await person.get_by_test_id("open-chat").click()
        oksana = next(u.id for u in world.users.values() if u.first_name == "Oksana")
        assert world.users[oksana].language_code == "uk"
        await opened.pane(oksana).get_by_test_id("start").click()
        welcome = opened.message(oksana, "Вітаємо в Companion, Oksana")
        await expect(welcome).to_be_visible(timeout=SEEN)
        await person.locator("summary").click()
        await person.get_by_placeholder("Europe/Kyiv or +5:45").fill("Europe/Kyiv")
        await person.get_by_role("button", name="Set zone").click()
        await expect(opened.message(oksana, "Europe/Kyiv")).to_be_visible(timeout=SEEN)
