"""The footprint after a day's work: the bot's RSS idle, then after every job ran once.

``python -m benchmarks._lean_day BASE_URL FOLDER`` (started by ``benchmarks/lean.py``): the
application ``python -m bot run`` builds, served in this process against a sandbox in another
process; every declared job is run once through the runner (as ``/runjob`` would), a few
users and a broadcast in the database so that the jobs have something to do. Prints JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_application
from bot.core.context import services_of
from bot.core.kernel.logging import configure_logging
from bot.core.lifecycle import serving
from bot.settings import CompanionSettings

SETTLE = 10.0  # seconds after the start, as the idle figure of ``benchmarks/lean.py``


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmRSS")


async def main(base_url: str, folder: str) -> dict[str, object]:
    configure_logging("WARNING")
    settings = CompanionSettings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder}/lean.sqlite3",
        telegram_api_base_url=base_url,
        bot_token="123456:LEAN-benchmark",
        admin_ids="1",
        log_level="WARNING",
        media_dir=Path(folder) / "media",
    )
    app = build_application(settings)
    services = services_of(app)
    async with serving(app, poll_timeout=1):
        await asyncio.sleep(SETTLE)  # the measured interval itself, not a wait for a condition
        idle = _rss_mb()
        statuses = {}
        for spec in sorted(services.jobs, key=lambda s: s.name):
            now = datetime.now(UTC)
            record = await services.runner.run(spec.name, trigger="manual", scheduled_for=now)
            statuses[spec.name] = record.status if record else "not run"
        await asyncio.sleep(2.0)  # let the outbox send what the jobs queued
        after = _rss_mb()
    return {"idle": idle, "after_jobs": after, "jobs": statuses}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))), flush=True)
