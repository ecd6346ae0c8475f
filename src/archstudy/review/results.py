"""Reading a finished results folder as a reviewer sees it: its runs, studies and members."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archstudy.aggregate.runs import Member
from archstudy.aggregate.study_files import read_table
from archstudy.errors import ArchstudyError

# What a run folder must hold for a reviewer; model.keras is large and not compared.
RECORDED_FILES = ("metrics.json", "history.csv", "test_probabilities.npy")
_SEED_FOLDER = re.compile(r"^seed(\d+)$")
_VARIANT_FOLDER = re.compile(r"^[0-9a-f]{12}$")


class ReviewError(ArchstudyError):
    """A results folder, bundle or run id a check cannot use (names it and what is expected)."""


@dataclass(frozen=True)
class RunRef:
    """One recorded seed of one variant."""

    variant_id: str
    seed: int
    folder: Path

    @property
    def name(self) -> str:
        """The id the command line takes: VARIANT_ID/SEED."""
        return f"{self.variant_id}/{self.seed}"


@dataclass(frozen=True)
class RecordedRun:
    """The values one run recorded, as read from its files."""

    metrics: dict[str, Any]
    history: pd.DataFrame
    probabilities: np.ndarray


def check_results_dir(results_dir: Path) -> Path:
    """`results_dir` if it looks like a workflow's results folder, else one clear error."""
    if not results_dir.is_dir():
        raise ReviewError(
            f"results folder '{results_dir}' not found; expected the folder a build wrote "
            "(holding runs/ and studies/), or a bundle (.tar.gz or .zip)"
        )
    missing = [name for name in ("runs", "studies") if not (results_dir / name).is_dir()]
    if missing:
        raise ReviewError(
            f"'{results_dir}' has no {' or '.join(f'{m}/' for m in missing)}; expected a "
            "results folder of a finished build (run snakemake first)"
        )
    return results_dir


def list_runs(results_dir: Path) -> list[RunRef]:
    """Every recorded seed folder under `results_dir/runs/`, in a stable order."""
    runs = []
    for variant in sorted((results_dir / "runs").iterdir()):
        if not variant.is_dir() or not _VARIANT_FOLDER.match(variant.name):
            continue
        for folder in variant.iterdir():
            match = _SEED_FOLDER.match(folder.name)
            if match and folder.is_dir():
                runs.append(RunRef(variant.name, int(match.group(1)), folder))
    return sorted(runs, key=lambda run: (run.variant_id, run.seed))


def find_run(runs: list[RunRef], name: str) -> RunRef:
    """The run named VARIANT_ID/SEED (SEED may be written seedN), or one clear error."""
    variant_id, _, seed = name.partition("/")
    seed = seed.removeprefix("seed")
    for run in runs:
        if run.variant_id == variant_id and str(run.seed) == seed:
            return run
    examples = ", ".join(run.name for run in runs[:3])
    raise ReviewError(
        f"run '{name}' does not exist; expected VARIANT_ID/SEED of a recorded run, e.g. {examples}"
    )


def read_run(folder: Path) -> RecordedRun:
    """A run's metrics, per-epoch history and test-set probabilities."""
    missing = [name for name in RECORDED_FILES if not (folder / name).is_file()]
    if missing:
        raise ReviewError(f"{folder}: missing {', '.join(missing)}; expected a finished run")
    return RecordedRun(
        json.loads((folder / "metrics.json").read_text()),
        pd.read_csv(folder / "history.csv"),
        np.load(folder / "test_probabilities.npy", allow_pickle=False),
    )


def study_names(results_dir: Path) -> list[str]:
    """The studies whose tables the folder holds."""
    studies = results_dir / "studies"
    return sorted(p.name for p in studies.iterdir() if (p / "summary.csv").is_file())


def study_members(results_dir: Path, study: str) -> list[Member]:
    """The variants a study's tables name (summary.csv) with the seeds they ran (epochs.csv).

    Recomputing the tables from these members and comparing them with the recorded ones
    checks the tables against the runs; a config, when given, is checked against these.
    """
    folder = results_dir / "studies" / study
    summary = read_table(folder / "summary.csv")
    epochs = read_table(folder / "epochs.csv")
    members = []
    for variant, variant_id in zip(summary["variant"], summary["variant_id"], strict=True):
        seeds = epochs.loc[epochs["variant"] == variant, "seed"]
        members.append(Member(str(variant), str(variant_id), tuple(int(s) for s in seeds.unique())))
    return members


def study_dataset(results_dir: Path, members: list[Member]) -> str:
    """The dataset a study's variants trained on, as their recorded hyperparameters say."""
    for member in members:
        path = results_dir / "runs" / member.variant_id / "hyperparameters.json"
        if path.is_file():
            return str(json.loads(path.read_text())["dataset"])
    raise ReviewError(f"{results_dir}/runs: no hyperparameters.json for the study's variants")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
