"""What one variant's run folder holds: training writes it, aggregation reads it.

A variant's folder (`{runs_root}/{variant_id}/`) holds `hyperparameters.json`, `runs.json`
(the training job's output, listing the seeds) and one `seed{n}/` folder per seed with the
files in RUN_FILES. Kept free of Keras and NumPy so that readers import it cheaply.
"""

from __future__ import annotations

import json
from pathlib import Path

RUNS_FILE = "runs.json"
HYPERPARAMETERS_FILE = "hyperparameters.json"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
PROBABILITIES_FILE = "test_probabilities.npy"
RUN_FILES = (MODEL_FILE, HISTORY_FILE, METRICS_FILE, PROBABILITIES_FILE)
# Which validation images the seed classified correctly (for the validation comparisons). Not
# in RUN_FILES: runs trained before it was recorded still count as complete.
VALIDATION_ANSWERS_FILE = "validation_correct.npy"

# The columns of history.csv, one row per epoch run.
HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")
# The keys of metrics.json, in the order training writes them.
METRICS_KEYS = (
    "variant_id",
    "seed",
    "hyperparameters",
    "parameters",
    "flops_per_example",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
    "train_seconds",
    "epochs_run",
    "epochs_planned",
    "stopped",
    "learning_rate",
    "diverged_epoch",
    "examples",
    "runtime",
)


def variant_dir(runs_root: Path, variant_id: str) -> Path:
    """The folder of one variant's runs."""
    return runs_root / variant_id


# A glob of every seed folder of a variant (seed_dir's names).
SEED_FOLDERS = "seed*"


def seed_dir(variant_dir: Path, seed: int) -> Path:
    """Where one seed's files live."""
    return variant_dir / f"seed{seed}"


def seed_of(folder_name: str) -> int | None:
    """The seed of a folder named as seed_dir names it (seed{n}), else None."""
    number = folder_name.removeprefix("seed")
    if number != folder_name and number.isascii() and number.isdigit():
        return int(number)
    return None


def partial_seed_dir(variant_dir: Path, seed: int) -> Path:
    """Where a seed is written before it is renamed into place, complete."""
    return variant_dir / f".seed{seed}.partial"


def is_complete(run_dir: Path) -> bool:
    """A seed directory only appears complete (it is renamed into place when done)."""
    return all((run_dir / name).exists() for name in RUN_FILES)


def finished_seeds(runs_root: Path) -> dict[str, dict[int, float]]:
    """Variant id -> {seed: seconds it trained} of the seeds already finished under
    `runs_root` (for the time-left estimate; unreadable records are left out)."""
    finished: dict[str, dict[int, float]] = {}
    for path in runs_root.glob(f"*/seed*/{METRICS_FILE}"):
        try:
            seconds = float(json.loads(path.read_text())["train_seconds"])
            seed = int(path.parent.name.removeprefix("seed"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        finished.setdefault(path.parent.parent.name, {})[seed] = seconds
    return finished
