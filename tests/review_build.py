"""One real build of the tiny study, shared by the review tests (built once per test run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from workflow_support import ROOT, copy_workflow, snakemake_command

from archstudy.layout import CONSTRAINTS


def snakemake(workdir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run Snakemake in a copied workflow with this checkout's package first on the path."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        snakemake_command(*arguments),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": path},
    )


@cache
def _build(root: Path) -> Path:
    (root / "workflow").mkdir(parents=True)
    workdir = copy_workflow(root / "workflow")
    # A clone has the locked dependency list at its top; `archstudy bundle` hands it over.
    shutil.copy(ROOT / CONSTRAINTS, workdir / CONSTRAINTS)
    result = snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def built_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workflow folder of a finished build of tests/configs/tiny.yaml (report included)."""
    return _build(tmp_path_factory.getbasetemp() / "review-build")


def results_copy(workdir: Path, target: Path) -> Path:
    """A copy of the build's results folder that a test may change."""
    shutil.copytree(workdir / "results", target / "results", ignore=_models)
    return target / "results"


def _models(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(".keras") or name == "verification"]
