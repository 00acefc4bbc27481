"""The examples of the README and of its reference pages (docs/*.md) are the code's truth:
each one that can run, runs here."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.core.jobs import DailyAt, JobSpec, RetryPolicy
from bot.modules.missions.jobs import JOBS, send_daily
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_check import GOOD_TOKEN
from tests.helpers.chat import answer
from tests.helpers.processes import cli

_ROOT = Path(__file__).parents[2]
# The README and every page of docs/: the JobSpec, the JOBS__ lines and /runjob are in
# docs/jobs.md, FEEDS= in docs/posts.md, MODERATION__ in docs/moderation.md.
PAGES = [_ROOT / "README.md", *sorted((_ROOT / "docs").glob("*.md"))]
DOCS = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", DOCS, flags=re.MULTILINE | re.DOTALL)
SETTING = re.compile(r"[A-Z][A-Z0-9_]*=\S")


def settings_blocks() -> list[str]:
    """Fenced blocks made only of ``NAME=value`` lines (comments allowed): .env examples."""
    found = []
    for _lang, body in BLOCKS:
        lines = [line for line in body.splitlines() if line.strip()]
        if lines and all(SETTING.match(line) for line in lines):
            found.append(body)
    return found


def test_readme_has_the_examples_this_file_runs() -> None:
    """The docs still show the settings blocks, the JobSpec and the /runjob examples."""
    blocks = settings_blocks()
    assert any("JOBS__" in b for b in blocks) and any("FEEDS=" in b for b in blocks)
    assert any("MODERATION__" in b for b in blocks)
    assert 'JobSpec("missions.send_daily"' in DOCS
    assert "`/runjob missions.send_daily limit=abc` answers `" in DOCS


@pytest.mark.parametrize("block", settings_blocks(), ids=lambda b: b.split("=", 1)[0])
async def test_settings_block_passes_check(tmp_path: Path, block: str) -> None:
    """Each settings block of the docs, written to .env as shown, passes `check` with no warning."""
    (tmp_path / ".env").write_text(block, encoding="utf-8")
    code, out, err = await cli(tmp_path, "check", BOT_TOKEN=GOOD_TOKEN)
    assert code == 0 and "configuration OK" in out, err
    assert "no such setting" not in err


async def test_job_overrides_take_effect(tmp_path: Path) -> None:
    """The docs' JOBS__ lines change what `check` prints as the effective schedule."""
    [block] = [b for b in settings_blocks() if "JOBS__" in b]
    (tmp_path / ".env").write_text(block, encoding="utf-8")
    code, out, err = await cli(tmp_path, "check", BOT_TOKEN=GOOD_TOKEN)
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "0 9 * * *" in lines["analytics.daily_report"]
    assert "03:30" in lines["cleanup.daily"]


def test_jobspec_example_is_the_declared_job() -> None:
    """The docs' JobSpec for missions.send_daily is exactly what the module declares."""
    [code] = [body for lang, body in BLOCKS if lang == "python" and "JobSpec(" in body]
    added: list[JobSpec] = []
    names = {
        "services": SimpleNamespace(jobs=SimpleNamespace(add=added.append)),
        "JobSpec": JobSpec,
        "DailyAt": DailyAt,
        "RetryPolicy": RetryPolicy,
        "time": time,
        "send_daily": send_daily,
    }
    exec(code, names)  # our own docs: running it is the point
    declared = next(spec for spec in JOBS if spec.name == "missions.send_daily")
    assert added == [declared]


async def test_runjob_examples_answer_as_shown(harness_factory: Callable[..., Any]) -> None:
    """`/runjob missions.send_daily limit=abc` answers what the docs say; limit=1 sends
    today's mission to the first reachable user only."""
    h: Harness = await harness_factory(**UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    shown = re.search(r"`/runjob missions.send_daily limit=abc` answers `([^`]+)`", DOCS)
    assert shown is not None
    await answer(h, ADMIN, "/runjob missions.send_daily limit=abc", shown.group(1))
    for user in (8001, 8002):
        await h.reply(user, "/start")
    await answer(h, ADMIN, "/runjob missions.send_daily limit=1", "assigned 1,")
    await h.wait(lambda: h.sandbox.world.to(8001)[1:])
    assert len(h.sandbox.world.to(8002)) == 1  # the welcome only


def test_the_jobs_table_lists_every_declared_job(tmp_path: Path) -> None:
    """docs/jobs.md names each job the modules declare, and no other."""
    from bot.app import build_application
    from tests.conftest import make_settings

    page = (Path(__file__).parents[2] / "docs" / "jobs.md").read_text(encoding="utf-8")
    table = page[page.index("| job | module |") :].split("\n\n", 1)[0]
    listed = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", table))
    app = build_application(make_settings(tmp_path))
    declared = set(app.bot_data["services"].jobs.names())
    assert listed == declared
