"""The single list of jobs; modules add theirs at registration.

:meth:`JobRegistry.configure` applies the ``JOBS__<NAME>__...`` overrides from
settings and validates everything at once, so start-up and ``python -m bot
check`` stop with one clear line per problem instead of a job that silently
never runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.jobs.fire_times import ScheduleError, build_trigger, parse_schedule
from bot.core.jobs.spec import JobSpec
from bot.core.kernel import ConfigError, JobOverride


class JobConfigError(ConfigError, ValueError):
    """A job declaration or override that cannot run (one line per problem)."""


def override_key(name: str) -> str:
    """The settings key of a job: ``missions.send_daily`` -> ``missions_send_daily``."""
    return name.replace(".", "_").lower()


class JobRegistry:
    """Job specs by name, in the order they were declared, with their overrides applied."""

    __slots__ = ("_declared", "_disabled", "_specs", "_triggers")

    def __init__(self) -> None:
        self._declared: dict[str, JobSpec] = {}
        self._specs: dict[str, JobSpec] = {}
        self._disabled: set[str] = set()
        self._triggers: dict[str, Any] = {}

    def add(self, spec: JobSpec) -> None:
        if spec.name in self._declared:
            raise JobConfigError(f"JOBS: job {spec.name!r} is declared twice")
        self._declared[spec.name] = spec
        self._specs[spec.name] = spec

    def configure(self, overrides: Mapping[str, JobOverride], timezone: str) -> None:
        """Apply overrides and build every trigger; :class:`JobConfigError` lists all problems."""
        by_key = {override_key(name): name for name in self._declared}
        errors: list[str] = []
        specs, disabled = dict(self._declared), set()
        where = {name: f"job {name}" for name in specs}  # who to blame for a bad schedule
        for key, override in overrides.items():
            name = by_key.get(override_key(key))
            if name is None:
                known = ", ".join(self._declared) or "none"
                errors.append(f"JOBS__{key.upper()}: unknown job {key!r} (known: {known})")
                continue
            setting = f"JOBS__{key.upper()}__SCHEDULE"
            if override.schedule is not None and specs[name].manual:
                errors.append(f"{setting}: {name} runs only by /runjob; it has no schedule")
                continue
            try:
                specs[name] = _overridden(specs[name], override)
            except ScheduleError as exc:
                errors.append(f"{setting}: {exc}")
                continue
            if override.schedule is not None:
                where[name] = setting
            if not override.enabled:
                disabled.add(name)
        triggers = {}
        for name, spec in specs.items():
            try:
                triggers[name] = build_trigger(spec.schedule, ZoneInfo(timezone))
            except ScheduleError as exc:
                errors.append(f"{where[name]}: {exc}")
        if errors:
            raise JobConfigError("\n".join(errors))
        self._specs, self._disabled, self._triggers = specs, disabled, triggers

    def get(self, name: str) -> JobSpec | None:
        return self._specs.get(name)

    def trigger(self, name: str) -> Any:
        """The APScheduler trigger of a configured job."""
        return self._triggers[name]

    def enabled(self, name: str) -> bool:
        return name in self._specs and name not in self._disabled

    def names(self) -> list[str]:
        return list(self._specs)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs


def _overridden(spec: JobSpec, override: JobOverride) -> JobSpec:
    changes: dict[str, Any] = {}
    if override.schedule is not None:
        changes["schedule"] = parse_schedule(override.schedule)
    if override.timeout is not None:
        changes["timeout"] = override.timeout
    if override.catchup is not None:
        changes["catchup"] = override.catchup
    return dataclasses.replace(spec, **changes)
