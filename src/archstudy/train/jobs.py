"""The training stage's two jobs, as the rules `lr_range_test` and `train_variant` run them.

Each sizes the thread pools before Keras (or NumPy's math libraries) is first imported, so
this module imports neither at its top; Keras' start-up messages then land in the job log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.train.learning_rate import training_rate
from archstudy.train.runtime import configure_process, describe_runtime, quick_imports

Log = Callable[[str], None]


def lr_range_job(
    hyperparameters: dict[str, Any],
    data: Path,
    curve: Path,
    choice: Path,
    threads: int,
    log: Log = print,
) -> float:
    """Run one variant's LR range test; write its curve and choice; return the chosen rate."""
    configure_process(threads)
    with quick_imports():
        from archstudy.train.lr_range import lr_range_test
        from archstudy.train.training import load_inputs

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
    configure_process(threads)
    variant = Hyperparameters.from_json(hyperparameters)
    rate = training_rate(variant, None if lr_choice is None else Path(lr_choice))
    with quick_imports():
        from archstudy.train.training import train_variant

    runtime = describe_runtime(threads)  # after the quick import: it imports Keras too
    train_variant(variant, seeds, Path(data), Path(runs_file), runtime, log, learning_rate=rate)
