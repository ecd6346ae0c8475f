"""The training stage's two jobs, as the rules `lr_range_test` and `train_variant` run them.

Each chooses the run's Keras backend (part of its identity) and sizes the thread pools before
Keras (or NumPy's math libraries) is first imported, so this module imports neither at its top;
Keras' start-up messages then land in the job log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.train.learning_rate import training_rate
from archstudy.train.runtime import (
    configure_process,
    describe_runtime,
    quick_imports,
    require_backend,
)

Log = Callable[[str], None]


def _start(hyperparameters: dict[str, Any], threads: int) -> None:
    """Run on the variant's own backend, whatever the job's environment says, and fail with
    one line when it is not installed."""
    backend = hyperparameters.get("backend", "tensorflow")
    configure_process(threads, backend)
    require_backend(backend)


def lr_range_job(
    hyperparameters: dict[str, Any],
    data: Path,
    curve: Path,
    choice: Path,
    threads: int,
    log: Log = print,
) -> float:
    """Run one variant's LR range test; write its curve and choice; return the chosen rate."""
    _start(hyperparameters, threads)
    with quick_imports():
        from archstudy.train.inputs import load_inputs
        from archstudy.train.lr_range import lr_range_test

    variant = Hyperparameters.from_json(hyperparameters)
    return lr_range_test(variant, load_inputs(variant, Path(data)), Path(curve), Path(choice), log)


def train_variant_job(
    hyperparameters: dict[str, Any],
    seeds: Sequence[int],
    data: Path,
    lr_choice: Path | None,
    runs_file: Path,
    threads: int,
    log: Log = print,
) -> None:
    """Train every seed of one variant at the rate decided here, once, for all of them."""
    _start(hyperparameters, threads)
    variant = Hyperparameters.from_json(hyperparameters)
    rate = training_rate(variant, None if lr_choice is None else Path(lr_choice))
    with quick_imports():
        from archstudy.train.variant_job import train_variant

    runtime = describe_runtime(threads)  # after the quick import: it imports Keras too
    train_variant(variant, seeds, Path(data), Path(runs_file), runtime, log, learning_rate=rate)
