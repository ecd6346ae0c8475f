"""Run the real workflow from a temporary copy, as a user would from a fresh clone."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from paths import CONFIGS, ROOT

TINY = CONFIGS / "tiny.yaml"
WORKFLOW_FILES = (
    "Snakefile",
    "rules",
    "scripts",
    "config",
    "profiles",
    "report",
    "environment.yml",
    "constraints.txt",
)


def copy_workflow(target: Path, config: dict[str, Any] | None = None) -> Path:
    """Copy the workflow into `target`; write `config` (default: the tiny study) as study.yaml."""
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    study = config if config is not None else yaml.safe_load(TINY.read_text())
    (target / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    return target


def snakemake_command(*arguments: str, cores: int = 2) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", str(cores), *arguments]


def run_snakemake(
    workdir: Path, *arguments: str, cores: int = 2
) -> subprocess.CompletedProcess[str]:
    """Run Snakemake in `workdir` and wait for it."""
    return subprocess.run(
        snakemake_command(*arguments, cores=cores),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
    )


def tiny_config(**changes: Any) -> dict[str, Any]:
    """The tiny study with top-level keys replaced."""
    config = yaml.safe_load(TINY.read_text())
    config.update(changes)
    return config


def load_script(path: Path, name: str) -> ModuleType:
    """Import a script that is not part of a package (the benchmarks) as module `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
