"""A feature module, declared as data: what it offers, wired by ``bot/app.py``.

A module's ``register(services)`` subscribes its event handlers and returns one
:class:`Module`: its commands (name, description, who may run them, callback), its
buttons (callback-data prefix -> callback), its other update handlers, its jobs, its
purgers, its stats providers and, for at most one module, the delivery policy. The
composition root wires every declaration the same way (:func:`wire`), and the command
menu, ``/help`` and the authorisation tests read the catalogue that the declared
commands fill, so nothing a module offers is named twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.delivery.policy import DeliveryPolicy
from bot.core.jobs.spec import JobSpec
from bot.core.kernel.retention import Purger
from bot.core.stats import StatsProvider
from bot.core.telegram.commands import Callback, Command

if TYPE_CHECKING:
    from bot.core.context import App, Services


@dataclass(frozen=True, slots=True)
class Routed:
    """A PTB handler other than a command or a button, in its handler group (lower first)."""

    handler: BaseHandler[Update, Any, Any]
    group: int = 0


@dataclass(frozen=True, slots=True)
class Module:
    """Everything one feature module offers; see the module docstring."""

    name: str
    commands: Sequence[Command] = ()
    buttons: Mapping[str, Callback[Any]] = field(default_factory=dict)
    handlers: Sequence[Routed] = ()
    jobs: Sequence[JobSpec] = ()
    purgers: Mapping[str, Purger] = field(default_factory=dict)
    stats: Sequence[StatsProvider] = ()
    policy: DeliveryPolicy | None = None


def wire(app: App, services: Services, module: Module) -> None:
    """Add what ``module`` declares to the application and to the services' registries."""
    services.commands.register(app, *module.commands)
    for prefix, callback in module.buttons.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=f"^{re.escape(prefix)}"))
    for routed in module.handlers:
        app.add_handler(routed.handler, group=routed.group)
    for spec in module.jobs:
        services.jobs.add(spec)
    for name, purger in module.purgers.items():
        services.purgers.add(name, purger)
    for provider in module.stats:
        services.stats.add(module.name, provider)
    if module.policy is not None:
        services.outbox.policy = module.policy
