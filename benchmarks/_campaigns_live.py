"""Stop and delete sent for real: a broadcast delivered to USERS chats of the sandbox, then
deleted through ``/deletebroadcast``'s call by the running bot at its configured rate, against
the sandbox with Telegram's limits on; one JSON line out.

``python -m benchmarks._campaigns_live USERS`` (``benchmarks/campaigns.py`` runs it). The
delivery goes fast (the sandbox's limits lifted, the bot's global rate raised): it is not what
is measured. The deletions go with the default settings (``RATE_GLOBAL_PER_SECOND``, 30/s)
against the sandbox enforcing Telegram's limits, which answers 429 to the methods it counts;
the result says how fast they went and how many 429s came back.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks._delivery_cases import (
    ADMIN,
    TEXT,
    audience,
    fill_users,
    poll,
    populate,
    settings_for,
)
from bot.app import build_application
from bot.core.context import services_of
from bot.core.kernel.logging import configure_logging
from bot.core.kernel.migrate import upgrade
from bot.core.lifecycle import serving
from bot.modules.broadcast import service, undo
from bot.sandbox import FloodLimits, SandboxServer


async def run(users: int) -> dict[str, Any]:
    configure_logging("WARNING")
    sandbox = SandboxServer(limits=FloodLimits.lifted())
    base_url = await sandbox.start()
    populate(sandbox, audience(users), set())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        fast = settings_for(folder, base_url, rate_global_per_second=1000.0)
        await asyncio.to_thread(upgrade, fast.database_url)
        await asyncio.to_thread(fill_users, fast.database_url, users)
        app = build_application(fast, modules=("broadcast",))
        async with serving(app, poll_timeout=1):
            services = services_of(app)
            async with services.db.session() as session:
                queued = await service.queue_broadcast(
                    session, text=TEXT, admin_id=ADMIN, now=services.clock.now()
                )
            broadcast_id = queued.id

            async def delivered() -> bool:
                async with services.db.session() as session:
                    return (await service.progress(session, queued)).done

            await poll(delivered, timeout=users / 20 + 60, every=0.2)
        sent = sum(1 for message in sandbox.world.messages if not message.deleted)
        sandbox.set_limits(FloodLimits())
        before = dict(sandbox.stats)
        app = build_application(settings_for(folder, base_url), modules=("broadcast",))
        async with serving(app, poll_timeout=1):
            services = services_of(app)
            rate = services.settings.rate_global_per_second
            started = time.monotonic()
            deleted = await undo.delete(services, broadcast_id, ADMIN)

            async def gone() -> bool:
                async with services.db.session() as session:
                    now: datetime = services.clock.now()
                    found = await undo.undone(session, broadcast_id, now)
                    return found.deleting == 0

            await poll(gone, timeout=users / rate * 2 + 60, every=0.5)
            seconds = time.monotonic() - started
            async with services.db.session() as session:
                final = await undo.undone(session, broadcast_id, services.clock.now())
    await sandbox.stop()
    after = sandbox.stats
    return {
        "delivered": sent,
        "queued": deleted.queued,
        "deleted": final.deleted,
        "failed": final.delete_failed,
        "left": sum(1 for message in sandbox.world.messages if not message.deleted),
        "seconds": seconds,
        "rate_per_s": rate,
        "sends_per_s": final.deleted / seconds if seconds else 0.0,
        "delete_calls": after["deleteMessage"] - before.get("deleteMessage", 0),
        "too_many_requests": after["429"] - before.get("429", 0),
    }


def main(argv: list[str]) -> None:
    result = asyncio.run(run(int(argv[0])))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
