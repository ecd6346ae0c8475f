"""Train one seed of a variant; write its model, history, metrics and predictions."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.train.callbacks import EpochLog, JobClock, Log, callbacks_for, stop_reason
from archstudy.train.inputs import Inputs, labels
from archstudy.train.models import flops_per_example
from archstudy.train.run_files import (
    HISTORY_COLUMNS,
    HISTORY_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PROBABILITIES_FILE,
    VALIDATION_ANSWERS_FILE,
)
from archstudy.train.seeded_model import SeededModel

# Evaluation has no weight updates, so a large batch only trades memory for speed.
EVALUATION_BATCH_SIZE = 1024


def train_seed(
    hyperparameters: Hyperparameters,
    inputs: Inputs,
    seed: int,
    run_dir: Path,
    runtime: dict[str, Any],
    log: Log = print,
    *,
    learning_rate: float,
    models: SeededModel | None = None,
    clock: JobClock | None = None,
) -> dict[str, Any]:
    """Train and evaluate one seed; write its files into `run_dir` and return its metrics.

    `learning_rate` is the rate to train at (decided by archstudy.train.learning_rate).
    `models` reuses one compiled model across a job's seeds (a new one is built when not given);
    `clock` adds "seed k of n" and the job's time left to the log lines.
    """
    num_classes = inputs.num_classes
    x_fit, x_val, x_test = inputs.x_fit, inputs.x_val, inputs.x_test
    y_fit, y_val, y_test = (
        labels(y, hyperparameters, num_classes) for y in (inputs.y_fit, inputs.y_val, inputs.y_test)
    )
    rate = learning_rate
    models = models or SeededModel(hyperparameters, x_fit.shape[1], num_classes, rate)
    model = models.for_seed(seed)
    label = f"variant {hyperparameters.variant_id} seed {seed}"
    if clock is not None:
        label += f" ({clock.start_seed()})"
    epoch_log = EpochLog(label, hyperparameters.epochs, log, clock)
    log(
        f"{label}: training {'-'.join(map(str, hyperparameters.hidden)) or 'no hidden layer'} "
        f"on {len(x_fit)} examples, validating on {len(x_val)}"
    )
    callbacks = callbacks_for(hyperparameters, epoch_log)
    started = time.perf_counter()
    history = models.fit(
        model,
        x_fit,
        y_fit,
        validation_data=(x_val, y_val),
        validation_batch_size=EVALUATION_BATCH_SIZE,
        callbacks=callbacks,
    )
    train_seconds = time.perf_counter() - started

    train_loss, train_accuracy, _ = models.evaluate(model, x_fit, y_fit, EVALUATION_BATCH_SIZE)
    val_loss, val_accuracy, val_probabilities = models.evaluate(
        model, x_val, y_val, EVALUATION_BATCH_SIZE
    )
    test_loss, test_accuracy, probabilities = models.evaluate(
        model, x_test, y_test, EVALUATION_BATCH_SIZE
    )
    # Which validation images it got right: the report tests whether the pick is within noise.
    validation_correct = val_probabilities.argmax(axis=1) == inputs.y_val

    epochs_run = len(history.history.get("loss", []))
    losses = np.asarray(history.history.get("loss", []), dtype=float)
    # TerminateOnNaN stops at the first non-finite batch loss; that epoch's loss is non-finite.
    non_finite = np.flatnonzero(~np.isfinite(losses))
    diverged_epoch = int(non_finite[0]) + 1 if non_finite.size else None
    diverged = diverged_epoch is not None
    metrics: dict[str, Any] = {
        "variant_id": hyperparameters.variant_id,
        "seed": seed,
        "hyperparameters": hyperparameters.to_json(),
        # Includes batch normalisation's statistics.
        "parameters": int(models.network.count_params()),
        "flops_per_example": flops_per_example(hyperparameters.hidden, x_fit.shape[1], num_classes),
        "train_loss": train_loss,
        "train_accuracy": train_accuracy,
        "val_loss": val_loss,
        "val_accuracy": val_accuracy,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "train_seconds": train_seconds,
        "epochs_run": epochs_run,
        "epochs_planned": hyperparameters.epochs,
        "stopped": stop_reason(callbacks, diverged),
        "learning_rate": rate,
        "diverged_epoch": diverged_epoch,
        "examples": {"fit": len(x_fit), "validation": len(x_val), "test": len(x_test)},
        "runtime": runtime,
    }

    run_dir.mkdir(parents=True, exist_ok=True)
    models.network.save(run_dir / MODEL_FILE)
    columns = {
        key: history.history[key]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        if key in history.history
    }
    rows = [",".join(HISTORY_COLUMNS)]
    for epoch in range(epochs_run):
        values = [
            repr(float(columns[key][epoch])) if epoch < len(columns.get(key, [])) else "nan"
            for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        ]
        rows.append(",".join([str(epoch + 1), *values, f"{epoch_log.seconds[epoch]:.4f}"]))
    (run_dir / HISTORY_FILE).write_text("\n".join(rows) + "\n")
    np.save(run_dir / PROBABILITIES_FILE, probabilities)
    np.save(run_dir / VALIDATION_ANSWERS_FILE, validation_correct)
    (run_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    if diverged:
        log(
            f"{label}: diverged in epoch {diverged_epoch} (non-finite loss); recorded as "
            "diverged, left out of the statistics, and the study carries on"
        )
    log(f"{label}: test accuracy {test_accuracy:.4f}, {train_seconds:.1f} s")
    return metrics
