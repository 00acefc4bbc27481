"""`python -m bot backup | backups | restore` as an operator runs them: a backup listed and
restored; every bad input answered with one line and exit 2, the target untouched; a backup
killed with SIGKILL midway leaves nothing that is listed or restored."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.modules.backups import files
from tests.conftest import migrate
from tests.helpers.processes import cli, cli_env, kill, python_bot

pytestmark = pytest.mark.own_database  # the CLI runs on SQLite files of its own


def _env(tmp_path: Path) -> dict[str, str]:
    return {"BACKUPS__FOLDER": str(tmp_path / "backups")}


async def _backup(tmp_path: Path, schema_template: Path) -> Path:
    """A migrated database in ``tmp_path`` with a few rows, backed up by the CLI."""
    await migrate(f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3", schema_template)
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        db.executemany(
            "INSERT INTO transactions (user_id, amount, reason, reference, created_at) "
            "VALUES (?, 1, 'test', ?, '2026-12-07 10:00:00')",
            [(7, str(n)) for n in range(25)],
        )
    code, out, err = await cli(tmp_path, "backup", **_env(tmp_path))
    assert code == 0, err
    path = Path(out.splitlines()[0])
    assert path.parent == tmp_path / "backups" and path.name.endswith(".sqlite.gz")
    return path


async def test_backup_is_listed_and_restores_with_the_same_rows(
    tmp_path: Path, schema_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`backup` prints the file and its rows; `backups` lists it with a good checksum;
    `restore --to` a new file restores every table's rows, as the manifest counted them;
    `--replace` over a changed database swaps the backup in and keeps the old file aside."""
    path = await _backup(tmp_path, schema_template)
    manifest = files.read_manifest(path)
    assert manifest.tables["transactions"] == 25 and manifest.kind == "sqlite"
    assert manifest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    code, out, _ = await cli(tmp_path, "backups", **_env(tmp_path))
    assert code == 0 and path.name in out and " ok " in out
    target = tmp_path / "restored" / "bot.sqlite3"
    code, out, err = await cli(
        tmp_path, "restore", str(path), "--to", f"sqlite:///{target}", **_env(tmp_path)
    )
    assert code == 0, err
    assert "checksum ok" in out and "as counted" in out
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT count(*) FROM transactions").fetchone()[0] == 25
    assert [p.name for p in target.parent.iterdir()] == ["bot.sqlite3"]  # nothing left aside
    with sqlite3.connect(target) as db:
        db.execute("DELETE FROM transactions")
    monkeypatch.chdir(tmp_path)  # the command line's code, in this process, from here
    for name, value in cli_env(tmp_path, **_env(tmp_path)).items():
        monkeypatch.setenv(name, value)
    args = ["restore", str(path), "--to", f"sqlite:///{target}", "--replace"]
    assert await asyncio.to_thread(main, args) == 0
    kept = target.with_name("bot.sqlite3.before-restore")
    for database, rows in ((target, 25), (kept, 0)):
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT count(*) FROM transactions").fetchone()[0] == rows


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


async def test_bad_input_gets_one_line_and_changes_nothing(
    tmp_path: Path,
    schema_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing file, a missing manifest, a damaged file, a newer revision, a target with
    tables (no --replace), a bad --to, a target a bot is running on, a folder that is a
    file: exit 2, one line on stderr, no traceback, and the target as it was. (The command
    line's own code, in this process: a process each would take a minute of a loaded CI.)"""
    path = await _backup(tmp_path, schema_template)
    lonely = _copy(path, tmp_path / "lonely", manifest=False)
    damaged = _copy(path, tmp_path / "damaged")
    spoilt = bytearray(damaged.read_bytes())
    spoilt[len(spoilt) // 2] ^= 0xFF  # one bit flipped by the disk
    damaged.write_bytes(bytes(spoilt))
    newer = _copy(path, tmp_path / "newer")
    values = json.loads(files.manifest_path(path).read_text())
    files.manifest_path(newer).write_text(json.dumps({**values, "revisions": ["9999"]}))
    busy = tmp_path / "busy.sqlite3"
    shutil.copy(tmp_path / "cli.sqlite3", busy)
    with sqlite3.connect(busy) as db:  # a heartbeat of now: a bot runs on it
        beat = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        db.execute(
            "INSERT INTO instances (id, host, pid, started_at, heartbeat_at) "
            "VALUES ('live', 'here', 1, ?, ?)",
            (beat, beat),
        )
    fresh, taken = tmp_path / "fresh.sqlite3", tmp_path / "cli.sqlite3"
    to_fresh = ("--to", f"sqlite:///{fresh}")
    cases = {
        "no backup file at": ("restore", str(tmp_path / "none.sqlite.gz"), *to_fresh),
        "no manifest": ("restore", str(lonely), *to_fresh),
        "does not match its checksum": ("restore", str(damaged), *to_fresh),
        "does not know": ("restore", str(newer), *to_fresh),
        "already has tables": ("restore", str(path)),
        "--to": ("restore", str(path), "--to", "oracle://x/y"),
        "a bot is running": ("restore", str(path), "--to", f"sqlite:///{busy}", "--replace"),
    }
    before = {p: _digest(p) for p in (fresh, taken, busy)}
    monkeypatch.chdir(tmp_path)
    # A heartbeat counts as live for 10 minutes: the cases may take a while on a busy machine.
    for name, value in cli_env(tmp_path, INSTANCE_STALE_SECONDS="600", **_env(tmp_path)).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    for expected, args in cases.items():
        assert await asyncio.to_thread(main, list(args)) == 2, expected
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1, err
    monkeypatch.setenv("BACKUPS__FOLDER", str(path))  # a file, not a folder
    assert await asyncio.to_thread(main, ["backup"]) == 2
    err = capsys.readouterr().err
    assert "backup failed" in err and len(err.strip().splitlines()) == 1, err
    assert {p: _digest(p) for p in (fresh, taken, busy)} == before
    assert not fresh.exists() and not [p for p in _names(tmp_path) if ".fresh" in p.name]


def _copy(path: Path, folder: Path, *, manifest: bool = True) -> Path:
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    if manifest:
        shutil.copy(files.manifest_path(path), files.manifest_path(folder / path.name))
    return folder / path.name


@pytest.mark.sqlite_only
async def test_backup_killed_midway_leaves_nothing_that_looks_complete(
    tmp_path: Path,
    schema_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGKILL while a backup is being written (its temporary file exists): `backups` lists
    nothing, `restore` refuses every file left, and the next backup removes them."""
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"
    await migrate(url, schema_template)
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:  # 16 MB that gzip cannot shrink
        db.execute("CREATE TABLE ballast (data BLOB)")
        db.executemany("INSERT INTO ballast VALUES (?)", [(os.urandom(1 << 20),)] * 16)
    folder = tmp_path / "backups"
    env = cli_env(tmp_path, **_env(tmp_path))
    process = await python_bot("backup", cwd=tmp_path, env=env)
    try:
        async with asyncio.timeout(120):  # a hang guard
            while not any(".partial-" in p.name for p in _names(folder)):
                assert process.returncode is None, "the backup ended before it was killed"
                await asyncio.sleep(0.002)
    finally:
        code = await kill(process)
    assert code == -9, "the backup ended before it was killed"
    left = [p for p in folder.iterdir() if p.name != files.LOCK_NAME]
    assert left and not files.complete(folder)
    # What follows is the command line's code in this process (the kill needed a process).
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["backups"]) == 0
    assert "no backups" in capsys.readouterr().out
    target = tmp_path / "target.sqlite3"
    for leftover in left:
        args = ["restore", str(leftover), "--to", f"sqlite:///{target}"]
        assert await asyncio.to_thread(main, args) == 2
        assert "restore refused" in capsys.readouterr().err
    assert not target.exists()
    assert await asyncio.to_thread(main, ["backup"]) == 0
    assert "removed the leftover of an interrupted backup" in capsys.readouterr().out
    assert len(files.complete(folder)) == 1
    assert all(not p.name.startswith(".") or p.name == files.LOCK_NAME for p in folder.iterdir())


def _names(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.is_dir() else []
