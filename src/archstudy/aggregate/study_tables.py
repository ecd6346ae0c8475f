"""Per-study tables from the seed runs: the summary over seeds and the epochs here; the runs
are read in runs.py, the tables made from test-set predictions in predictions.py, the pairwise
tests in comparisons.py."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archstudy.aggregate.comparisons import pairwise_table
from archstudy.aggregate.intervals import seed_interval, two_way
from archstudy.aggregate.predictions import (
    confusion_table,
    correct_answers,
    misclassified_table,
    per_class_table,
    validation_answers,
)
from archstudy.aggregate.runs import Member, SeedRun, load_runs, read_job_resources
from archstudy.aggregate.seeds import epoch_times, seeds_table, time_front
from archstudy.aggregate.stats import pareto_front, summarize
from archstudy.aggregate.study_files import (
    DEGENERATE_MARGIN,
    RUNTIME_KEYS,
    table_file,
    write_csv,
)
from archstudy.data.prepared import load_prepared
from archstudy.train.learning_rate import chosen_by

# Metrics summarised over seeds, in the order the tables show them.
METRICS = (
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
    "train_seconds",
    "steady_seconds",
    "epochs_run",
)
# The range each metric lives in: no interval reaches outside it.
BOUNDS = {
    "train_accuracy": (0.0, 1.0),
    "val_accuracy": (0.0, 1.0),
    "test_accuracy": (0.0, 1.0),
}


def chance_accuracy(y_test: np.ndarray) -> float:
    """The test accuracy of always predicting the most common test class."""
    return float(np.bincount(y_test).max() / len(y_test)) if len(y_test) else 0.0


def _describe_layers(values: Sequence[Any]) -> str:
    return "-".join(str(value) for value in values) or "none"


def _joined(values: Sequence[Any]) -> str:
    """Distinct values in first-seen order, e.g. seeds that ran on two hosts: 'a, b'."""
    return ", ".join(dict.fromkeys(str(value) for value in values if value is not None))


def _stopped(runs: Sequence[SeedRun]) -> str:
    """Why training stopped, as the runs say it: 'completed', or 'completed ×2, diverged ×1'."""
    counts = Counter(str(run.metrics.get("stopped", "unknown")) for run in runs)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{reason} ×{count}" for reason, count in counts.items())


def _status(kept: Sequence[SeedRun], test_accuracy: float, chance: float) -> str:
    """'diverged' (no seed finished), 'degenerate' (about chance accuracy) or 'ok'."""
    if not kept:
        return "diverged"
    if test_accuracy <= chance + DEGENERATE_MARGIN:
        return "degenerate"
    return "ok"


def _metric_value(run: SeedRun, metric: str) -> float:
    if metric == "steady_seconds":
        return epoch_times(run.history, float(run.metrics["train_seconds"]))[metric]
    return float(run.metrics[metric])


def _answers_interval(answers: list[np.ndarray | None]) -> tuple[float, float] | None:
    """The interval over seeds and images of a seeds' answers table, when every seed has one."""
    present = [a for a in answers if a is not None]
    if not answers or len(present) < len(answers) or len({len(a) for a in present}) != 1:
        return None
    result = two_way(np.stack([np.asarray(a, dtype=float) for a in present]))
    return result.ci_low, result.ci_high


def _covers(images: bool, seeds: int) -> str:
    """What a metric's interval covers; with one seed the spread over seeds is unknown."""
    if images:
        return "seeds and images" if seeds > 1 else "images (one seed)"
    return "seeds"


def summary_table(
    members: Sequence[Member],
    runs: Sequence[SeedRun],
    chance: float = 0.0,
    y_test: np.ndarray | None = None,
    resources: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """One row per variant: hyperparameters, cost, status, and each metric's mean, std over
    seeds and 95% interval.

    The test accuracy's interval (given `y_test`), and the validation accuracy's where its
    answers were recorded, cover seeds and images together (intervals.py); the others cover
    the seeds alone. Every interval stays within its metric's range.

    `resources`, by variant name: its training job's seconds, peak memory and CPU time (all
    of its seeds in one job; NaN when not given).

    Diverged seeds are counted but left out of the statistics, which would otherwise be NaN.
    `chance` is the accuracy of always predicting the most common class.
    """
    rows = []
    for member in members:
        mine = [run for run in runs if run.variant == member.name]
        kept = [run for run in mine if not run.diverged]
        first = mine[0].metrics
        hp = first["hyperparameters"]
        examples = first.get("examples", {})
        runtimes = [run.metrics.get("runtime", {}) for run in mine]
        epochs_run = [int(run.metrics["epochs_run"]) for run in mine]
        row: dict[str, Any] = {
            "variant": member.name,
            "variant_id": member.variant_id,
            "hidden": _describe_layers(hp["hidden"]),
            "activations": _describe_layers(hp["activations"]) if hp["hidden"] else "none",
            "kernel_initializer": hp["kernel_initializer"],
            "optimizer": hp["optimizer"],
            # The rate training used: the configured one, or the one the LR range test chose.
            "learning_rate": first["learning_rate"],
            "learning_rate_chosen_by": chosen_by(hp),
            "batch_size": hp["batch_size"],
            "epochs": hp["epochs"],
            "validation_split": hp["validation_split"],
            "seeds": len(mine),
            "diverged": len(mine) - len(kept),
            "parameters": first["parameters"],
            "flops_per_example": first["flops_per_example"],
            "epochs_planned": first.get("epochs_planned", hp["epochs"]),
            "epochs_run_min": min(epochs_run),
            "epochs_run_max": max(epochs_run),
            "stopped": _stopped(mine),
            "fit_examples": examples.get("fit"),
            "validation_examples": examples.get("validation"),
            "test_examples": examples.get("test"),
            **{key: _joined([runtime.get(key) for runtime in runtimes]) for key in RUNTIME_KEYS},
            **(resources or {}).get(member.name, read_job_resources(None)),
        }
        answers: dict[str, list[np.ndarray | None]] = {
            "test_accuracy": [run.predictions == y_test for run in kept]
            if y_test is not None
            else [],
            "val_accuracy": [run.validation_correct for run in kept],
        }
        for metric in METRICS:
            values = [_metric_value(run, metric) for run in kept]
            summary = summarize(values)
            low, high = seed_interval(values, *BOUNDS.get(metric, (0.0, math.inf)))
            both = _answers_interval(answers.get(metric, []))
            if both is not None:
                low, high = both
            row.update(
                {
                    f"{metric}_mean": summary.mean,
                    f"{metric}_std": summary.std,
                    f"{metric}_ci_low": low,
                    f"{metric}_ci_high": high,
                    # What the interval covers: seeds and images, or the seeds alone.
                    f"{metric}_ci_covers": _covers(both is not None, len(kept)),
                }
            )
        row["status"] = _status(kept, row["test_accuracy_mean"], chance)
        rows.append(row)
    table = pd.DataFrame(rows)
    # The best variant is chosen on validation accuracy: the test set never chooses.
    table["best"] = False
    if table["val_accuracy_mean"].notna().any():
        table.loc[table["val_accuracy_mean"].idxmax(), "best"] = True
    # Which variant the test set ranks first: reported beside the pick, never choosing.
    table["test_first"] = False
    if table["test_accuracy_mean"].notna().any():
        table.loc[table["test_accuracy_mean"].idxmax(), "test_first"] = True
    # Cheapest-for-its-accuracy variants: nothing else is both cheaper and more accurate.
    accuracy = table["test_accuracy_mean"]
    table["pareto_parameters"] = pareto_front(table["parameters"], accuracy)
    # Time without the first epoch's one-off costs, and only differences beyond the noise.
    table["pareto_seconds"] = time_front(
        table["steady_seconds_ci_low"], table["steady_seconds_ci_high"], accuracy
    )
    return table


def epochs_table(runs: Sequence[SeedRun]) -> pd.DataFrame:
    """Every epoch of every seed, long format, for learning curves; `diverged` marks the
    epochs of seeds whose training diverged."""
    frames = [
        run.history.assign(variant=run.variant, seed=run.seed, diverged=run.diverged)
        for run in runs
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[["variant", "seed", *[c for c in table.columns if c not in ("variant", "seed")]]]


def aggregate_members(
    members: Sequence[Sequence[Any]], runs_root: Path, data_path: Path, out_dir: Path
) -> dict[str, pd.DataFrame]:
    """`aggregate_study` for members given as the workflow lists them: [name, id, seeds,
    the training job's benchmark record]."""
    study = [
        Member(str(name), str(ident), tuple(seeds), Path(record))
        for name, ident, seeds, record in members
    ]
    return aggregate_study(study, Path(runs_root), Path(data_path), Path(out_dir))


def aggregate_study(
    members: Sequence[Member], runs_root: Path, data_path: Path, out_dir: Path
) -> dict[str, pd.DataFrame]:
    """Build and write the study's tables into `out_dir`."""
    data = load_prepared(data_path)
    runs = load_runs(members, runs_root)
    resources = {member.name: read_job_resources(member.resources) for member in members}
    summary = summary_table(members, runs, chance_accuracy(data.y_test), data.y_test, resources)
    best = summary.loc[summary["best"], "variant"]
    best_variant = str(best.iloc[0]) if len(best) else None
    tables = {
        "summary": summary,
        "epochs": epochs_table(runs),
        "per_class": per_class_table(runs, data.y_test, data.class_names),
        "confusion": confusion_table(runs, data.y_test, data.class_names),
        "pairwise": pairwise_table(
            correct_answers(runs, data.y_test),
            best_variant,
            [m.name for m in members],
            validation_answers(runs),
        ),
        "misclassified": misclassified_table(runs, best_variant, data.y_test, data.class_names),
        "seeds": seeds_table(runs, {m.name: m.variant_id for m in members}),
    }
    for name, table in tables.items():
        write_csv(table, table_file(out_dir, name))
    return tables
