"""constraints.txt pins what deployments install: every runtime dependency of pyproject.toml
(and theirs), at versions its floors admit, past the published advisories, and exactly what
this environment (where the tests run) has installed."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = runpy.run_path(str(ROOT / "deploy" / "constraints.py"))
# The first release of each package past its published advisories.
FIXED = {
    "aiohttp": "3.14.3",  # smuggling, response splitting, redirect cookie leaks, parser OOB read
    "h11": "0.16.0",  # request smuggling through lenient chunked bodies
    "idna": "3.7",  # quadratic decoding of crafted names
    "certifi": "2024.7.4",  # distrusted GLOBALTRUST roots
    "pillow": "11.3.0",  # DDS writing buffer overflow
    "mako": "1.2.2",  # ReDoS in the lexer
    "anyio": "4.4.0",  # thread race in the worker thread pool
    "setuptools": "78.1.1",  # path traversal in PackageIndex downloads (if it is ever pinned)
}


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        [spec] = requirement.specifier
        assert spec.operator == "==" and not requirement.extras and not requirement.marker, line
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{name} pinned twice"
        pins[name] = Version(spec.version)
    return pins


def test_every_runtime_dependency_is_pinned_within_its_floor() -> None:
    """Each dependency of pyproject (and of the postgres extra) is pinned, at a version its
    specifier admits."""
    pins = _pins()
    for requirement in PIN["runtime_requirements"]():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (requirement, pins)


def test_the_pins_are_what_the_tests_run_on() -> None:
    """constraints.txt is the installed closure of the runtime dependencies, nothing else
    (regenerate it with deploy/constraints.py after changing a dependency)."""
    installed = PIN["closure"](PIN["runtime_requirements"]())
    assert {name: str(version) for name, version in _pins().items()} == installed


def test_nothing_admits_a_version_with_a_published_advisory() -> None:
    """The pins are past the advisories, and pyproject's aiohttp floor is too."""
    pins = _pins()
    for name, fixed in FIXED.items():
        if name in pins:
            assert pins[name] >= Version(fixed), f"{name}=={pins[name]} is before {fixed}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [aiohttp] = [Requirement(r) for r in project["dependencies"] if r.startswith("aiohttp")]
    assert not aiohttp.specifier.contains("3.14.2") and aiohttp.specifier.contains(FIXED["aiohttp"])
