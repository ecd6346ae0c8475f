"""Where and with what the report's numbers were made: software, commit, hardware, data splits."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

from archstudy.machine import cpu_model

PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "statsmodels",
    "mlxtend",
    "matplotlib",
    "snakemake",
    "jinja2",
    "pypandoc-binary",
    "typst",
)
HARDWARE_COLUMNS = ("host", "platform", "cpu", "backend", "device", "threads")


def software() -> dict[str, str]:
    """Python's version and each package's installed version."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def git_state(directory: Path) -> str:
    """The commit checked out in `directory` and whether it had uncommitted changes."""
    try:
        commit, status = (
            subprocess.run(
                ["git", *arguments], cwd=directory, check=True, capture_output=True, text=True
            ).stdout.strip()
            for arguments in (["rev-parse", "HEAD"], ["status", "--porcelain"])
        )
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{commit} ({'uncommitted changes' if status else 'clean tree'})"


def git_states(repository: Path, workflow_dir: Path | None = None) -> dict[str, str]:
    """The git state of the workflow folder the report was built in (the working directory)
    and, when the workflow's repository (passed in by the workflow) is elsewhere, of it too."""
    repository = Path(repository).resolve()
    workflow_dir = (workflow_dir or Path.cwd()).resolve()
    if workflow_dir == repository:
        return {"project": git_state(repository)}
    return {
        "workflow folder": git_state(workflow_dir),
        "archstudy package": git_state(repository),
    }


def hardware() -> str:
    """The machine that rendered the report."""
    return f"{socket.gethostname()}: {cpu_model()}, {os.cpu_count()} logical cores"


def training_hardware(summaries: Sequence[pd.DataFrame]) -> list[dict[str, str]]:
    """Distinct machines and set-ups the training runs report (metrics.json "runtime")."""
    columns = [column for column in HARDWARE_COLUMNS if all(column in s for s in summaries)]
    if not summaries or not columns:
        return []
    table = pd.concat([summary[columns] for summary in summaries]).fillna("")
    table = table.astype(str).drop_duplicates()
    return [
        {column: value or "not recorded" for column, value in record.items()}
        for record in table.to_dict(orient="records")
    ]


def splits(summaries: Sequence[pd.DataFrame], datasets: Sequence[str]) -> list[dict[str, str]]:
    """Distinct train/validation/test split sizes, with the dataset each study uses."""
    rows: dict[tuple[str, ...], dict[str, str]] = {}
    for summary, dataset in zip(summaries, datasets, strict=True):
        for record in summary.to_dict(orient="records"):
            values = {
                "dataset": dataset,
                "validation_split": f"{record['validation_split']:g}",
                **{
                    key: "n/a" if pd.isna(record.get(key)) else f"{int(record[key]):,}"
                    for key in ("fit_examples", "validation_examples", "test_examples")
                },
            }
            rows.setdefault(tuple(values.values()), values)
    return list(rows.values())
