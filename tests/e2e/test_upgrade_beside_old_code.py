"""A replica of the old version beside a database the next version migrated.

The next version is this code's migrations plus one expand step (a nullable column on
``users``, a new table), applied by Alembic from a copy of ``migrations/`` under the same
migration lock. The old bot, already running, keeps answering, writing and running jobs;
started again, the old code refuses the newer database with one line, and so does its
``db upgrade``, which changes nothing."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.kernel.migrate import ROOT, alembic_config, applied, recorded_heads
from bot.sandbox import SandboxServer
from bot.sandbox.world import SentMessage
from tests.conftest import database_url, migrate
from tests.helpers.clocks import eventually
from tests.helpers.processes import cli_env, finish, python_bot, start_bot, stop

pytestmark = pytest.mark.timeout(300)

NEXT = "9999"  # the next version's revision: unknown to this code
JOB = "analytics.quick_stats"
BEFORE, AFTER = 61_001, 61_002
REFUSAL = f"the database is at revision {NEXT}, newer than this code ({max(recorded_heads())})"
EXPAND = f'''"""The next version's expand step: only additions the old code does not see."""

import sqlalchemy as sa
from alembic import op

revision = "{NEXT}"
down_revision = {recorded_heads()!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("next_nickname", sa.String(64), nullable=True))
    op.create_table(
        "next_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=True),
        sa.Column("body", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("next_notes")
    op.drop_column("users", "next_nickname")
'''


def _next_version(tmp_path: Path, url: str) -> None:
    """Migrate ``url`` as the next version would: Alembic on a copy of ``migrations/`` with
    the expand step added (its env.py takes the migration lock, as every migration does)."""
    from alembic import command

    scripts = tmp_path / "next-migrations"
    shutil.copytree(ROOT / "migrations", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / f"{NEXT}_next_version.py").write_text(EXPAND, encoding="utf-8")
    config = alembic_config(url)
    config.set_main_option("script_location", str(scripts))
    command.upgrade(config, "heads")


async def _query(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql), params)]
    finally:
        await engine.dispose()


async def _schema(url: str) -> dict[str, list[str]]:
    """Every table and its columns."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:

            def read(sync: object) -> dict[str, list[str]]:
                found = inspect(sync)
                return {
                    table: sorted(c["name"] for c in found.get_columns(table))
                    for table in sorted(found.get_table_names())
                }

            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def _welcomed(sandbox: SandboxServer, user_id: int) -> None:
    sandbox.world.send_text(user_id, "/start")
    await sandbox.world.wait_until(
        lambda: any((m.text or "").startswith("Welcome") for m in sandbox.world.to(user_id)), 60
    )


async def _switch_to_ukrainian(sandbox: SandboxServer, url: str, user_id: int) -> None:
    """/language, then the Українська button: the choice is written to ``users``."""
    world = sandbox.world
    world.send_text(user_id, "/language")
    menu: SentMessage = await world.wait_until(
        lambda: next((m for m in world.to(user_id) if m.reply_markup), None), 60
    )
    answered = len(world.callback_answers)
    world.press(user_id, menu, "lang:set:uk")
    await world.wait_until(lambda: len(world.callback_answers) > answered, 60)
    assert world.callback_answers[answered].get("text", "").startswith("Готово")
    stored = await _query(url, "SELECT language FROM users WHERE id = :id", id=user_id)
    assert stored == [("uk",)]


async def _newest_run(url: str) -> int:
    rows = await _query(url, "SELECT max(id) FROM job_runs WHERE job = :job", job=JOB)
    return int(str(rows[0][0] or 0))


async def _ran_since(url: str, run: int) -> bool:
    """Whether the job ran (and succeeded) after the run ``run``."""
    query = "SELECT id FROM job_runs WHERE job = :job AND id > :id AND status = 'succeeded'"
    return bool(await _query(url, query, job=JOB, id=run))


async def test_old_replica_keeps_working_then_its_restart_is_refused(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """An old bot on a database at its head; the next version's expand step is applied
    beside it. The old bot still welcomes a new user, stores a /language choice and runs
    a job; stopped and started again, its code refuses the newer database (exit 2, the one
    line) and the database stays as the next version left it."""
    url = database_url(tmp_path)
    await migrate(url, schema_template)  # at this code's head
    bot = await start_bot(
        tmp_path,
        sandbox.base_url,
        url,
        **{f"JOBS__{JOB.upper().replace('.', '_')}__SCHEDULE": "every 1s"},
    )
    try:
        await _welcomed(sandbox, BEFORE)
        await asyncio.to_thread(_next_version, tmp_path, url)
        assert await asyncio.to_thread(applied, url) == (NEXT,)
        ran_before = await _newest_run(url)

        await _welcomed(sandbox, AFTER)  # a new row in users, which has a new column
        await _switch_to_ukrainian(sandbox, url, AFTER)  # an update of that row
        await eventually(lambda: _ran_since(url, ran_before), 60)  # scheduled every second
    finally:
        assert await stop(bot) == 0

    env = cli_env(
        tmp_path, DATABASE_URL=url, BOT_TOKEN="123:old", TELEGRAM_API_BASE_URL=sandbox.base_url
    )
    pipe = asyncio.subprocess.PIPE
    again = await python_bot("run", cwd=tmp_path, env=env, stdout=pipe, stderr=pipe)
    out, err = await finish(again, 120)
    assert again.returncode == 2
    assert err.decode().splitlines() == [
        f"{REFUSAL}: run the newer version, or restore a backup made for this one"
    ]
    assert out == b""
    assert await asyncio.to_thread(applied, url) == (NEXT,)


async def test_db_upgrade_refuses_a_newer_database_and_changes_nothing(
    tmp_path: Path, schema_template: Path
) -> None:
    """`db upgrade` of the old code on a database the next version migrated: exit 2, the one
    line, and every table, column and recorded revision as they were."""
    url = database_url(tmp_path)
    await migrate(url, schema_template)  # at this code's head
    await asyncio.to_thread(_next_version, tmp_path, url)
    schema = await _schema(url)
    assert "next_notes" in schema and "next_nickname" in schema["users"]

    pipe = asyncio.subprocess.PIPE
    env = cli_env(tmp_path, DATABASE_URL=url)
    process = await python_bot("db", "upgrade", cwd=tmp_path, env=env, stdout=pipe, stderr=pipe)
    out, err = await finish(process, 120)
    assert process.returncode == 2
    assert err.decode().splitlines() == [
        f"{REFUSAL}: run the newer version, or restore a backup made for this one"
    ]
    assert out == b""
    assert await asyncio.to_thread(applied, url) == (NEXT,)
    assert await _schema(url) == schema
