"""The services a module may use, and the typed callback context that carries them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.breaker import CircuitBreaker
from bot.core.cache import Cache
from bot.core.clock import Clock
from bot.core.commands import CommandCatalog
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.delivery import Outbox
from bot.core.events import EventBus
from bot.core.intake import Intake
from bot.core.jobs import JobRegistry
from bot.core.metrics import Metrics
from bot.core.retention import PurgerRegistry
from bot.core.stats import StatsRegistry

if TYPE_CHECKING:
    from bot.core.jobs.runner import JobRunner

Hook = Callable[["Application[Any, Any, Any, Any, Any, Any]"], Awaitable[None]]


@dataclass(slots=True, eq=False)
class Services:
    """Everything built once by the composition root and shared by the modules."""

    settings: Settings
    db: Database
    bus: EventBus
    clock: Clock
    cache: Cache
    outbox: Outbox
    commands: CommandCatalog = field(default_factory=CommandCatalog)
    jobs: JobRegistry = field(default_factory=JobRegistry)
    stats: StatsRegistry = field(default_factory=StatsRegistry)
    metrics: Metrics = field(default_factory=Metrics)
    purgers: PurgerRegistry = field(default_factory=PurgerRegistry)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    redis_breaker: CircuitBreaker | None = None  # with REDIS_URL: Redis reachable or not
    runner: JobRunner = field(init=False)  # set by build_services (needs the services)
    intake: Intake | None = None  # how updates arrive; set when the bot starts serving


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context with typed access to :class:`Services`."""

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services


App = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
