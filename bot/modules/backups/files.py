"""Backups as files: names, the manifest beside each data file, checksums, the folder lock.

A backup is two files in the folder: the data (``2026-12-07T03-30-00Z.sqlite.gz`` or
``...pgdump``) and its manifest (the same name plus ``.json``). Each is written under a
temporary name (``.<name>.partial-<pid>``), fsynced and renamed; the manifest goes last, so a
backup is complete exactly when its manifest exists: a run killed midway leaves only
temporary files, or a data file without a manifest, which nothing lists or restores and the
next run removes (it holds the folder's lock, so no other run is writing them).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_SUFFIX = ".json"
STAMP = "%Y-%m-%dT%H-%M-%SZ"
EXTENSIONS = {"sqlite": ".sqlite.gz", "postgresql": ".pgdump"}
LOCK_NAME = ".lock"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds, written beside it as JSON."""

    file: str  # the data file's name, in the same folder
    kind: str  # "sqlite" or "postgresql"
    created_at: datetime
    revisions: tuple[str, ...]  # alembic_version when the backup was taken
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    sha256: str = ""
    size: int = 0
    seconds: float = 0.0  # how long the backup took
    format: int = 1

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def revision(self) -> str:
        """The newest revision recorded (the migrations are numbered in order)."""
        return max(self.revisions) if self.revisions else "none"

    def to_json(self) -> str:
        values: dict[str, Any] = asdict(self)
        values["created_at"] = self.created_at.isoformat()
        values["revisions"] = list(self.revisions)
        return json.dumps(values, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """The manifest in ``text``; :class:`BackupError` when it is not one."""
        try:
            values = json.loads(text)
            return cls(
                file=str(values["file"]),
                kind=str(values["kind"]),
                created_at=datetime.fromisoformat(values["created_at"]),
                revisions=tuple(str(r) for r in values["revisions"]),
                tables={str(k): _count(v) for k, v in values["tables"].items()},
                sha256=str(values["sha256"]),
                size=_count(values["size"]),
                seconds=_seconds(values.get("seconds", 0.0)),
                format=_count(values.get("format", 1)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"not a backup manifest ({type(exc).__name__}: {exc})") from exc


def _count(value: object) -> int:
    """A whole number as JSON wrote it (never a text to parse)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a duration: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Listed:
    """A complete backup found in the folder, and whether its data matches its checksum."""

    path: Path
    manifest: Manifest
    intact: bool


def backup_name(kind: str, at: datetime, folder: Path) -> str:
    """The data file's name for a backup at ``at`` (UTC), unique in ``folder``."""
    stem = at.astimezone(UTC).strftime(STAMP)
    name, n = f"{stem}{EXTENSIONS[kind]}", 1
    while (folder / name).exists() or (folder / f"{name}{MANIFEST_SUFFIX}").exists():
        n += 1
        name = f"{stem}-{n}{EXTENSIONS[kind]}"
    return name


def partial(folder: Path, name: str) -> Path:
    """The temporary name ``name`` is written under."""
    return folder / f".{name}.partial-{os.getpid()}"


def manifest_path(data: Path) -> Path:
    return data.with_name(data.name + MANIFEST_SUFFIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


def fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def publish(temporary: Path, final: Path) -> None:
    """Make ``temporary`` (fully written) ``final``: fsync, rename, fsync the folder."""
    fsync_file(temporary)
    os.replace(temporary, final)
    fsync_dir(final.parent)


def write_manifest(data: Path, manifest: Manifest) -> Path:
    """Write the manifest beside ``data``, atomically; the backup is complete from then on."""
    final = manifest_path(data)
    temporary = partial(data.parent, final.name)
    temporary.write_text(manifest.to_json(), encoding="utf-8")
    publish(temporary, final)
    return final


@contextlib.asynccontextmanager
async def folder_lock(folder: Path, poll: float = 0.2) -> AsyncIterator[None]:
    """Hold the lock of ``folder`` (which exists): one backup at a time in it, across the
    processes of this host, waiting for a run in progress. Taken without blocking, a try
    every ``poll`` seconds, so a wait that is cancelled (a job's timeout) leaves nothing
    holding it; it ends with the process, however the process ends."""
    handle = await asyncio.to_thread((folder / LOCK_NAME).open, "a")
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(poll)
        yield
    finally:
        handle.close()  # and with it the lock


def remove_leftovers(folder: Path) -> list[str]:
    """Remove what killed runs left (temporary files, data files without a manifest); the
    names removed. Call it holding :func:`folder_lock`."""
    removed = []
    for path in sorted(folder.iterdir()):
        leftover = ".partial-" in path.name and path.name.startswith(".")
        orphan = _is_data(path.name) and not manifest_path(path).exists()
        if path.is_file() and (leftover or orphan):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _is_data(name: str) -> bool:
    return not name.startswith(".") and any(name.endswith(ext) for ext in EXTENSIONS.values())


def read_manifest(data: Path) -> Manifest:
    """The manifest beside ``data`` (``data`` may name the manifest itself)."""
    path = data if data.name.endswith(MANIFEST_SUFFIX) else manifest_path(data)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BackupError(f"no manifest {path.name} beside the backup ({exc.strerror})") from exc
    return Manifest.from_json(text)


def complete(folder: Path) -> list[tuple[Path, Manifest]]:
    """Every complete backup in ``folder`` (a manifest whose data file exists), oldest first;
    a manifest that cannot be read is skipped."""
    found = []
    if not folder.is_dir():
        return []
    for path in folder.glob(f"*{MANIFEST_SUFFIX}"):
        if path.name.startswith("."):
            continue
        try:
            manifest = Manifest.from_json(path.read_text(encoding="utf-8"))
        except (OSError, BackupError):
            continue
        data = path.with_name(manifest.file)
        if manifest.file + MANIFEST_SUFFIX == path.name and data.is_file():
            found.append((data, manifest))
    return sorted(found, key=lambda pair: (pair[1].created_at, pair[0].name))


def listing(folder: Path) -> list[Listed]:
    """The complete backups, newest first, each with its checksum checked."""
    return [
        Listed(path, manifest, intact=sha256_of(path) == manifest.sha256)
        for path, manifest in reversed(complete(folder))
    ]


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover - the loop returns
