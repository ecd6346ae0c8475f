"""The pip route (constraints.txt) and the conda environments pin the same versions.

environment.yml is for development (everything but PyTorch); rules/envs/jobs.yml holds what
the workflow's jobs run, with the JAX backend, and none of the test or development tools.
"""

import pytest
import yaml
from paths import ROOT


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


def _environment_pins(path: str = "environment.yml") -> dict[str, str]:
    environment = yaml.safe_load((ROOT / path).read_text())
    pip_section = next(
        item["pip"] for item in environment["dependencies"] if isinstance(item, dict)
    )
    return {_normalise(spec.split("==")[0]): spec.split("==")[1] for spec in pip_section}


ENVIRONMENTS = ("environment.yml", "rules/envs/jobs.yml")


@pytest.mark.parametrize("path", ENVIRONMENTS)
def test_environment_pins_equal_constraints(path):
    constraints = _constraints()
    mismatched = {
        name: (version, constraints.get(name))
        for name, version in _environment_pins(path).items()
        if constraints.get(name) != version
    }
    assert mismatched == {}


def _names(specs: list[str]) -> set[str]:
    return {_normalise(spec.split(">")[0].split("=")[0].split("<")[0]) for spec in specs}


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    """The project's dependencies and each extra's, by name."""
    project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {name: _names(specs) for name, specs in project["optional-dependencies"].items()}
    return _names(project["dependencies"]), extras


def test_every_declared_dependency_is_pinned_in_both_routes():
    dependencies, extras = _declared()
    declared = dependencies.union(*extras.values())
    # PyTorch stays out of the conda environment: PyPI's Linux wheel is a CUDA build of GBs.
    assert declared - extras["torch"] - set(_environment_pins()) == set()
    assert declared - set(_constraints()) == set()


def test_jobs_get_what_they_run_and_no_development_tools():
    dependencies, extras = _declared()
    jobs = set(_environment_pins("rules/envs/jobs.yml"))
    # The SLURM executor plugin runs where snakemake is started, not inside jobs.
    runtime = {name for name in dependencies if not name.startswith("snakemake-executor")}
    assert jobs == runtime | extras["jax"]
    assert jobs & (extras["test"] | extras["dev"]) == set()
