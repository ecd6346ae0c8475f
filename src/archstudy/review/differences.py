"""What differs between two records of one run: metrics, per-epoch history, test predictions.

Timing is left out (`train_seconds`, the `runtime` block, the history's `seconds` column):
it differs on every run and says nothing about the results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from archstudy.review.results import RecordedRun
from archstudy.train.run_files import HISTORY_FILE, METRICS_FILE, PROBABILITIES_FILE

IGNORED_METRICS = ("train_seconds", "runtime")
IGNORED_HISTORY = ("seconds",)
# Differences within this much (accuracy, loss, share of changed test predictions) may be
# called equivalent, when they are also small against the spread over seeds.
DEFAULT_TOLERANCE = 0.02
# "Small against the spread": at most this many standard deviations over the variant's seeds.
SPREAD_FACTOR = 2.0


@dataclass(frozen=True)
class Difference:
    """One value that differs: where, what it was, what it is now, and by how much."""

    file: str
    key: str
    recorded: Any
    found: Any
    amount: float | None  # absolute difference of two numbers; None: not comparable as numbers

    def text(self) -> str:
        by = f" (by {self.amount:.3g})" if self.amount is not None else ""
        return f"{self.file}: {self.key} {_short(self.recorded)} -> {_short(self.found)}{by}"


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return bool(a == b) or (math.isnan(a) and math.isnan(b))
    return bool(a == b) and type(a) is type(b)


def metric_differences(recorded: Mapping[str, Any], found: Mapping[str, Any]) -> list[Difference]:
    """Every metrics.json value (nested keys as a.b) that differs, timing aside."""
    a = _flatten({k: v for k, v in recorded.items() if k not in IGNORED_METRICS})
    b = _flatten({k: v for k, v in found.items() if k not in IGNORED_METRICS})
    differences = []
    for key in sorted(a.keys() | b.keys()):
        old, new = a.get(key, "<missing>"), b.get(key, "<missing>")
        if _same(old, new):
            continue
        # Integers (parameters, epochs run) must match exactly: no tolerance applies to them.
        numeric = _is_number(old) and _is_number(new) and float in (type(old), type(new))
        amount = abs(float(new) - float(old)) if numeric else None
        differences.append(Difference(METRICS_FILE, key, old, new, amount))
    return differences


def history_differences(recorded: RecordedRun, found: RecordedRun) -> list[Difference]:
    """Per-epoch values that differ (the largest per column), or a different epoch count."""
    a, b = recorded.history, found.history
    if len(a) != len(b) or list(a.columns) != list(b.columns):
        return [Difference(HISTORY_FILE, "epochs x columns", a.shape, b.shape, None)]
    differences = []
    for column in a.columns:
        if column in IGNORED_HISTORY:
            continue
        old, new = a[column].to_numpy(dtype=float), b[column].to_numpy(dtype=float)
        if np.array_equal(old, new, equal_nan=True):
            continue
        gaps = np.abs(new - old)
        if np.isnan(gaps).any():
            return [Difference(HISTORY_FILE, column, "finite", "non-finite", None)]
        worst = int(np.argmax(gaps))
        key = f"{column} in epoch {worst + 1} (largest of {int((gaps > 0).sum())} changed)"
        differences.append(
            Difference(HISTORY_FILE, key, float(old[worst]), float(new[worst]), float(gaps[worst]))
        )
    return differences


def prediction_differences(recorded: RecordedRun, found: RecordedRun) -> list[Difference]:
    """Changed test-set probabilities: the share of changed predicted classes."""
    a, b = recorded.probabilities, found.probabilities
    if a.shape != b.shape or a.dtype != b.dtype:
        shapes = (f"{a.shape} {a.dtype}", f"{b.shape} {b.dtype}")
        return [Difference(PROBABILITIES_FILE, "shape", *shapes, None)]
    if np.array_equal(a, b):
        return []
    changed = float(np.mean(a.argmax(axis=1) != b.argmax(axis=1))) if len(a) else 0.0
    largest = float(np.nanmax(np.abs(a.astype(float) - b.astype(float))))
    key = f"predicted classes changed (largest probability change {largest:.3g})"
    return [Difference(PROBABILITIES_FILE, key, 0.0, changed, changed)]


def run_differences(recorded: RecordedRun, found: RecordedRun) -> list[Difference]:
    """Everything that differs between two records of one run."""
    return [
        *metric_differences(recorded.metrics, found.metrics),
        *history_differences(recorded, found),
        *prediction_differences(recorded, found),
    ]


def within(
    differences: list[Difference], tolerance: float, spread: Mapping[str, float]
) -> list[Difference]:
    """The differences that are NOT small: over `tolerance`, not numbers, or over
    SPREAD_FACTOR standard deviations of that metric over the variant's seeds (`spread`,
    by metrics.json key; keys without a spread are held to the tolerance alone)."""
    large = []
    for difference in differences:
        amount = difference.amount
        if amount is None or amount > tolerance:
            large.append(difference)
            continue
        std = spread.get(difference.key)
        if std is not None and amount > SPREAD_FACTOR * std:
            large.append(difference)
    return large
