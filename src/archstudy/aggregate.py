"""Per-study tables from the seed runs: summary, epochs, per-class scores, confusion counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from archstudy.atomic import atomic_path
from archstudy.datasets import load_prepared
from archstudy.stats import summarize

# Metrics summarised over seeds, in the order the tables show them.
METRICS = (
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
    "train_seconds",
    "epochs_run",
)
TABLES = ("summary", "epochs", "per_class", "confusion")


@dataclass(frozen=True)
class Member:
    """A variant as a study names it, with the seeds it asks for."""

    name: str
    variant_id: str
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class SeedRun:
    """What one trained seed left on disk."""

    variant: str
    seed: int
    metrics: dict[str, Any]
    history: pd.DataFrame
    probabilities: np.ndarray

    @property
    def diverged(self) -> bool:
        return bool(self.metrics.get("stopped") == "diverged")


def load_runs(members: Sequence[Member], runs_root: Path) -> list[SeedRun]:
    """Read every seed each member asks for from `runs_root/{variant_id}/seed{seed}/`."""
    runs = []
    for member in members:
        for seed in member.seeds:
            run_dir = runs_root / member.variant_id / f"seed{seed}"
            metrics = json.loads((run_dir / "metrics.json").read_text())
            runs.append(
                SeedRun(
                    member.name,
                    seed,
                    metrics,
                    pd.read_csv(run_dir / "history.csv"),
                    np.load(run_dir / "test_probabilities.npy"),
                )
            )
    return runs


def _describe_layers(values: Sequence[Any]) -> str:
    return "-".join(str(value) for value in values) or "none"


def summary_table(members: Sequence[Member], runs: Sequence[SeedRun]) -> pd.DataFrame:
    """One row per variant: hyperparameters, cost, and each metric's mean/std/95% interval.

    Diverged seeds are counted but left out of the statistics, which would otherwise be NaN.
    """
    rows = []
    for member in members:
        mine = [run for run in runs if run.variant == member.name]
        kept = [run for run in mine if not run.diverged]
        first = mine[0].metrics
        hp = first["hyperparameters"]
        row: dict[str, Any] = {
            "variant": member.name,
            "variant_id": member.variant_id,
            "hidden": _describe_layers(hp["hidden"]),
            "activations": _describe_layers(hp["activations"]) if hp["hidden"] else "none",
            "kernel_initializer": hp["kernel_initializer"],
            "optimizer": hp["optimizer"],
            "learning_rate": hp["learning_rate"],
            "batch_size": hp["batch_size"],
            "epochs": hp["epochs"],
            "validation_split": hp["validation_split"],
            "seeds": len(mine),
            "diverged": len(mine) - len(kept),
            "parameters": first["parameters"],
            "flops_per_example": first["flops_per_example"],
        }
        for metric in METRICS:
            summary = summarize([float(run.metrics[metric]) for run in kept])
            row.update(
                {
                    f"{metric}_mean": summary.mean,
                    f"{metric}_std": summary.std,
                    f"{metric}_ci_low": summary.ci_low,
                    f"{metric}_ci_high": summary.ci_high,
                }
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    # The best variant is chosen on validation accuracy: the test set never chooses.
    table["best"] = False
    if table["val_accuracy_mean"].notna().any():
        table.loc[table["val_accuracy_mean"].idxmax(), "best"] = True
    return table


def epochs_table(runs: Sequence[SeedRun]) -> pd.DataFrame:
    """Every epoch of every seed, long format, for learning curves."""
    frames = [run.history.assign(variant=run.variant, seed=run.seed) for run in runs]
    table = pd.concat(frames, ignore_index=True)
    return table[["variant", "seed", *[c for c in table.columns if c not in ("variant", "seed")]]]


def per_class_table(
    runs: Sequence[SeedRun], y_test: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """Precision, recall and F1 per class on the test set, averaged over a variant's seeds."""
    labels = list(range(len(class_names)))
    rows = []
    for run in runs:
        if run.diverged:
            continue
        predicted = run.probabilities.argmax(axis=1)
        precision, recall, f1, support = precision_recall_fscore_support(
            y_test, predicted, labels=labels, zero_division=0
        )
        for label in labels:
            rows.append(
                {
                    "variant": run.variant,
                    "seed": run.seed,
                    "class_index": label,
                    "class_name": class_names[label],
                    "precision": precision[label],
                    "recall": recall[label],
                    "f1": f1[label],
                    "support": support[label],
                }
            )
    columns = ["variant", "class_index", "class_name", "precision", "recall", "f1", "support"]
    if not rows:
        return pd.DataFrame(columns=columns)
    per_seed = pd.DataFrame(rows)
    table = (
        per_seed.groupby(["variant", "class_index", "class_name"], sort=False)
        .agg(
            precision=("precision", "mean"),
            recall=("recall", "mean"),
            f1=("f1", "mean"),
            support=("support", "first"),
        )
        .reset_index()
    )
    return table[columns]


def confusion_table(
    runs: Sequence[SeedRun], y_test: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """Test-set confusion counts per variant, summed over its seeds (long format)."""
    labels = list(range(len(class_names)))
    totals: dict[str, np.ndarray] = {}
    for run in runs:
        if run.diverged:  # NaN probabilities would all count as predictions of class 0
            continue
        counts = confusion_matrix(y_test, run.probabilities.argmax(axis=1), labels=labels)
        totals[run.variant] = totals.get(run.variant, 0) + counts
    rows = [
        {
            "variant": variant,
            "true_index": t,
            "true_name": class_names[t],
            "predicted_index": p,
            "predicted_name": class_names[p],
            "count": int(counts[t, p]),
        }
        for variant, counts in totals.items()
        for t in labels
        for p in labels
    ]
    return pd.DataFrame(rows)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write a table atomically with full float precision."""
    with atomic_path(path, suffix=".csv") as temporary:
        table.to_csv(temporary, index=False)


def aggregate_study(
    members: Sequence[Member], runs_root: Path, data_path: Path, out_dir: Path
) -> dict[str, pd.DataFrame]:
    """Build and write the study's four tables as `{out_dir}/{table}.csv`."""
    data = load_prepared(data_path)
    runs = load_runs(members, runs_root)
    tables = {
        "summary": summary_table(members, runs),
        "epochs": epochs_table(runs),
        "per_class": per_class_table(runs, data.y_test, data.class_names),
        "confusion": confusion_table(runs, data.y_test, data.class_names),
    }
    for name, table in tables.items():
        write_csv(table, out_dir / f"{name}.csv")
    return tables
