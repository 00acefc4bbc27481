"""Several processes: a broadcast shared by 1, 2 and 4 `python -m bot run` processes on
PostgreSQL and Redis, against the sandbox with Telegram's limits (30/s in total).

``python -m benchmarks cluster`` (or ``make bench BENCH=cluster``): starts a throw-away
PostgreSQL (``tests/postgres.sh``) and a redis-server, then for each process count queues
one broadcast of CLUSTER_USERS rows and starts the processes. Printed per count: the
delivered rate as a share of the global limit (the first to the last message), lost
(never arrived), doubled (arrived twice) and 429s, and how many processes sent. About
three and a half minutes; ``CLUSTER_USERS=300`` for a quick look.

Then (``_cluster_faults.py``) four processes during a broadcast of CLUSTER_FAULT_USERS
(1,500): with Redis killed for 15 s (their combined rate as a share of the limit, the
busiest second during the outage and after Redis's return, 429s), and restarted one by one
(SIGTERM to exit per replica, and to its successor serving; lost, doubled). About two more
minutes; then one of the four killed mid-broadcast (the wait of the users whose rows it held
beside everyone else's). ``CLUSTER_PARTS=faults`` (or ``broadcast``; ``redis``, ``rolling`` or
``killed`` for one of the three cases) runs one part only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    if os.environ.get("COMPANION_TEST_POSTGRES_URL"):
        parts = os.environ.get("CLUSTER_PARTS", "broadcast,faults").split(",")
        if "broadcast" in parts:
            from benchmarks._cluster_run import main as run

            run()
        every = {"redis", "rolling", "killed"}
        cases = every & set(parts) or (every if "faults" in parts else set())
        if cases:
            from benchmarks._cluster_faults import main as faults

            faults(cases)
        return
    command = [
        "bash",
        str(ROOT / "tests" / "postgres.sh"),
        sys.executable,
        "-m",
        "benchmarks.cluster",
    ]
    subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
