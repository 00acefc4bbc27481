"""Direct replies over Telegram's limits (counted in UTF-16 units) arrive, split or shortened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import build_application, build_services
from bot.core.delivery.split import utf16_len
from bot.core.jobs import DailyAt, JobContext, JobSpec, RetryPolicy
from bot.core.lifecycle import serving
from bot.sandbox import SandboxServer, SentMessage
from tests.conftest import ADMIN, make_settings, migrate
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.factories import job_run

# Flood limits lifted: a long reply is several messages to one chat at once.
pytestmark = pytest.mark.lifted_limits

LONG_ERROR = "FeedError: " + "💥 upstream said no; " * 400  # ~8,800 UTF-16 units


def _fits(messages: list[SentMessage]) -> bool:
    return all(utf16_len(m.text or "") <= 4096 for m in messages)


async def test_jobhistory_of_50_long_errors_arrives_in_parts(
    harness_factory: Callable[..., Any],
) -> None:
    """`/jobhistory content.publish_due 50` over 50 runs with page-long errors arrives as
    consecutive messages, each within 4096 UTF-16 units, every run listed, errors shortened."""
    h: Harness = await harness_factory(**UNPACED)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    async with h.services.db.session() as session:
        for minute in range(50):
            at = start + timedelta(minutes=minute)
            run = job_run("content.publish_due", at, status="failed", attempts=3, duration=0.5)
            run.error = LONG_ERROR
            session.add(run)
    world = h.sandbox.world
    before = len(world.to(ADMIN))
    world.send_text(ADMIN, "/jobhistory content.publish_due 50")
    await h.wait(lambda: sum((m.text or "").count("truncated") for m in world.to(ADMIN)) >= 50)
    parts = world.to(ADMIN)[before:]
    assert len(parts) >= 2 and _fits(parts)
    joined = "\n".join(m.text or "" for m in parts)
    assert joined.startswith("Last 50 runs of content.publish_due:")
    assert joined.count(" failed 0.50 sec ×3 — FeedError") == 50


async def _failing(_ctx: JobContext) -> str | None:
    raise RuntimeError(LONG_ERROR)


async def test_runjob_reply_shortens_a_long_error(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """`/runjob` of a job failing with a page-long error answers with the start of the error
    and a note of its full length, in one message."""
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url, **UNPACED)
    await migrate(settings.database_url, schema_template)
    services = build_services(settings)
    services.jobs.add(
        JobSpec("test.fails", _failing, DailyAt(time(3, 0)), retry=RetryPolicy(attempts=1))
    )
    world = sandbox.world
    async with serving(build_application(settings, services=services), poll_timeout=1):
        world.send_text(ADMIN, "/runjob test.fails")
        done = await world.wait_until(
            lambda: [m for m in world.to(ADMIN) if "finished" in (m.text or "")]
        )
    (reply,) = done
    text = reply.text or ""
    assert "test.fails finished: failed" in text and "RuntimeError: FeedError: 💥" in text
    assert f"(truncated: {len('RuntimeError: ' + LONG_ERROR):,} characters in all)" in text
    assert utf16_len(text) <= 1200


async def test_bot_splits_texts_edits_and_captions(harness_factory: Callable[..., Any]) -> None:
    """The bot's own send, edit and photo calls split what is too long: buttons under the last
    part, an edit keeps the first part in place, a caption continues as text."""
    h: Harness = await harness_factory(**UNPACED)
    world, bot = h.sandbox.world, h.app.bot
    world.user(ADMIN)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x")]])
    text = "\n".join(f"line {i} — 😀" for i in range(700))  # ~9,800 UTF-16 units
    await bot.send_message(ADMIN, text, reply_markup=markup)
    sent = world.to(ADMIN)
    assert len(sent) == 3 and _fits(sent) and "\n".join(m.text or "" for m in sent) == text
    assert [bool(m.reply_markup) for m in sent] == [False, False, True]
    first = await bot.send_message(ADMIN, "short")
    await bot.edit_message_text(text, chat_id=ADMIN, message_id=first.message_id)
    edited = world.by_key[(ADMIN, first.message_id)]
    assert edited.text == sent[0].text and len(world.to(ADMIN)) == 6
    await bot.send_photo(ADMIN, "file-id", caption=text[:3000])
    photo, *rest = world.to(ADMIN)[6:]
    assert photo.photo and utf16_len(photo.text or "") <= 1024 and rest and _fits(rest)
