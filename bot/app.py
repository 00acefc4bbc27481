"""The composition root: the one place that builds and wires everything.

``build_application(settings)`` returns a ready python-telegram-bot ``Application``: the
kernel is built first (``bot/core/kernel/``), the :class:`Services` are assembled on top
of it (the outbox, the bot, the registries, the job runner), the modules register into
them, and the per-update pipeline is composed from its steps. Nothing here runs at import
time; running the application is ``bot/core/lifecycle.py``'s.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from sqlalchemy import MetaData
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.core.application import CompanionApplication
from bot.core.context import SERVICES, App, BotContext, Services
from bot.core.delivery import OutboxSender
from bot.core.jobs import start_jobs
from bot.core.kernel import Base, Clock, Kernel, Settings, build_kernel
from bot.core.lifecycle import post_init, post_shutdown, post_stop
from bot.core.module import wire
from bot.core.people import choices
from bot.core.people import configure as configure_language
from bot.core.ratelimit import build_rate_limiter
from bot.core.telegram import (
    ArrivalQueue,
    ChatOrderedUpdateProcessor,
    CompanionBot,
    ErrorReporter,
    InChatOrder,
    Language,
    LogContext,
    Step,
    Stranded,
    bot_request,
    purge_received,
    record_arrival,
    taken_by,
)

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
    "backups",
)

SANDBOX_TOKEN = "7000000001:SANDBOX-offline-token"


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
        .update_queue(ArrivalQueue())
        .concurrent_updates(
            ChatOrderedUpdateProcessor(
                64,
                backlog=settings.updates_chat_backlog,
                on_drop=services.metrics.updates_dropped.inc,
            )
        )
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    app: CompanionApplication = builder.build()
    app.bot_data[SERVICES] = services
    _wire_delivery(services)
    for module in load_modules(modules):
        declared = module.register(services)
        wire(app, services, declared)
        services.modules.append(declared.name)
    if settings.webhook_url:
        services.purgers.add("core.received_updates", purge_received)
    app.add_error_handler(ErrorReporter(services))
    app.steps = pipeline(app, services)
    services.runner.validate()  # unknown job in JOBS__..., bad cron, ...: stop here

    async def start_declared_jobs(app: App) -> None:
        await start_jobs(app.job_queue, services.jobs, services.runner)

    services.on_start.append(start_declared_jobs)
    return app


def pipeline(app: CompanionApplication, services: Services) -> tuple[Step, ...]:
    """The steps of every update, in order (``bot/core/telegram/pipeline.py``): log context,
    then (with a webhook) each chat's updates once and in order across the cluster
    (``bot/core/telegram/received.py``), the user's language, the handlers."""
    handlers = app.handlers_step
    steps: list[Step] = [LogContext()]
    if services.settings.webhook_url:
        if isinstance(app.update_queue, ArrivalQueue):  # recorded before Telegram is answered
            app.update_queue.add(record_arrival(services.db, services.clock))
        order = InChatOrder(services.db, services.clock, handlers.again, app.process_update)
        steps.append(order)
        _look_for_stranded(app, services)
    steps.append(Language(services.db, choices(app.bot_data), taken_by(app.handlers)))
    steps.append(handlers)
    return tuple(steps)


def _look_for_stranded(app: CompanionApplication, services: Services) -> None:
    """With a webhook, the updates a dead replica recorded and never took are handled by a
    live one (``bot/core/telegram/received.py``), between the start and stop hooks."""
    sweep = Stranded(services.db, services.clock, app.update_queue.put_nowait)

    async def start(_app: object) -> None:
        sweep.start(app.bot)

    async def stop(_app: object) -> None:
        await sweep.stop()

    services.on_start.append(start)
    services.on_stop.append(stop)


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
    services.heartbeat = sender.instance  # the polling lease rides it (lifecycle.build_intake)

    async def start_sender(_app: object) -> None:
        await sender.start()

    async def stop_sender(_app: object) -> None:
        await sender.stop()

    services.on_start.append(start_sender)
    services.on_stop.append(stop_sender)
