"""The life of the process: start, serve, wind down; the hooks PTB calls on the way.

``serving(app)`` runs the application (taking updates included) for a block, in the same
order of hooks as PTB's ``run_polling``: initialize, post_init, start, ..., stop,
post_stop, shutdown, post_shutdown; ``serve_until_signalled`` is ``python -m bot run``.
Every step of the way down runs even if one before it failed, so nothing is left running.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.cluster import LeaseKeeper
from bot.core.context import App, Services, services_of
from bot.core.kernel import cancel_and_wait, get_logger
from bot.core.telegram import (
    Intake,
    LeaderPolling,
    Webhook,
    publish_command_menu,
    used_update_types,
)

log = get_logger(__name__)

STOP_HOOKS_RAN = "companion.stop_hooks_ran"
_MENU_TASK = "companion.menu_task"  # the background publication of the command menu


def build_intake(services: Services, app: App, *, poll_timeout: int) -> Intake:
    """A webhook when ``WEBHOOK_URL`` is set, else long polling by the lease holder; either
    asks Telegram only for the update types the declared handlers take."""
    settings = services.settings
    allowed = used_update_types(h for group in app.handlers.values() for h in group)
    if settings.webhook_url and settings.webhook_secret:
        return Webhook(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value(),
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            allowed=allowed,
        )
    keeper = LeaseKeeper(services.db, "updates", settings.polling_lease_seconds)
    return LeaderPolling(
        keeper, poll_timeout=poll_timeout, allowed=allowed, heartbeat=services.heartbeat
    )


@asynccontextmanager
async def serving(app: App, *, poll_timeout: int = 5) -> AsyncIterator[App]:
    """Run ``app`` (taking updates included) for the duration of the block."""
    services = services_of(app)
    await app.initialize()
    try:
        await post_init(app)
        await app.start()
        services.intake = build_intake(services, app, poll_timeout=poll_timeout)
        await services.intake.start(app)
        yield app
    finally:
        await wind_down(app)


async def serve_until_signalled(app: App, *, poll_timeout: int = 10) -> None:
    """``python -m bot run``: serve until SIGINT or SIGTERM, then stop cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with serving(app, poll_timeout=poll_timeout):
        await stopping.wait()
        log.info("stopping on signal")
    # The process ends now: what is still alive is frozen again, so that the interpreter's
    # last collection does not walk the whole heap (seconds of a stop on a busy machine).
    gc.freeze()


async def wind_down(app: App) -> None:
    """Stop taking updates, the stop hooks (the outbox sender hands back at once what it
    has not sent, so other processes take it while this one winds down), stop (job runs
    get a grace, handlers are waited for), shutdown (closes the HTTP client), then close
    the cache and the database. A step that fails is logged and the next one still runs,
    so nothing is left running."""
    for step in (_stop_intake, post_stop, _stop_application, _shutdown, post_shutdown):
        began = time.monotonic()
        try:
            await step(app)
        except Exception:
            log.exception("shutdown step failed", step=step.__name__)
        log.debug("shutdown step done", step=step.__name__, seconds=time.monotonic() - began)
    gc.unfreeze()  # what the start froze is collectable again (a process may serve again)


async def _stop_intake(app: App) -> None:
    services = services_of(app)
    if services.intake is not None:
        await services.intake.stop(app)
    elif app.updater is not None and app.updater.running:
        await app.updater.stop()


async def _stop_application(app: App) -> None:
    if app.running:
        await app.stop()


async def _shutdown(app: App) -> None:
    await app.shutdown()


async def post_init(app: App) -> None:
    """The start hooks (the outbox sender, the jobs, ...), then the command menu in the
    background: (1 + admins) calls per language that need not hold up the first
    getUpdates."""
    services = services_of(app)
    for hook in services.on_start:
        await hook(app)
    app.bot_data[_MENU_TASK] = asyncio.create_task(
        publish_command_menu(app.bot, services.commands, services.settings),
        name="publish command menu",
    )
    gc.freeze()  # what start-up built lives until the stop: full GC passes skip it
    log.info("bot started", username=app.bot.username, modules=len(services.modules))


async def post_stop(app: App) -> None:
    """The stop hooks (the outbox sender, the HTTP endpoint) while the bot can still send:
    as soon as updates stop coming (before ``Application.stop``, which may give job runs a
    grace) and in any case before ``shutdown`` closes its HTTP client."""
    services = services_of(app)
    app.bot_data[STOP_HOOKS_RAN] = True
    menu: asyncio.Task[None] | None = app.bot_data.pop(_MENU_TASK, None)
    if menu is not None:  # still publishing at the stop (a slow or unreachable Bot API)
        await cancel_and_wait({menu}, what="command menu")
    for hook in reversed(services.on_stop):
        try:
            await hook(app)
        except Exception:
            log.exception("shutdown hook failed")


async def post_shutdown(app: App) -> None:
    """The cache and the database, closed last."""
    services = services_of(app)
    await services.cache.close()
    await services.db.dispose()
