"""The console's Audit page (bot/modules/admin/console/audit.js) in Chromium, opened as a Mini
App: a job paused from the Jobs page shows on the Audit page with who, the action, the target
and the result, as does a refused one; Ukrainian texts; a moderator has no Audit tab."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, expect

from bot.core.people import store_choice
from tests.browser.miniapp import DESKTOP, ConsoleBot, shoot
from tests.conftest import ADMIN
from tests.helpers.console import ConsoleClient, sign_init_data

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
JOB = "cleanup.daily"
MODERATOR = 77


def port(bot: ConsoleBot) -> int:
    found = urlsplit(bot.url).port
    assert found is not None
    return found


async def audit_page(open_console: Opener, bot: ConsoleBot, **options: Any) -> Page:
    """The console opened and its Audit tab chosen."""
    page = await open_console(bot, **options)
    await page.locator("#tabs button[data-page=audit]").click()
    await expect(page.get_by_test_id("audit-action")).to_be_visible()
    return page


async def test_a_pause_from_the_jobs_page_shows_on_the_audit_page(
    console_bot_factory: Callable[..., Awaitable[ConsoleBot]], open_console: Opener
) -> None:
    """An admin (known to the bot as Olena) pauses a job on the Jobs page, and a moderator's
    pause of it is refused: the Audit page lists both, newest first, with who (name and id),
    the action, the job as the target and the result; the filter by action keeps the pauses,
    the light and dark phone layouts fit the screen, and the page reads in Ukrainian."""
    bot = await console_bot_factory(moderator_ids=f"{ADMIN},{MODERATOR}")
    h = bot.harness
    h.sandbox.world.user(ADMIN, first_name="Olena")
    await h.reply(ADMIN, "/start")

    jobs = await open_console(bot)
    await jobs.locator("#tabs button[data-page=jobs]").click()
    row = jobs.locator(f'#jobs tr[data-job="{JOB}"]')
    await row.locator("button[data-action=pause]").click()
    await expect(row).to_have_attribute("data-paused", "true")
    async with ConsoleClient(port(bot), sign_init_data(bot.token, MODERATOR)) as client:
        assert (await client.post(f"jobs/{JOB}/resume", {})).status == 403

    page = await audit_page(open_console, bot)
    rows = page.get_by_test_id("audit-row")
    await expect(rows).to_have_count(2)
    refused, paused = rows.nth(0), rows.nth(1)
    await expect(paused).to_have_attribute("data-action", "jobs.pause")
    await expect(paused).to_have_attribute("data-result", "ok")
    await expect(paused.locator("[data-field=who]")).to_have_text(f"Olena ({ADMIN})")
    await expect(paused.locator("[data-field=action]")).to_have_text("jobs.pause")
    await expect(paused.locator("[data-field=target]")).to_have_text(JOB)
    await expect(paused.locator("[data-field=result]")).to_have_text("done")
    await expect(paused.locator("[data-field=when]")).not_to_have_text("—")
    await expect(refused).to_have_attribute("data-action", "jobs.resume")
    await expect(refused).to_have_attribute("data-result", "refused")
    await expect(refused.locator("[data-field=who]")).to_have_text(str(MODERATOR))
    await expect(refused.locator("[data-field=result]")).to_contain_text("refused")
    await expect(refused.locator("[data-field=detail]")).to_have_text("not for your role")
    await expect(page.get_by_test_id("audit-more")).to_be_hidden()
    await shoot(page, "audit-light-phone")

    await page.get_by_test_id("audit-action").select_option("jobs.pause")
    await expect(rows).to_have_count(1)
    await expect(rows).to_have_attribute("data-action", "jobs.pause")

    dark = await audit_page(open_console, bot, theme="dark")
    await expect(dark.get_by_test_id("audit-row")).to_have_count(2)
    await shoot(dark, "audit-dark-phone")

    wide = await audit_page(open_console, bot, viewport=DESKTOP)
    await expect(wide.get_by_test_id("audit-row")).to_have_count(2)
    await shoot(wide, "audit-light-desktop")

    async with h.services.db.session() as session:  # what pressing Українська in /language does
        assert await store_choice(session, h.services.cache, ADMIN, "uk")
    uk = await audit_page(open_console, bot)
    await expect(uk.locator("#tabs button[data-page=audit]")).to_have_text("Журнал дій")
    paused_uk = uk.locator("[data-testid=audit-row][data-action='jobs.pause']")
    await expect(paused_uk.locator("[data-field=result]")).to_have_text("виконано")


async def test_more_lines_load_on_demand_and_new_ones_arrive_on_top(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """Sixty changes: the page shows the newest 50, Load more the other 10 (none twice, newest
    first); a change made while the page is open arrives on top by itself."""
    async with ConsoleClient(port(console_bot), sign_init_data(console_bot.token, ADMIN)) as client:
        for n in range(60):
            action = "pause" if n % 2 == 0 else "resume"
            assert (await client.post(f"jobs/{JOB}/{action}", {})).status == 200
        ids = [entry["id"] for entry in (await client.get("audit?limit=200")).body]
        assert len(ids) == 60

        page = await audit_page(open_console, console_bot)
        rows = page.get_by_test_id("audit-row")
        await expect(rows).to_have_count(50)
        await page.get_by_test_id("audit-more").click()
        await expect(rows).to_have_count(60)
        await expect(page.get_by_test_id("audit-more")).to_be_hidden()
        shown = await rows.evaluate_all("rows => rows.map(row => Number(row.dataset.id))")
        assert shown == ids

        assert (await client.post(f"jobs/{JOB}/pause", {})).status == 200
        # The page asks for new lines every 10 seconds: 30 is a hang guard only.
        await expect(rows).to_have_count(61, timeout=30_000)
        await expect(rows.first).to_have_attribute("data-id", str(max(ids) + 1))


async def test_a_moderator_has_no_audit_tab(
    console_bot_factory: Callable[..., Awaitable[ConsoleBot]], open_console: Opener
) -> None:
    """On a bot where nothing was changed yet an admin's Audit page says so; a moderator who
    is not an admin sees the Moderation tab and no Audit tab."""
    bot = await console_bot_factory(moderator_ids=f"{ADMIN},{MODERATOR}")
    admin = await audit_page(open_console, bot)
    await expect(admin.get_by_test_id("audit-empty")).to_be_visible()
    await expect(admin.get_by_test_id("audit-row")).to_have_count(0)
    page = await open_console(bot, user_id=MODERATOR)
    await expect(page.locator("#tabs button[data-page=moderation]")).to_be_visible()
    await expect(page.locator("#tabs button[data-page=audit]")).to_have_count(0)
