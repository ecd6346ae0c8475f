"""Display rows of a study's tables for the report: variants, the best variant's per-class
scores and the LR range tests, each value formatted as the templates show it."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from archstudy.reporting.findings import (
    epochs_text,
    estimate,
    format_count,
    format_interval,
    format_number,
    pareto_text,
    status_text,
)
from archstudy.reporting.shared_runs import SHORT_ID
from archstudy.train.learning_rate import (
    CHOICE_FILE,
    CHOSEN_BY_TEST,
    CURVE_FILE,
    FIGURE_FILE,
    read_choice,
)

# Marks the variant the study picks (best by validation) in every table.
BEST_MARK = "★"


def copy_beside(source: Path, target: Path, report_dir: Path) -> str:
    """Copy a figure beside the report; return its path relative to the report."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target.relative_to(report_dir).as_posix()


def variant_rows(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Per variant: its settings, results, costs and status as display text."""
    rows = []
    for record in summary.to_dict(orient="records"):
        rows.append(
            {
                "variant": record["variant"],
                "run": str(record["variant_id"])[:SHORT_ID],
                "mark": BEST_MARK if record["best"] else "",
                "status": status_text(record),
                "flagged": record["status"] != "ok" or bool(record["diverged"]),
                "hidden": record["hidden"],
                "activations": record["activations"],
                "initializer": record["kernel_initializer"],
                "optimizer": record["optimizer"],
                "learning_rate": f"{record['learning_rate']:g}"
                # .get: summary tables written by earlier versions lack the column.
                + (
                    " (range test)"
                    if record.get("learning_rate_chosen_by") == CHOSEN_BY_TEST
                    else ""
                ),
                "batch_size": str(record["batch_size"]),
                "validation_split": f"{record['validation_split']:g}",
                "accuracy": {
                    split: estimate(record, f"{prefix}_accuracy")
                    for split, prefix in (("train", "train"), ("val", "val"), ("test", "test"))
                },
                "loss": {
                    split: estimate(record, f"{prefix}_loss")
                    for split, prefix in (("train", "train"), ("val", "val"), ("test", "test"))
                },
                "parameters": format_count(record["parameters"]),
                "mflops": format_number(record["flops_per_example"] / 1e6, 3),
                "epochs": epochs_text(record),
                "stopped": record["stopped"],
                # Without the first epoch's one-off cost, which is shown apart.
                "seconds": estimate(record, "steady_seconds", 1),
                "one_off": format_number(
                    record["train_seconds_mean"] - record["steady_seconds_mean"], 1
                ),
                # .get: summary tables written by earlier versions lack the columns.
                "memory": format_count(record.get("job_peak_memory_mb")),
                "cpu": format_number(record.get("job_cpu_seconds"), 1),
                "pareto": pareto_text(record),
            }
        )
    return rows


def with_interval(record: Mapping[str, Any], metric: str) -> str:
    """'mean (low–high)', or the mean alone when there is no interval."""
    interval = format_interval(record[f"{metric}_ci_low"], record[f"{metric}_ci_high"])
    mean = format_number(record[f"{metric}_mean"])
    return mean if interval == "n/a" else f"{mean} ({interval})"


def per_class_rows(per_class: pd.DataFrame, best: str | None) -> list[dict[str, str]]:
    mine = per_class[per_class["variant"] == best]
    return [
        {
            "name": str(record["class_name"]),
            "precision": format_number(record["precision"]),
            "recall": format_number(record["recall"]),
            "f1": format_number(record["f1"]),
            "support": format_count(record["support"]),
        }
        for record in mine.to_dict(orient="records")
    ]


def lr_range_rows(
    lr_range: Mapping[str, Path], figures_target: Path, report_dir: Path
) -> list[dict[str, str]]:
    """Per variant that ran an LR range test: how the rate grew, the rate at the lowest loss,
    the rate it trained with, and the curve's figure (all read from the test's own files)."""
    rows = []
    for index, (variant, folder) in enumerate(lr_range.items(), 1):
        choice = read_choice(Path(folder) / CHOICE_FILE)
        rates = pd.read_csv(Path(folder) / CURVE_FILE)["learning_rate"].to_numpy()
        rows.append(
            {
                "variant": variant,
                "start": f"{rates[0]:g}",
                "factor": f"{rates[1] / rates[0]:.4g}" if len(rates) > 1 else "n/a",
                "batches": format_count(len(rates)),
                "at_minimum": f"{choice.rate_at_minimum_loss:.4g}",
                "rule": "half of it" if choice.pick == "half_minimum" else "that rate",
                "chosen": f"{choice.chosen_learning_rate:.4g}",
                "figure": copy_beside(
                    Path(folder) / FIGURE_FILE,
                    figures_target / f"lr_range_{index}.png",
                    report_dir,
                ),
            }
        )
    return rows
