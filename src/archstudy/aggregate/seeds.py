"""Per-seed values: the table of every seed's numbers, training time without its one-off
costs, and the time Pareto front that only counts differences beyond run-to-run noise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from archstudy.aggregate.runs import SeedRun

# The metrics each seed's metrics.json records, copied into the per-seed table as they are.
RECORDED_METRICS = (
    "train_accuracy",
    "val_accuracy",
    "test_accuracy",
    "train_loss",
    "val_loss",
    "test_loss",
)
SEED_COLUMNS = [
    "variant",
    "variant_id",
    "seed",
    "stopped",
    *RECORDED_METRICS,
    "val_correct",
    "validation_examples",
    "train_seconds",
    "first_epoch_seconds",
    "later_epoch_seconds",
    "steady_seconds",
]


def epoch_times(history: pd.DataFrame, train_seconds: float) -> dict[str, float]:
    """The first epoch's time, the mean of the later ones, and the training time without the
    one-off cost the first epoch carries (graph tracing, warm-up): that cost is the first
    epoch's excess over a later epoch. With one epoch there is nothing to compare it with."""
    seconds = history["seconds"].to_numpy(dtype=float) if "seconds" in history else np.array([])
    first = float(seconds[0]) if seconds.size else math.nan
    later = float(seconds[1:].mean()) if seconds.size > 1 else math.nan
    one_off = max(0.0, first - later) if math.isfinite(later) else 0.0
    return {
        "first_epoch_seconds": first,
        "later_epoch_seconds": later,
        "steady_seconds": max(0.0, train_seconds - one_off),
    }


def validation_count(metrics: dict[str, Any]) -> float:
    """How many validation images the seed classified correctly (accuracy × images)."""
    examples = metrics.get("examples", {}).get("validation")
    accuracy = float(metrics.get("val_accuracy", math.nan))
    if not examples or not math.isfinite(accuracy):
        return math.nan
    return float(round(accuracy * examples))


def seeds_table(runs: Sequence[SeedRun], variant_ids: dict[str, str]) -> pd.DataFrame:
    """One row per seed of every variant: what it scored, and how long it took."""
    rows = []
    for run in runs:
        metrics = run.metrics
        train_seconds = float(metrics["train_seconds"])
        rows.append(
            {
                "variant": run.variant,
                "variant_id": variant_ids[run.variant],
                "seed": run.seed,
                "stopped": str(metrics.get("stopped", "unknown")),
                **{key: float(metrics[key]) for key in RECORDED_METRICS},
                "val_correct": validation_count(metrics),
                "validation_examples": metrics.get("examples", {}).get("validation"),
                "train_seconds": train_seconds,
                **epoch_times(run.history, train_seconds),
            }
        )
    return pd.DataFrame(rows, columns=SEED_COLUMNS)


def time_front(low: Sequence[float], high: Sequence[float], value: Sequence[float]) -> list[bool]:
    """The time Pareto front, counting a variant as faster than another only when their
    intervals over seeds do not overlap (beyond run-to-run noise); otherwise the two take the
    same time. No front at all when no two variants differ beyond noise."""
    lows = np.asarray(low, dtype=float)
    highs = np.asarray(high, dtype=float)
    values = np.asarray(value, dtype=float)
    valid = np.isfinite(lows) & np.isfinite(highs) & np.isfinite(values)
    faster = valid[:, None] & valid[None, :] & (highs[:, None] < lows[None, :])  # [i, j]: i < j
    if not faster.any():
        return [False] * len(values)
    front = []
    for index in range(len(values)):
        if not valid[index]:
            front.append(False)
            continue
        not_slower = valid & ~faster[index]  # others that are not slower than this one
        dominated = np.any(faster[:, index] & (values >= values[index])) or np.any(
            not_slower & (values > values[index])
        )
        front.append(not bool(dominated))
    return front
