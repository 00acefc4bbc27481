"""Modules declared as data: what app.py wires is exactly what each module declares."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.app import MODULES, build_application, build_services, load_modules
from bot.core.kernel.settings import Settings
from bot.core.module import Module
from tests.helpers.owned import own


def test_every_command_and_job_comes_from_one_declaration(settings: Settings) -> None:
    """The catalogue (the menu, /help and the authorisation matrix read it) and the job
    registry hold exactly what the modules' declarations name, each once, in module order."""
    probe = own(build_services(settings))
    declared = [module.register(probe) for module in load_modules()]
    assert all(isinstance(d, Module) for d in declared)
    assert [d.name for d in declared] == list(MODULES)
    app = build_application(settings)
    own(app.services)
    commands = [c.name for d in declared for c in d.commands]
    assert [c.name for c in app.services.commands] == commands
    assert len(set(commands)) == len(commands)
    assert sorted(app.services.jobs.names()) == sorted(s.name for d in declared for s in d.jobs)


def test_every_button_is_in_the_catalogue_with_its_guard(settings: Settings) -> None:
    """The button catalogue (the authorisation matrix reads it) holds exactly the declared
    buttons, each with its guard, and one handler routes every press (no other callback
    query handler exists to bypass a guard)."""
    probe = own(build_services(settings))
    declared = [b for module in load_modules() for b in module.register(probe).buttons]
    app = build_application(settings)
    own(app.services)
    assert list(app.services.buttons) == declared
    assert {b.prefix for b in declared} >= {"tz:", "lang:set:", "mission:", "notif:", "mod:"}
    presses = [h for g in app.handlers.values() for h in g if isinstance(h, CallbackQueryHandler)]
    assert len(presses) == 1 and presses[0].pattern is None


def test_the_delivery_policy_is_the_one_a_module_declared(settings: Settings) -> None:
    """Notifications declares the preferences policy; app.py puts it on the outbox."""
    app = build_application(settings)
    own(app.services)
    assert type(app.services.outbox.policy).__name__ == "PreferencesPolicy"
