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
from archstudy.aggregate.study_files import read_table, table_file
from archstudy.errors import ArchstudyError
from archstudy.layout import RUNS_ROOT, STUDIES_ROOT, STUDY_DIR, in_results, under
from archstudy.train.run_files import (
    HISTORY_FILE,
    HYPERPARAMETERS_FILE,
    METRICS_FILE,
    PROBABILITIES_FILE,
    seed_of,
    variant_dir,
)

# What a run folder must hold for a reviewer; the model is large and not compared.
RECORDED_FILES = (METRICS_FILE, HISTORY_FILE, PROBABILITIES_FILE)
# The folders a results folder of a finished build holds.
_FOLDERS = (in_results(RUNS_ROOT), in_results(STUDIES_ROOT))
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
            f"(holding {_FOLDERS[0]}/ and {_FOLDERS[1]}/), or a bundle (.tar.gz or .zip)"
        )
    missing = [name for name in _FOLDERS if not (results_dir / name).is_dir()]
    if missing:
        raise ReviewError(
            f"'{results_dir}' has no {' or '.join(f'{m}/' for m in missing)}; expected a "
            "results folder of a finished build (run snakemake first)"
        )
    return results_dir


def list_runs(results_dir: Path) -> list[RunRef]:
    """Every recorded seed folder under `results_dir/runs/`, in a stable order."""
    runs = []
    for variant in sorted(under(results_dir, RUNS_ROOT).iterdir()):
        if not variant.is_dir() or not _VARIANT_FOLDER.match(variant.name):
            continue
        for folder in variant.iterdir():
            seed = seed_of(folder.name)
            if seed is not None and folder.is_dir():
                runs.append(RunRef(variant.name, seed, folder))
    return sorted(runs, key=lambda run: (run.variant_id, run.seed))


def find_run(runs: list[RunRef], name: str) -> RunRef:
    """The run named VARIANT_ID/SEED (SEED may be written seedN), or one clear error."""
    variant_id, _, seed = name.partition("/")
    number = seed_of(seed)
    seed = str(number) if number is not None else seed
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
        json.loads((folder / METRICS_FILE).read_text()),
        pd.read_csv(folder / HISTORY_FILE),
        np.load(folder / PROBABILITIES_FILE, allow_pickle=False),
    )


def study_names(results_dir: Path) -> list[str]:
    """The studies whose tables the folder holds."""
    studies = under(results_dir, STUDIES_ROOT)
    return sorted(p.name for p in studies.iterdir() if table_file(p, "summary").is_file())


def study_members(results_dir: Path, study: str) -> list[Member]:
    """The variants a study's tables name (summary.csv) with the seeds they ran (epochs.csv).

    Recomputing the tables from these members and comparing them with the recorded ones
    checks the tables against the runs; a config, when given, is checked against these.
    """
    folder = under(results_dir, STUDY_DIR, study=study)
    summary = read_table(table_file(folder, "summary"))
    epochs = read_table(table_file(folder, "epochs"))
    members = []
    for variant, variant_id in zip(summary["variant"], summary["variant_id"], strict=True):
        seeds = epochs.loc[epochs["variant"] == variant, "seed"]
        members.append(Member(str(variant), str(variant_id), tuple(int(s) for s in seeds.unique())))
    return members


def study_dataset(results_dir: Path, members: list[Member]) -> str:
    """The dataset a study's variants trained on, as their recorded hyperparameters say."""
    runs_root = under(results_dir, RUNS_ROOT)
    for member in members:
        path = variant_dir(runs_root, member.variant_id) / HYPERPARAMETERS_FILE
        if path.is_file():
            return str(json.loads(path.read_text())["dataset"])
    raise ReviewError(f"{runs_root}: no {HYPERPARAMETERS_FILE} for the study's variants")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
