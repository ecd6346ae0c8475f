"""Builders of test inputs shared by several test modules."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from paths import ROOT

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.config.plan import build_plan
from archstudy.train.run_files import (
    HISTORY_COLUMNS,
    HISTORY_FILE,
    METRICS_FILE,
    METRICS_KEYS,
    MODEL_FILE,
    PROBABILITIES_FILE,
    seed_dir,
    variant_dir,
)

# The repository, and its report/ folder of templates and styles, which the workflow passes
# to the package (the package never looks for them itself).
REPOSITORY = ROOT
REPORT_ASSETS = ROOT / "report"


def hyperparameters(**changes: Any) -> Hyperparameters:
    """The schema's built-in defaults with `changes` (ReLU on every layer unless given)."""
    plan = build_plan({"studies": {"s": {"variants": {"v": {}}}}})
    (defaults,) = plan.hyperparameters.values()
    if "hidden" in changes and "activations" not in changes:
        changes["activations"] = ("relu",) * len(changes["hidden"])
    return dataclasses.replace(defaults, **changes)


def write_run(
    runs_root: Path,
    variant_id: str,
    seed: int,
    metrics: Mapping[str, Any],
    history: Mapping[str, Sequence[float]],
    probabilities: np.ndarray,
) -> Path:
    """One trained seed's files, in the folder, names and keys real training writes
    (archstudy.train.run_files; a test in test_training.py checks those against a real run).

    `metrics` must hold "hyperparameters"; keys it leaves out get plausible values (the rate
    training used is the configured one, as without an LR range test). `history` holds every
    column of history.csv. Returns the seed's folder.
    """
    unknown = set(metrics) - set(METRICS_KEYS)
    assert not unknown, f"training writes no {sorted(unknown)} in metrics.json"
    hyperparameters = metrics["hyperparameters"]
    defaults: dict[str, Any] = {
        "variant_id": variant_id,
        "seed": seed,
        "parameters": 1000,
        "flops_per_example": 2000,
        "train_loss": 0.5,
        "train_accuracy": 0.9,
        "val_loss": 0.5,
        "val_accuracy": 0.9,
        "test_loss": 0.5,
        "test_accuracy": 0.9,
        "train_seconds": 1.0,
        "epochs_run": len(history["epoch"]),
        "epochs_planned": hyperparameters.get("epochs", len(history["epoch"])),
        "stopped": "completed",
        "learning_rate": hyperparameters.get("learning_rate"),
        "diverged_epoch": None,
        "examples": {"fit": 0, "validation": 0, "test": len(probabilities)},
        "runtime": {},
    }
    run_dir = seed_dir(variant_dir(runs_root, variant_id), seed)
    run_dir.mkdir(parents=True)
    values = {key: metrics.get(key, defaults.get(key)) for key in METRICS_KEYS}
    (run_dir / METRICS_FILE).write_text(json.dumps(values))
    pd.DataFrame({column: history[column] for column in HISTORY_COLUMNS}).to_csv(
        run_dir / HISTORY_FILE, index=False
    )
    np.save(run_dir / PROBABILITIES_FILE, probabilities)
    (run_dir / MODEL_FILE).write_bytes(b"")  # no test loads it; a complete seed has one
    return run_dir


def write_prepared(
    path: Path,
    y_train: np.ndarray,
    y_test: np.ndarray,
    class_names: Sequence[str],
    x_train: np.ndarray | None = None,
    x_test: np.ndarray | None = None,
) -> Path:
    """A prepared dataset in archstudy.data.prepared's format; images are random unless given."""
    rng = np.random.default_rng(0)
    if x_train is None:
        x_train = rng.integers(0, 256, (len(y_train), 28, 28), dtype=np.uint8)
    if x_test is None:
        x_test = rng.integers(0, 256, (len(y_test), 28, 28), dtype=np.uint8)
    np.savez_compressed(
        path,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=np.array(class_names, dtype=np.str_),
    )
    return path


# Images a network can learn: the training and fault tests train on them.
N_TRAIN, N_TEST = 300, 100


def synthetic_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noise with a bright 5x5 block whose position encodes the label: easy to learn."""
    images = rng.integers(0, 60, (len(labels), 28, 28), dtype=np.uint8)
    for index, label in enumerate(labels):
        row, column = divmod(int(label), 5)
        images[index, 3 + 12 * row : 8 + 12 * row, 2 + 5 * column : 7 + 5 * column] = 255
    return images


def write_learnable(path: Path) -> Path:
    """N_TRAIN and N_TEST synthetic images, prepared: a small network learns them in an epoch."""
    rng = np.random.default_rng(0)
    y_train = (np.arange(N_TRAIN) % 10).astype(np.uint8)
    y_test = (np.arange(N_TEST) % 10).astype(np.uint8)
    rng.shuffle(y_train)
    x_train, x_test = synthetic_images(y_train, rng), synthetic_images(y_test, rng)
    digits = [str(digit) for digit in range(10)]
    return write_prepared(path, y_train, y_test, digits, x_train, x_test)


def alias_bomb(levels: int = 9) -> str:
    """Anchors nested inside a variant's value, each level ten aliases of the one before:
    a few hundred characters that expand to 10**levels values."""
    text = "studies:\n  s:\n    variants:\n      v:\n"
    text += "        hidden: [&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"
    for level in range(1, levels):
        text += f", &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]"
    return text + "]\n"
