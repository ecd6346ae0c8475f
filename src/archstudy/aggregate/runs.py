"""The trained runs a study reads: each variant's seeds, as training left them on disk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archstudy.train.run_files import (
    HISTORY_FILE,
    METRICS_FILE,
    PROBABILITIES_FILE,
    VALIDATION_ANSWERS_FILE,
    seed_dir,
    variant_dir,
)


@dataclass(frozen=True)
class Member:
    """A variant as a study names it, with the seeds it asks for."""

    name: str
    variant_id: str
    seeds: tuple[int, ...]
    # Snakemake's `benchmark:` record of the variant's training job, when there is one.
    resources: Path | None = None


@dataclass(frozen=True)
class SeedRun:
    """What one trained seed left on disk."""

    variant: str
    seed: int
    metrics: dict[str, Any]
    history: pd.DataFrame
    probabilities: np.ndarray
    # Which validation images it classified correctly (runs from before it was recorded: None).
    validation_correct: np.ndarray | None = None

    @property
    def diverged(self) -> bool:
        return bool(self.metrics.get("stopped") == "diverged")

    @property
    def predictions(self) -> np.ndarray:
        """The predicted class of every test example."""
        return np.asarray(self.probabilities.argmax(axis=1))


# The training job's resources, from Snakemake's benchmark record: the summary table's column
# name, and the record's column (seconds, megabytes, CPU seconds).
JOB_RESOURCES = {
    "job_seconds": "s",
    "job_peak_memory_mb": "max_rss",
    "job_cpu_seconds": "cpu_time",
}


def read_job_resources(path: Path | None) -> dict[str, float]:
    """One job's wall time, peak memory (resident set) and CPU time; NaN where not recorded
    (no record, or a job too short for Snakemake to measure)."""
    values = dict.fromkeys(JOB_RESOURCES, float("nan"))
    if path is None:
        return values
    record = pd.read_csv(path, sep="\t")
    for column, source in JOB_RESOURCES.items():
        if source in record and len(record):
            values[column] = float(pd.to_numeric(record[source], errors="coerce").iloc[-1])
    return values


def load_runs(members: Sequence[Member], runs_root: Path) -> list[SeedRun]:
    """Read every seed each member asks for from the run folders under `runs_root`."""
    runs = []
    for member in members:
        for seed in member.seeds:
            run_dir = seed_dir(variant_dir(runs_root, member.variant_id), seed)
            metrics = json.loads((run_dir / METRICS_FILE).read_text())
            validation = run_dir / VALIDATION_ANSWERS_FILE
            runs.append(
                SeedRun(
                    member.name,
                    seed,
                    metrics,
                    pd.read_csv(run_dir / HISTORY_FILE),
                    np.load(run_dir / PROBABILITIES_FILE),
                    np.load(validation) if validation.exists() else None,
                )
            )
    return runs
