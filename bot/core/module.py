"""A feature module, declared as data: what it offers, wired by ``bot/app.py``.

A module's ``register(services)`` returns one :class:`Module`: its commands (name,
description, who may run them, callback), its buttons (callback-data prefix, who may
press them, callback), its other update handlers, its reactions to events (:class:`On`),
its jobs, its purgers, its stats providers and, for at most one module, the delivery
policy. The composition root wires every declaration the same way (:func:`wire`): the
guards of commands (admins, staff) and of buttons (the user the message was for, admins,
staff) come from their declaration, the reactions are subscribed to the bus here and
nowhere else; and the command menu, ``/help`` and the authorisation tests read the
catalogues that the declared commands and buttons fill, so nothing a module offers is
named twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic, Literal, overload

from telegram import Update
from telegram.ext import BaseHandler

from bot.core.delivery import DeliveryPolicy
from bot.core.jobs import JobSpec
from bot.core.kernel import ConfigError, E, EventBus, Handler, Purger, Settings, TxHandler
from bot.core.people import Facet
from bot.core.stats import FunnelStep, StatsProvider
from bot.core.telegram import Arrival, ArrivalQueue, Button, Command
from bot.core.web import Served, web_registry

if TYPE_CHECKING:
    from bot.core.context import App, Services


class Stage(IntEnum):
    """The order in which handlers see an update: PTB's handler groups, lowest first, one
    handler per group at most. Every module's commands, buttons and handlers are in
    ``MAIN``; the later stages take what no earlier one claimed."""

    SEEN = -1  # before all, and whatever they do: who used the bot on which day (analytics)
    MAIN = 0  # commands, buttons, payments, members, every module's own handlers
    REPLIES = 5  # replies to the bot's messages (a reason typed under a review card)
    FOLLOW_UPS = 6  # the message after a bare command that asked for it (/suggest)
    UNKNOWN_COMMANDS = 100  # a command no module claimed: "unknown command"
    LEFTOVER_TEXT = 101  # plain text nothing took: a pointer to /help


@dataclass(frozen=True, slots=True)
class Routed:
    """A PTB handler other than a command or a button, at its :class:`Stage`."""

    handler: BaseHandler[Update, Any, Any]
    stage: Stage = Stage.MAIN


class On(Generic[E]):
    """A reaction: ``handler`` runs for every event of exactly ``event``'s type.

    ``in_transaction=True``: ``handler(event, session)`` runs at once inside the
    publisher's unit of work, so its writes commit with the cause or not at all (its
    failure rolls the cause back). Otherwise ``handler(event)`` runs once that unit of
    work committed, and a failure is logged and counted without stopping anything.
    """

    __slots__ = ("event", "handler", "in_transaction")

    @overload
    def __init__(
        self, event: type[E], handler: Handler[E], *, in_transaction: Literal[False] = False
    ) -> None: ...

    @overload
    def __init__(
        self, event: type[E], handler: TxHandler[E], *, in_transaction: Literal[True]
    ) -> None: ...

    def __init__(
        self,
        event: type[E],
        handler: Callable[..., Awaitable[None]],
        *,
        in_transaction: bool = False,
    ) -> None:
        self.event, self.handler, self.in_transaction = event, handler, in_transaction

    def subscribe(self, bus: EventBus) -> None:
        """Subscribe the handler to ``bus`` the way it was declared."""
        if self.in_transaction:
            bus.subscribe_in_transaction(self.event, self.handler)
        else:
            bus.subscribe(self.event, self.handler)

    def __repr__(self) -> str:
        name = getattr(self.handler, "__qualname__", repr(self.handler))
        where = ", in_transaction=True" if self.in_transaction else ""
        return f"On({self.event.__name__}, {name}{where})"


@dataclass(frozen=True, slots=True)
class Module:
    """Everything one feature module offers; see the module docstring."""

    name: str
    commands: Sequence[Command] = ()
    buttons: Sequence[Button] = ()
    handlers: Sequence[Routed] = ()
    reactions: Sequence[On[Any]] = ()
    jobs: Sequence[JobSpec] = ()
    purgers: Mapping[str, Purger] = field(default_factory=dict)
    stats: Sequence[StatsProvider] = ()
    # The label of each figure its stats providers return (English, marked with N_).
    figures: Mapping[str, str] = field(default_factory=dict)
    # Steps of the engagement funnel it counts from its own tables (``bot/core/stats.py``).
    funnel: Sequence[FunnelStep] = ()
    policy: DeliveryPolicy | None = None
    # Run on every update the moment it arrives, before Telegram is told it was received
    # (``bot/core/telegram/arrival.py``): what must not be lost with the process, such as a
    # Stars charge. Each returns at once for the updates that are not its business.
    arrivals: Sequence[Arrival] = ()
    # The module's own settings (``bot/modules/<name>/settings.py``, a subclass of the
    # kernel's), which the application's settings must compose (``bot/settings.py``).
    settings: type[Settings] | None = None
    # What it serves over HTTP (``bot/core/web/``): console pages (:class:`ConsolePage`, a
    # script in its ``console/`` folder), console API routes (:class:`ConsoleRoute`, under
    # ``/console/api/``, authenticated, role-checked and audited by core) and plain
    # endpoints (:class:`HttpRoute`, such as ``/healthz``); served when HTTP_PORT is set.
    console: Sequence[Served] = ()
    # What an audience may ask about its users (``bot/core/people/audience.py``): a facet
    # per question, compiled to a condition on ``users`` from the module's own tables.
    audience: Sequence[Facet] = ()


def wire(app: App, services: Services, module: Module) -> None:
    """Add what ``module`` declares to the application and to the services' registries;
    :class:`ConfigError` when the application's settings lack the module's."""
    if module.settings is not None and not isinstance(services.settings, module.settings):
        raise ConfigError(
            f"module {module.name}: {type(services.settings).__name__} does not compose "
            f"{module.settings.__name__} (bot/settings.py)"
        )
    services.commands.register(app, *module.commands)
    services.buttons.register(app, *module.buttons)
    for routed in module.handlers:
        app.add_handler(routed.handler, group=routed.stage)
    for reaction in module.reactions:
        reaction.subscribe(services.bus)
    for spec in module.jobs:
        services.jobs.add(spec)
    for name, purger in module.purgers.items():
        services.purgers.add(name, purger)
    for provider in module.stats:
        services.stats.add(module.name, provider)
    for name, label in module.figures.items():
        services.stats.label(name, label)
    for step in module.funnel:
        services.stats.step(step)
    for facet in module.audience:
        services.audience.add(facet)
    web_registry(app, services).add(module.name, module.console)
    if module.policy is not None:
        services.outbox.policy = module.policy
    if module.arrivals:
        queue = app.update_queue
        if not isinstance(queue, ArrivalQueue):
            raise ConfigError(
                f"module {module.name} declares arrivals: build the application "
                "with an ArrivalQueue as its update queue"
            )
        for arrival in module.arrivals:
            queue.add(arrival)
