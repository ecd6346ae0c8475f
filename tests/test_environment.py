"""The pip route (constraints.txt) and the conda route (environment.yml) pin the same versions."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_normalise(name)] = version
    return pins


def _environment_pins() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(
        item["pip"] for item in environment["dependencies"] if isinstance(item, dict)
    )
    return {_normalise(spec.split("==")[0]): spec.split("==")[1] for spec in pip_section}


def test_environment_yml_pins_equal_constraints():
    constraints = _constraints()
    mismatched = {
        name: (version, constraints.get(name))
        for name, version in _environment_pins().items()
        if constraints.get(name) != version
    }
    assert mismatched == {}


def test_every_declared_dependency_is_pinned_in_both_routes():
    project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    names = {_normalise(spec.split(">")[0].split("=")[0].split("<")[0]) for spec in declared}
    assert names - set(_environment_pins()) == set()
    assert names - set(_constraints()) == set()
