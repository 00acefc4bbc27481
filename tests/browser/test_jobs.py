"""The console's Jobs page (bot/modules/admin/console/jobs.js) in Chromium, opened as a Mini
App by an admin: the declared jobs listed, one run from the page through the same runner as
/runjob, its run in the page's history and in the chat's /jobhistory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from bot.core.jobs.models import JobRun
from tests.browser.miniapp import ConsoleBot, shoot
from tests.conftest import ADMIN
from tests.helpers.jobs import runs

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
# Quick, harmless, and says what it did ("12 users, backlog 0"); it also runs every 15 minutes,
# so the manual run is told apart by its trigger.
JOB = "analytics.quick_stats"


async def jobs_page(open_console: Opener, bot: ConsoleBot, **options: object) -> Page:
    """The console opened and its Jobs tab chosen, the jobs listed."""
    page = await open_console(bot, **options)
    await page.locator("#tabs button[data-page=jobs]").click()
    await expect(page.locator(f'#jobs tr[data-job="{JOB}"]')).to_be_visible()
    return page


async def manual_runs(bot: ConsoleBot, job: str, timeout: float = 30) -> list[JobRun]:
    """The manual runs of ``job`` once there is one and none is still running."""
    async with asyncio.timeout(timeout):
        while True:
            rows = [r for r in await runs(bot.harness.services, job) if r.trigger == "manual"]
            if rows and all(row.status != "running" for row in rows):
                return rows
            await asyncio.sleep(0.05)


async def test_a_job_run_from_the_page_shows_in_its_history(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """The Jobs page lists every declared job; Run on one starts exactly one manual run
    through the runner, which the page's history (filtered to manual runs) then shows as
    succeeded with its summary, as does /jobhistory in the chat."""
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
    [run] = await manual_runs(console_bot, JOB)
    assert run.status == "succeeded", run.error

    await row.locator("button[data-action=history]").click()
    dialog = page.locator(f'#history-dialog[data-job="{JOB}"]')
    await dialog.locator("select[name=trigger]").select_option("manual")
    history = dialog.locator("tr[data-run]")
    await expect(history).to_have_count(1)
    await expect(history).to_have_attribute("data-run", str(run.id))
    await expect(history).to_have_attribute("data-status", "succeeded")
    await expect(history).to_contain_text("backlog")
    await shoot(page, "jobs-history-light-phone")
    assert "backlog" in await console_bot.harness.reply(ADMIN, f"/jobhistory {JOB}")

    dark = await jobs_page(open_console, console_bot, theme="dark")
    await expect(
        dark.locator(f'#jobs tr[data-job="{JOB}"] [data-status=succeeded]')
    ).to_be_visible()
    await shoot(dark, "jobs-dark-phone")
