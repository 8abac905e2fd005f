"""requirements.lock pins every dependency pyproject.toml declares (extras too), within its range, and the environment
the suite runs in has exactly those versions: what the image installs is what was tested."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith(("#", " ")):
            name, _, exact = line.partition("==")
            pins[canonicalize_name(name)] = exact.split(";")[0].strip()
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [each for group in project["optional-dependencies"].values() for each in group]
    return [Requirement(each) for each in [*project["dependencies"], *extras]]


def test_every_declared_dependency_is_pinned_within_its_range():
    pins = pinned()
    stale = [
        str(requirement)
        for requirement in declared()
        if (exact := pins.get(canonicalize_name(requirement.name))) is None or exact not in requirement.specifier
    ]
    assert not stale, f"requirements.lock does not satisfy {stale}; run `make lock`"


def test_the_environment_has_the_locked_versions():
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    differ = {name: (exact, installed(name)) for name, exact in pinned().items() if installed(name) != exact}
    assert not differ, f"(locked, installed) differ: {differ}; `make test` reinstalls from requirements.lock"
