"""The composition root: the one place that builds and wires everything.

``build_application(settings)`` returns a ready python-telegram-bot
``Application``: the kernel is built first (``bot/core/kernel/build.py``), the
:class:`Services` are assembled on top of it (the bot, the registries, the job
runner), the modules register into them, and ``app.services`` holds them.
Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

import structlog
from sqlalchemy import MetaData
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot.core.cluster.lease import LeaseKeeper
from bot.core.context import SERVICES, App, BotContext, Services, services_of
from bot.core.delivery.sender import OutboxSender
from bot.core.jobs.jobqueue import start_jobs
from bot.core.kernel.build import Kernel, build_kernel
from bot.core.kernel.clock import Clock
from bot.core.kernel.db import Base
from bot.core.kernel.logging import get_logger
from bot.core.kernel.settings import Settings
from bot.core.kernel.tasks import cancel_and_wait
from bot.core.module import wire
from bot.core.people.i18n import configure as configure_language
from bot.core.people.i18n import languages, speaking, tag
from bot.core.people.languages import choices, for_user
from bot.core.ratelimit import build_rate_limiter
from bot.core.telegram.bot import CompanionBot
from bot.core.telegram.errors import ErrorReporter
from bot.core.telegram.intake import Intake, LeaderPolling, Webhook
from bot.core.telegram.outage import UpdateRetries, database_unreachable
from bot.core.telegram.processor import ChatOrderedUpdateProcessor
from bot.core.telegram.received import first_time, purge_received
from bot.core.telegram.request import bot_request

log = get_logger(__name__)

# Feature modules, in registration order; each exports ``register(services) -> Module``.
MODULES: tuple[str, ...] = (
    "accounts",
    "admin",
    "cleanup",
    "analytics",
    "monitoring",
    "missions",
    "economy",
    "referrals",
    "broadcast",
    "subscriptions",
    "content",
    "notifications",
    "moderation",
    "language",
)

SANDBOX_TOKEN = "7000000001:SANDBOX-offline-token"
_STOP_HOOKS_RAN = "companion.stop_hooks_ran"
_MENU_TASK = "companion.menu_task"  # the background publication of the command menu


class CompanionApplication(
    Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
):
    """PTB's Application, binding ``update_id``/``chat_id`` to every log line of an update,
    handling a webhook cluster's updates once, and handling again (a few times, seconds
    apart) an update that failed because the database did not answer."""

    @property
    def services(self) -> Services:
        """The services ``build_application`` assembled for this application."""
        return services_of(self)

    @property
    def retries(self) -> UpdateRetries:
        """Tries left for updates that met a database outage (one table per application)."""
        retries: UpdateRetries | None = self.__dict__.get("_retries")
        if retries is None:
            retries = self.__dict__["_retries"] = UpdateRetries()
        return retries

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        chat = update.effective_chat
        with structlog.contextvars.bound_contextvars(
            update_id=update.update_id, chat_id=chat.id if chat else None
        ):
            if await self._first_time(update):
                with speaking(await self._language(update)):
                    await self._handle(update)

    async def _language(self, update: Update) -> str | None:
        """The language of the update's user: replies and texts are written in it."""
        user = update.effective_user
        if user is None:
            return None
        known = choices(self.bot_data)
        return await for_user(self.services.db, known, user.id, user.language_code)

    async def _first_time(self, update: Update) -> bool:
        services = self.services
        if not services.settings.webhook_url:
            return True
        try:
            first = await first_time(services.db, update.update_id, services.clock.now())
        except Exception as exc:
            if database_unreachable(exc) and self._again(update):
                return False
            raise
        if not first:
            log.info("update already handled by this cluster", update_id=update.update_id)
        return first

    async def _handle(self, update: Update) -> None:
        tried = self.retries.tried(update.update_id)
        await super().process_update(update)
        if self.retries.tried(update.update_id) == tried:  # handled: no new try was scheduled
            self.retries.done(update.update_id)

    def _again(self, update: Update) -> bool:
        return self.retries.later(update.update_id, lambda: self._handle(update), self.create_task)

    async def process_error(
        self, update: object | None, error: Exception, job: Any = None, coroutine: Any = None
    ) -> bool:
        """A handler that failed because the database is away runs again a little later;
        the error handlers (and the user's "try again") come only when the tries ran out."""
        outage = job is None and isinstance(update, Update) and database_unreachable(error)
        if outage and isinstance(update, Update) and self._again(update):
            return True  # stop this update's other handlers: it will be handled anew
        return await super().process_error(update, error, job, coroutine)

    async def stop(self) -> None:
        """Job runs in progress get a grace, then are cancelled, before PTB waits for the
        tasks it started (a run could otherwise hold the stop for its whole timeout)."""
        if SERVICES in self.bot_data:
            await self.services.runner.stop()
        await super().stop()

    async def shutdown(self) -> None:
        """A stop signal during start-up skips ``stop`` and ``post_stop`` in PTB's
        ``run_polling``: the stop hooks (the outbox sender's graceful stop) run here then,
        while the bot can still send and record."""
        if SERVICES in self.bot_data and not self.bot_data.get(_STOP_HOOKS_RAN):
            await _post_stop(self)
        await super().shutdown()


def load_modules(names: Sequence[str] = MODULES) -> list[ModuleType]:
    return [importlib.import_module(f"bot.modules.{name}") for name in names]


def load_models(names: Sequence[str] = MODULES) -> MetaData:
    """Import every table definition (core and modules); the metadata Alembic compares."""
    importlib.import_module("bot.core.people.users")
    importlib.import_module("bot.core.people.user_times")
    importlib.import_module("bot.core.delivery.outbox")
    importlib.import_module("bot.core.cluster.instances")
    importlib.import_module("bot.core.jobs.models")
    importlib.import_module("bot.core.cluster.lease")
    importlib.import_module("bot.core.telegram.received")
    for name in names:
        try:
            importlib.import_module(f"bot.modules.{name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.modules.{name}.models":
                raise
    return Base.metadata


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """The kernel, then the bot and the services on top of it: complete, no module yet."""
    configure_language(settings.default_language)
    kernel = build_kernel(settings, clock=clock)
    return Services.assemble(kernel, build_bot(kernel))


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    modules: Sequence[str] = MODULES,
    services: Services | None = None,
) -> CompanionApplication:
    """Build the bot: services, the PTB application, and every module registered."""
    services = services or build_services(settings, clock=clock)
    builder: Any = (
        ApplicationBuilder()
        .application_class(CompanionApplication)
        .bot(services.bot)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(
            ChatOrderedUpdateProcessor(
                64,
                backlog=settings.updates_chat_backlog,
                on_drop=services.metrics.updates_dropped.inc,
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    app: CompanionApplication = builder.build()
    app.bot_data[SERVICES] = services
    _wire_delivery(services)
    for module in load_modules(modules):
        wire(app, services, module.register(services))
    if settings.webhook_url:
        services.purgers.add("core.received_updates", purge_received)
    app.add_error_handler(ErrorReporter(services))
    services.runner.validate()  # unknown job in JOBS__..., bad cron, ...: stop here

    async def start_declared_jobs(app: App) -> None:
        await start_jobs(app, services)

    services.on_start.append(start_declared_jobs)
    return app


def build_bot(kernel: Kernel) -> CompanionBot:
    """The bot, built here rather than by the builder so that it is a :class:`CompanionBot`
    (replies split to Telegram's limits); the HTTP pools are the builder's defaults."""
    settings = kernel.settings
    return CompanionBot(
        token=settings.token() or SANDBOX_TOKEN,
        base_url=settings.telegram_api_base_url,
        defaults=Defaults(tzinfo=settings.tz),
        rate_limiter=build_rate_limiter(settings, kernel.metrics, kernel.redis_breaker),
        request=bot_request(settings.telegram_http_client),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )


def _wire_delivery(services: Services) -> None:
    """The outbox sender runs between the start and stop hooks of the application."""
    sender = OutboxSender(services, services.bot)

    async def start_sender(_app: object) -> None:
        await sender.start()

    async def stop_sender(_app: object) -> None:
        await sender.stop()

    services.on_start.append(start_sender)
    services.on_stop.append(stop_sender)


def build_intake(services: Services, *, poll_timeout: int) -> Intake:
    """A webhook when ``WEBHOOK_URL`` is set, else long polling by the lease holder."""
    settings = services.settings
    if settings.webhook_url and settings.webhook_secret:
        return Webhook(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value(),
            listen=settings.webhook_listen,
            port=settings.webhook_port,
        )
    keeper = LeaseKeeper(services.db, "updates", settings.polling_lease_seconds)
    return LeaderPolling(keeper, poll_timeout=poll_timeout)


@asynccontextmanager
async def serving(app: App, *, poll_timeout: int = 5) -> AsyncIterator[App]:
    """Run ``app`` (taking updates included) for the duration of the block; the same order
    of hooks as ``run_polling``: initialize, post_init, start, ..., stop, post_stop,
    shutdown, post_shutdown. Every step of the way down runs even if one before failed."""
    services = services_of(app)
    await app.initialize()
    try:
        await _post_init(app)
        await app.start()
        services.intake = build_intake(services, poll_timeout=poll_timeout)
        await services.intake.start(app)
        yield app
    finally:
        await _wind_down(app)


async def serve_until_signalled(app: App, *, poll_timeout: int = 10) -> None:
    """``python -m bot run``: serve until SIGINT or SIGTERM, then stop cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with serving(app, poll_timeout=poll_timeout):
        await stopping.wait()
        log.info("stopping on signal")


async def _wind_down(app: App) -> None:
    """Stop taking updates, stop (job runs get a grace, handlers are waited for), the stop
    hooks, shutdown (closes the HTTP client), then close the cache and the database. A step
    that fails is logged and the next one still runs, so nothing is left running."""
    for step in (_stop_intake, _stop_application, _post_stop, _shutdown, _post_shutdown):
        try:
            await step(app)
        except Exception:
            log.exception("shutdown step failed", step=step.__name__)
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


async def _post_init(app: App) -> None:
    services = services_of(app)
    for hook in services.on_start:
        await hook(app)
    # The command menu goes out in the background: (1 + admins) calls per language, each a
    # round trip to Telegram that need not hold up the first getUpdates.
    app.bot_data[_MENU_TASK] = asyncio.create_task(
        _publish_command_menu(app, services), name="publish command menu"
    )
    gc.freeze()  # what start-up built lives until the stop: full GC passes skip it
    log.info("bot started", username=app.bot.username, modules=len(MODULES))


async def _post_stop(app: App) -> None:
    """The stop hooks (the outbox sender, the HTTP endpoint) while the bot can still send:
    after ``Application.stop`` and before ``shutdown`` closes its HTTP client."""
    services = services_of(app)
    app.bot_data[_STOP_HOOKS_RAN] = True
    menu: asyncio.Task[None] | None = app.bot_data.pop(_MENU_TASK, None)
    if menu is not None:  # still publishing at the stop (a slow or unreachable Bot API)
        await cancel_and_wait({menu}, what="command menu")
    for hook in reversed(services.on_stop):
        try:
            await hook(app)
        except Exception:
            log.exception("shutdown hook failed")


async def _post_shutdown(app: App) -> None:
    services = services_of(app)
    await services.cache.close()
    await services.db.dispose()


async def _publish_command_menu(app: App, services: Services) -> None:
    """Telegram's command menu: public commands for all, every command for admins; in the
    default language for any client, and in each language for clients set to it."""
    try:
        for language in (None, *languages()):
            await _publish_menu(app, services, language)
    except TelegramError as exc:  # an admin who never opened the chat is not fatal
        log.warning("command menu not fully published", error=str(exc))
    except Exception:  # a background task: nobody else would see it
        log.exception("command menu not published")
    else:
        log.info("command menu published", languages=len(languages()))


async def _publish_menu(app: App, services: Services, language: str | None) -> None:
    def menu(user_id: int | None) -> list[BotCommand]:
        with speaking(language):
            visible = services.commands.visible_to(services.settings, user_id)
            return [BotCommand(c.name, c.summary()[:256]) for c in visible]

    code = tag(language) if language else None
    await app.bot.set_my_commands(menu(None), scope=BotCommandScopeDefault(), language_code=code)
    for admin_id in services.settings.admin_ids:
        scope = BotCommandScopeChat(admin_id)
        await app.bot.set_my_commands(menu(admin_id), scope=scope, language_code=code)
