"""Which variants of a study form a sweep of one numeric hyperparameter (all else equal).

Kept free of matplotlib: the report uses it to decide whether a study gets the view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

# The numeric settings a sweep may vary, with their axis labels. Width and depth are read from
# the hidden layers: width only when every layer has the same size.
NUMERIC = {
    "batch_size": "batch size (examples per step)",
    "learning_rate": "learning rate",
    "width": "width (units per hidden layer)",
    "depth": "depth (hidden layers)",
    "epochs": "epochs planned",
}
# Everything else a summary row says about a variant's settings.
OTHER = ("activations", "kernel_initializer", "optimizer", "validation_split")


@dataclass(frozen=True)
class Sweep:
    """Variants that differ from each other in `key` only, in increasing order of `key`."""

    key: str
    variants: tuple[str, ...]
    values: tuple[float, ...]
    fixed: str  # what the variants share, e.g. "depth 2, batch size 100"

    @property
    def label(self) -> str:
        return NUMERIC[self.key]

    @property
    def logarithmic(self) -> bool:
        """Values that span at least a decade are drawn on a log axis."""
        low, high = min(self.values), max(self.values)
        return low > 0 and high / low >= 10


def settings(row: Any) -> dict[str, Any]:
    """The settings of one summary row that a sweep compares."""
    layers = [int(size) for size in str(row["hidden"]).split("-") if size.isdigit()]
    values: dict[str, Any] = {key: row[key] for key in OTHER if key in row}
    # "relu-relu" and "relu-relu-relu" are one activation at two depths.
    activations = str(values.get("activations", "")).split("-")
    if len(set(activations)) == 1:
        values["activations"] = activations[0]
    values.update(
        batch_size=int(row["batch_size"]),
        learning_rate=float(row["learning_rate"]),
        epochs=int(row["epochs"]) if "epochs" in row else None,
        depth=len(layers),
        width=layers[0] if layers and len(set(layers)) == 1 else None,
        layers=tuple(layers),
    )
    return values


def _shared(values: dict[str, Any], key: str) -> str:
    """A short description of the settings a sweep holds fixed."""
    parts = []
    for name in ("width", "depth", "batch_size", "learning_rate"):
        if name != key and values.get(name) is not None:
            parts.append(f"{name.replace('_', ' ')} {values[name]:g}")
    return ", ".join(parts)


def find_sweeps(summary: pd.DataFrame) -> list[Sweep]:
    """Every maximal set of two or more variants that differ in exactly one numeric setting.

    A variant that changes another key as well (activation, optimizer, or a second numeric
    setting) is not put on the line: it belongs to another sweep or to none."""
    rows = [(str(row["variant"]), settings(row)) for _, row in summary.iterrows()]
    sweeps = []
    for key in NUMERIC:
        groups: dict[tuple[Any, ...], list[tuple[str, dict[str, Any]]]] = {}
        for name, values in rows:
            if values.get(key) is None:
                continue
            # Width and depth are parts of the layer list: compare the other part only.
            ignored = {key, "layers"} if key in ("width", "depth") else {key}
            signature = tuple(sorted((k, str(v)) for k, v in values.items() if k not in ignored))
            groups.setdefault(signature, []).append((name, values))
        for members in groups.values():
            distinct = {values[key] for _, values in members}
            if len(members) < 2 or len(distinct) != len(members):
                continue  # identical values would be two points at one place: not a sweep
            members.sort(key=lambda member: member[1][key])
            sweeps.append(
                Sweep(
                    key=key,
                    variants=tuple(name for name, _ in members),
                    values=tuple(float(values[key]) for _, values in members),
                    fixed=_shared(members[0][1], key),
                )
            )
    return sweeps


def apart(summary: pd.DataFrame, sweeps: list[Sweep]) -> list[str]:
    """Variants on no sweep line: they change more than one setting from every other."""
    on_a_line = {name for sweep in sweeps for name in sweep.variants}
    return [str(name) for name in summary["variant"] if str(name) not in on_a_line]
