"""Retrain one recorded run from scratch with the workflow's own training code, and judge it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.layout import RUNS_ROOT, under
from archstudy.review.differences import Difference, run_differences, within
from archstudy.review.results import RecordedRun, RunRef, read_run
from archstudy.train.run_files import seed_dir, variant_dir

Log = Callable[[str], None]
# The environment facts a run records (metrics.json "runtime") that can change its numbers.
ENVIRONMENT_KEYS = ("backend", "keras", "tensorflow", "threads", "cpu", "platform", "device")
# The metrics whose spread over seeds judges a difference (the per-epoch history and the
# predictions are held to the tolerance alone).
SPREAD_METRICS = (
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
)


@dataclass
class Verdict:
    """How one retrained run compares with its record."""

    run: str
    verdict: str  # identical, equivalent or different
    differences: list[Difference] = field(default_factory=list)
    environment: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key: (then, now)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "verdict": self.verdict,
            "seconds": round(self.seconds, 1),
            "differences": [d.text() for d in self.differences],
            "environment_differences": {
                key: {"recorded": then, "now": now} for key, (then, now) in self.environment.items()
            },
        }


def seed_spread(runs: list[RunRef]) -> dict[str, float]:
    """Each metric's standard deviation over the recorded seeds of one variant (2+ seeds)."""
    values: dict[str, list[float]] = {}
    for run in runs:
        metrics = read_run(run.folder).metrics
        for key in SPREAD_METRICS:
            if isinstance(metrics.get(key), float):
                values.setdefault(key, []).append(metrics[key])
    return {
        key: float(np.std(numbers, ddof=1)) for key, numbers in values.items() if len(numbers) > 1
    }


def environment_differences(
    recorded: Mapping[str, Any], now: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """The recorded environment facts that differ from this machine's (host aside)."""
    return {
        key: (recorded.get(key), now.get(key))
        for key in ENVIRONMENT_KEYS
        if key in recorded and recorded.get(key) != now.get(key)
    }


def judge(
    name: str,
    recorded: RecordedRun,
    found: RecordedRun,
    tolerance: float,
    spread: Mapping[str, float],
) -> Verdict:
    """identical, equivalent (small against the tolerance and the seed spread) or different."""
    differences = run_differences(recorded, found)
    environment = environment_differences(
        recorded.metrics.get("runtime", {}), found.metrics.get("runtime", {})
    )
    if not differences:
        return Verdict(name, "identical", [], environment)
    large = within(differences, tolerance, spread)
    if large:
        return Verdict(name, "different", large, environment)
    return Verdict(name, "equivalent", differences, environment)


def retrain(
    run: RunRef, data: Path, scratch: Path, runtime: dict[str, Any], log: Log
) -> RecordedRun:
    """Train `run` again from its recorded hyperparameters into `scratch`; read it back."""
    # Imported here: Keras starts TensorFlow, which must see the thread settings first.
    from archstudy.train.inputs import load_inputs
    from archstudy.train.training import train_seed

    recorded = read_run(run.folder).metrics
    hyperparameters = Hyperparameters.from_json(recorded["hyperparameters"])
    # A rate an LR range test chose is taken as recorded; the range test is not rerun.
    rate = (
        hyperparameters.learning_rate
        if hyperparameters.learning_rate is not None
        else float(recorded["learning_rate"])
    )
    inputs = load_inputs(hyperparameters, data)
    target = seed_dir(variant_dir(under(scratch, RUNS_ROOT), run.variant_id), run.seed)
    train_seed(
        hyperparameters,
        inputs,
        run.seed,
        target,
        runtime,
        log=lambda line: None,
        learning_rate=rate,
    )
    return read_run(target)


def describe_machine(threads: int) -> dict[str, Any]:
    """This machine's environment facts, as a run records them, plus TensorFlow's version."""
    from importlib import metadata

    from archstudy.train.runtime import describe_runtime

    facts = describe_runtime(threads)
    with contextlib.suppress(metadata.PackageNotFoundError):
        facts.setdefault("tensorflow", metadata.version("tensorflow"))
    return facts
