"""A training job: every seed of one variant not already trained, then the job's runs file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archstudy.atomic import write_text
from archstudy.config.hyperparameters import Hyperparameters
from archstudy.train.callbacks import JobClock, Log
from archstudy.train.inputs import Inputs, load_inputs
from archstudy.train.run_files import (
    HYPERPARAMETERS_FILE,
    is_complete,
    partial_seed_dir,
    seed_dir,
)
from archstudy.train.seeded_model import SeededModel
from archstudy.train.training import train_seed


def train_variant(
    hyperparameters: Hyperparameters,
    seeds: Sequence[int],
    data_path: Path,
    runs_file: Path,
    runtime: dict[str, Any],
    log: Log = print,
    *,
    learning_rate: float,
) -> None:
    """Train every seed not already done, then write `runs_file` listing them all.

    `learning_rate` is the rate to train at (decided by archstudy.train.learning_rate).

    Each seed is written into a temporary directory renamed into place when complete, so a
    crash leaves either a whole seed or none, and a rerun trains only what is missing.
    """
    variant_dir = runs_file.parent
    variant_dir.mkdir(parents=True, exist_ok=True)
    write_text(
        variant_dir / HYPERPARAMETERS_FILE, json.dumps(hyperparameters.to_json(), indent=2) + "\n"
    )
    inputs: Inputs | None = None
    models: SeededModel | None = None
    for seed in seeds:
        if is_complete(seed_dir(variant_dir, seed)):
            log(f"variant {hyperparameters.variant_id} seed {seed}: already trained, kept")
    todo = [seed for seed in seeds if not is_complete(seed_dir(variant_dir, seed))]
    clock = JobClock(len(todo), hyperparameters.epochs)
    for seed in todo:
        final = seed_dir(variant_dir, seed)
        partial = partial_seed_dir(variant_dir, seed)
        shutil.rmtree(partial, ignore_errors=True)
        inputs = inputs or load_inputs(hyperparameters, data_path)
        models = models or SeededModel(
            hyperparameters,
            inputs.x_fit.shape[1],
            inputs.num_classes,
            learning_rate,
        )
        train_seed(
            hyperparameters,
            inputs,
            seed,
            partial,
            runtime,
            log,
            learning_rate=learning_rate,
            models=models,
            clock=clock,
        )
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    summary = {
        "variant_id": hyperparameters.variant_id,
        "hyperparameters": hyperparameters.to_json(),
        "seeds": list(seeds),
        "learning_rate": learning_rate,
    }
    write_text(runs_file, json.dumps(summary, indent=2) + "\n")
