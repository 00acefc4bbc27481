"""The console's Jobs page (bot/modules/admin/console/jobs.js) in Chromium, opened as a Mini
App by an admin: the declared jobs listed, one run from the page through the same runner as
/runjob, its run in the page's history and in the chat's /jobhistory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.miniapp import ConsoleBot, shoot
from tests.conftest import ADMIN
from tests.helpers.jobs import runs

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
JOB = "cleanup.optimize"  # quick, harmless, and says what it did ("VACUUM: ... -> ...")


async def jobs_page(open_console: Opener, bot: ConsoleBot, **options: object) -> Page:
    """The console opened and its Jobs tab chosen, the jobs listed."""
    page = await open_console(bot, **options)
    await page.locator("#tabs button[data-page=jobs]").click()
    await expect(page.locator(f'#jobs tr[data-job="{JOB}"]')).to_be_visible()
    return page


async def finished(bot: ConsoleBot, job: str, timeout: float = 30) -> None:
    """Wait until every run of ``job`` has ended (none is still running)."""
    async with asyncio.timeout(timeout):
        while True:
            rows = await runs(bot.harness.services, job)
            if rows and all(row.status != "running" for row in rows):
                return
            await asyncio.sleep(0.05)


async def test_a_job_run_from_the_page_shows_in_its_history(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """The Jobs page lists every declared job; Run on one starts exactly one manual run
    through the runner, which the page's history then shows as succeeded with its summary,
    as does /jobhistory in the chat."""
    page = await jobs_page(open_console, console_bot)
    listed = await page.locator("#jobs tr[data-job]").evaluate_all(
        "rows => rows.map(row => row.dataset.job)"
    )
    assert sorted(listed) == sorted(spec.name for spec in console_bot.harness.services.jobs)
    await shoot(page, "jobs-light-phone")

    row = page.locator(f'#jobs tr[data-job="{JOB}"]')
    await row.locator("button[data-action=run]").click()
    await page.locator("#run-dialog button[data-action=confirm-run]").click()
    await expect(page.locator(".notice")).to_contain_text(JOB)
    await finished(console_bot, JOB)
    [run] = await runs(console_bot.harness.services, JOB)
    assert (run.trigger, run.status) == ("manual", "succeeded")

    await row.locator("button[data-action=history]").click()
    history = page.locator(f'#history-dialog[data-job="{JOB}"] tr[data-run]')
    await expect(history).to_have_count(1)
    await expect(history).to_have_attribute("data-status", "succeeded")
    await expect(history).to_contain_text("VACUUM")
    await shoot(page, "jobs-history-light-phone")
    assert "VACUUM" in await console_bot.harness.reply(ADMIN, f"/jobhistory {JOB}")

    dark = await jobs_page(open_console, console_bot, theme="dark")
    await expect(
        dark.locator(f'#jobs tr[data-job="{JOB}"] [data-status=succeeded]')
    ).to_be_visible()
    await shoot(dark, "jobs-dark-phone")
