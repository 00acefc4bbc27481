"""Several processes: a broadcast shared by 1, 2 and 4 `python -m bot run` processes on
PostgreSQL and Redis, against the sandbox with Telegram's limits (30/s in total).

``python -m benchmarks cluster`` (or ``make bench BENCH=cluster``): starts a throw-away
PostgreSQL (``tests/postgres.sh``) and a redis-server, then for each process count queues
one broadcast of CLUSTER_USERS rows and starts the processes. Printed per count: the
delivered rate as a share of the global limit (the first to the last message), lost
(never arrived), doubled (arrived twice) and 429s, and how many processes sent. About a
about three and a half minutes; ``CLUSTER_USERS=300`` for a quick look.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    if os.environ.get("COMPANION_TEST_POSTGRES_URL"):
        from benchmarks._cluster_run import main as run

        run()
        return
    command = [
        "bash",
        str(ROOT / "tests" / "postgres.sh"),
        sys.executable,
        "-m",
        "benchmarks._cluster_run",
    ]
    subprocess.run(command, cwd=ROOT, check=True)
