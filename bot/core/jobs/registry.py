"""The single list of jobs; modules add theirs at registration."""

from __future__ import annotations

from collections.abc import Iterator

from bot.core.jobs.spec import JobSpec


class JobRegistry:
    """Job specs by name, in the order they were declared."""

    __slots__ = ("_specs",)

    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def add(self, spec: JobSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"job {spec.name!r} declared twice")
        self._specs[spec.name] = spec

    def get(self, name: str) -> JobSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return list(self._specs)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)
