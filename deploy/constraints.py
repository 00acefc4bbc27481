"""Print the pins of constraints.txt: every package the bot needs to run (its dependencies
with the PostgreSQL driver, and theirs), at the version installed in this environment.

    .venv/bin/python deploy/constraints.py > constraints.txt

Deployments install with ``pip install -c constraints.txt '.[postgres]'`` (``make install``,
deploy/install.sh, the Dockerfile), so a server runs the versions the tests ran.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("postgres",)
HEADER = """\
# The versions deployments install (pip install -c constraints.txt '.[postgres]'): every
# package the bot needs to run, pinned. Regenerate after changing pyproject.toml's
# dependencies or upgrading .venv:  .venv/bin/python deploy/constraints.py > constraints.txt
"""


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """pyproject's dependencies and those of the :data:`EXTRAS` a deployment installs."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in EXTRAS:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """Every installed distribution those requirements need (their extras and markers
    evaluated here), by canonical name, with its installed version."""
    found: dict[str, str] = {}
    todo = [(r, "") for r in requirements]
    seen: set[tuple[str, str]] = set()
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        for wanted in {""} | set(requirement.extras):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            try:
                dist = distribution(requirement.name)
            except PackageNotFoundError:
                raise SystemExit(f"{requirement.name} is not installed here") from None
            found[name] = dist.version
            todo += [(Requirement(line), wanted) for line in dist.requires or []]
    return dict(sorted(found.items()))


def main() -> None:
    pins = closure(runtime_requirements())
    print(HEADER + "".join(f"{name}=={version}\n" for name, version in pins.items()), end="")


if __name__ == "__main__":
    main()
