"""Signing in to the console in a browser: /console's one-time login link in a desktop browser
(no Telegram) trades for a session cookie, the pages work on it (a change carries the CSRF
token), and the link works once; in the Mini App, initData that is forged, too old or a
stranger's opens nothing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.miniapp import DESKTOP, ConsoleBot, shoot, telegram_user
from tests.conftest import ADMIN
from tests.helpers.console import sign_init_data

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
JOB = "analytics.daily_report"


async def test_a_login_link_opens_the_console_once_and_changes_carry_csrf(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """/console answers with the Mini App button and a login link; opened in a plain browser
    the link sets an HttpOnly, SameSite=Strict session cookie for /console/ and shows the
    console; Pause on the Jobs page (a cookie-authenticated POST, so with the CSRF token)
    pauses the job as /pausejob would; the same link opened again is refused."""
    [message] = await console_bot.harness.say(ADMIN, "/console")
    buttons = message.buttons()
    assert buttons[0]["web_app"]["url"] == console_bot.url
    link = buttons[1]["url"]
    assert link.startswith(console_bot.url + "login?token=")

    path = link.removeprefix(console_bot.url)
    page = await open_console(console_bot, miniapp=False, viewport=DESKTOP, path=path)
    await expect(page.locator("#health [data-status]")).to_have_attribute("data-status", "ok")
    assert page.url == console_bot.url
    [cookie] = await page.context.cookies()
    assert (cookie["name"], cookie["path"]) == ("companion_console", "/console/")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")

    await page.locator("#tabs button[data-page=jobs]").click()
    row = page.locator(f'#jobs tr[data-job="{JOB}"]')
    await row.locator("button[data-action=pause]").click()
    await expect(row).to_have_attribute("data-paused", "true")
    jobs = await console_bot.harness.reply(ADMIN, "/jobs")
    assert any(JOB in line and "paused" in line for line in jobs.splitlines()), jobs
    await shoot(page, "jobs-light-desktop")

    again = await open_console(console_bot, miniapp=False, viewport=DESKTOP, path=path)
    await expect(again.locator("body")).to_contain_text("used up or has expired")
    assert await again.context.cookies() == []


async def test_forged_old_or_a_strangers_init_data_opens_nothing(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """In the Mini App, initData signed with another bot's token, or dated past
    CONSOLE_AUTH_MAX_AGE (an hour), gets the page's "not signed in" message and no page; a
    genuine user who is not an admin is told the console is for the bot's admins."""
    admin, now = telegram_user(ADMIN), int(time.time())
    forged = sign_init_data("987654:another-bot", admin, now)
    expired = sign_init_data(console_bot.token, admin, now - 3600 - 120)
    for init_data in (forged, expired):
        page = await open_console(console_bot, init_data=init_data)
        await expect(page.locator("#status")).to_contain_text("Not signed in")
        await expect(page.locator("#tabs button")).to_have_count(0)
    stranger = await open_console(console_bot, user_id=6)
    await expect(stranger.locator("#status")).to_contain_text("for the bot's admins")
    await expect(stranger.locator("#tabs button")).to_have_count(0)
