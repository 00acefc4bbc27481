"""Work done apart in a short-lived child process: fed on stdin, killed when it overstays."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass

PIPE = asyncio.subprocess.PIPE
DEVNULL = asyncio.subprocess.DEVNULL

# What a child takes of the bot's environment: where programs and Python's packages are, the
# locale, the time zone, a home and a temporary folder (matplotlib keeps its cache there).
# Never the bot's settings: the token, the webhook secret and the passwords in DATABASE_URL and
# REDIS_URL stay in the bot; a child that needs a setting is given it by name.
INHERITED = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "VIRTUAL_ENV",
        "MPLCONFIGDIR",
        "MPLBACKEND",
        "SYSTEMROOT",
    }
)


def child_environment(given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: the :data:`INHERITED` variables (and the locale's
    ``LC_*``) of this process, then ``given``."""
    kept = {k: v for k, v in os.environ.items() if k in INHERITED or k.startswith("LC_")}
    return kept | dict(given or {})


@dataclass(frozen=True, slots=True)
class Exited:
    """A child's exit status and what it wrote (``b""`` for a stream not piped)."""

    status: int
    out: bytes
    err: bytes


async def run_child(
    *args: str,
    data: bytes,
    timeout: float,
    stdout: int | None = None,
    stderr: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Exited:
    """Run ``args`` with ``data`` on its stdin; ``stdout`` and ``stderr`` as for
    :func:`asyncio.create_subprocess_exec` (:data:`PIPE` to read them); its environment is
    :func:`child_environment` with ``env``. TimeoutError after ``timeout`` seconds. The child
    never outlives the call, also when the caller is cancelled (the bot stopping): it is
    killed."""
    child = await asyncio.create_subprocess_exec(
        *args, stdin=PIPE, stdout=stdout, stderr=stderr, env=child_environment(env)
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await child.communicate(data)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return Exited(child.returncode, out or b"", err or b"")
