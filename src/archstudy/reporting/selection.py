"""How sure the pick is: its validation margin in predictions, whether that margin is within the
noise of the validation comparison, which variant the test set ranks first, and what the tests
of a study could have detected. Facts only; findings.py turns them into sentences."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from archstudy.aggregate.comparisons import COMBINED, VALIDATION
from archstudy.aggregate.stats import ALPHA


@dataclass(frozen=True)
class Margin:
    """By how many validation predictions the pick leads another variant, summed over the
    seeds both completed, and whether that lead is within the validation comparison's noise
    (None: the runs did not record their validation answers)."""

    other: str
    net: int
    total: int
    seeds: int
    uncertain: bool | None

    def text(self) -> str:
        seeds = f"{self.seeds} seed{'s' if self.seeds != 1 else ''}"
        return f"{self.net:,} of {self.total:,} validation predictions over {seeds}"


@dataclass(frozen=True)
class Selection:
    """The pick (best mean validation accuracy), its nearest rival on validation, and the
    variant the test set ranks first (reported, never choosing)."""

    pick: str
    runner_up: Margin | None
    test_first: str | None
    test_gap: float  # test accuracy of test_first minus the pick's; 0 when they are the same
    test_first_margin: Margin | None


def _margin(
    pick: str, other: str, pairwise: pd.DataFrame, seeds: pd.DataFrame | None
) -> Margin | None:
    """From the validation row of the pairwise table, or else from the per-seed counts."""
    rows = pairwise[(pairwise["test"] == VALIDATION) & (pairwise["other"] == other)]
    if len(rows):
        row = rows.iloc[0]
        return Margin(
            other,
            int(row["best_only"]) - int(row["other_only"]),
            int(row["n"]) * int(row["seeds"]),
            int(row["seeds"]),
            bool(float(row["p_value"]) >= ALPHA),
        )
    if seeds is None or seeds.empty:
        return None
    kept = seeds[seeds["stopped"] != "diverged"]
    mine = kept[kept["variant"] == pick].set_index("seed")
    theirs = kept[kept["variant"] == other].set_index("seed")
    common = [seed for seed in mine.index if seed in theirs.index]
    if not common:
        return None
    net = mine.loc[common, "val_correct"].sum() - theirs.loc[common, "val_correct"].sum()
    total = mine.loc[common, "validation_examples"].sum()
    if not (math.isfinite(float(net)) and math.isfinite(float(total))):
        return None
    return Margin(other, int(net), int(total), len(common), None)


def selection(
    summary: pd.DataFrame, pairwise: pd.DataFrame, seeds: pd.DataFrame | None = None
) -> Selection | None:
    """What the study's selection rests on; None when no variant could be picked."""
    picked = summary[summary["best"]]
    if picked.empty:
        return None
    pick = picked.iloc[0]
    others = summary[~summary["best"] & summary["val_accuracy_mean"].notna()]
    runner = None
    if not others.empty:
        rival = others.loc[others["val_accuracy_mean"].idxmax(), "variant"]
        runner = _margin(str(pick["variant"]), str(rival), pairwise, seeds)
    first = summary[summary["test_first"]] if "test_first" in summary else summary.iloc[:0]
    test_first = str(first.iloc[0]["variant"]) if len(first) else None
    gap, first_margin = 0.0, None
    if test_first is not None and test_first != pick["variant"]:
        gap = float(first.iloc[0]["test_accuracy_mean"]) - float(pick["test_accuracy_mean"])
        first_margin = _margin(str(pick["variant"]), test_first, pairwise, seeds)
    return Selection(str(pick["variant"]), runner, test_first, gap, first_margin)


def detectable(pairwise: pd.DataFrame) -> dict[str, Any] | None:
    """The smallest test-accuracy differences the study's combined tests could detect, with
    what they depend on: seeds, test images and how many comparisons Holm corrects for."""
    rows = pairwise[pairwise["test"] == COMBINED]
    values = [float(value) for value in rows["detectable"] if math.isfinite(float(value))]
    if not values:
        return None
    return {
        "low": min(values),
        "high": max(values),
        "seeds": int(rows["seeds"].max()),
        "images": int(rows["n"].max()),
        "comparisons": len(rows),
    }


def verdict_extras(verdict: Mapping[str, Any]) -> str:
    """Why an interval that excludes zero sits next to 'not supported', when it does."""
    if verdict.get("holm_only"):
        return "the unadjusted interval excludes 0, but not after Holm's correction"
    return ""
