"""The services a module may use, and the typed callback context that carries them.

:class:`Services` is the kernel (``bot/core/kernel/build.py``) plus what the application
assembles on top of it in ``bot/app.py``: the bot, the registries the modules fill,
and the job runner. Nothing in ``bot/core`` below this file imports it at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.cluster import Instance
from bot.core.delivery import Outbox, Posting
from bot.core.jobs import JobRegistry, JobRunner
from bot.core.kernel import (
    Cache,
    Clock,
    Database,
    Kernel,
    PurgerRegistry,
    Settings,
    UnitOfWork,
)
from bot.core.people import AudienceRegistry, PersonalRegistry
from bot.core.stats import StatsRegistry
from bot.core.telegram import ButtonCatalog, CommandCatalog, Intake

Hook = Callable[["Application[Any, Any, Any, Any, Any, Any]"], Awaitable[None]]


@dataclass(slots=True, eq=False)
class Services(Posting):
    """The kernel, the bot, the registries the modules fill and the runner of their jobs;
    complete once constructed (the runner is built from the kernel and the registry)."""

    bot: ExtBot[Any] = field(kw_only=True)
    commands: CommandCatalog = field(default_factory=CommandCatalog)
    buttons: ButtonCatalog = field(default_factory=ButtonCatalog)
    jobs: JobRegistry = field(default_factory=JobRegistry)
    stats: StatsRegistry = field(default_factory=StatsRegistry)
    purgers: PurgerRegistry = field(default_factory=PurgerRegistry)
    audience: AudienceRegistry = field(default_factory=AudienceRegistry)
    personal: PersonalRegistry = field(default_factory=PersonalRegistry)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)  # the names of the wired modules
    intake: Intake | None = None  # how updates arrive; set when the bot starts serving
    heartbeat: Instance | None = None  # this process's instance heartbeat (the outbox sender's)
    runner: JobRunner = field(init=False)

    def __post_init__(self) -> None:
        self.runner = JobRunner(self, self.jobs, self.bot, hand_to_jobs=self)

    @classmethod
    def assemble(cls, kernel: Kernel, bot: ExtBot[Any]) -> Services:
        """The services on top of ``kernel``, sharing its parts."""
        parts = {name: getattr(kernel, name) for name in Kernel.__dataclass_fields__}
        return cls(**parts, outbox=Outbox(kernel.clock), bot=bot)


SERVICES = "services"  # the key of the services in ``Application.bot_data``


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services ``bot/app.py`` put on ``application`` (the one place that reads them)."""
    services: Services = application.bot_data[SERVICES]
    return services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context with typed access to :class:`Services`."""

    @property
    def services(self) -> Services:
        return services_of(self.application)

    # Typed accessors for what a handler uses, so that it need not hold the whole bag.
    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def cache(self) -> Cache:
        return self.services.cache

    def uow(self) -> UnitOfWork:
        """``async with context.uow() as uow:`` one transaction, its events on commit."""
        return self.services.uow()


App = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
