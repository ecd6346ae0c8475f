"""The report's words from its numbers: display cells and each study's one-sentence finding.

Everything here reads the study tables (summary.csv, pairwise.csv) and returns plain text, so a
number in a sentence is always the number in the table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from archstudy.aggregate.comparisons import MCNEMAR, verdict
from archstudy.aggregate.intervals import POWER
from archstudy.aggregate.study_files import DEGENERATE_MARGIN
from archstudy.reporting.selection import Selection, verdict_extras


def finite(value: Any) -> float | None:
    """`value` as a float, or None when it is missing or not finite (NaN of any dtype)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_number(value: Any, digits: int = 4) -> str:
    """Fixed decimals, `n/a` for missing values; the same rounding everywhere in the report."""
    number = finite(value)
    return "n/a" if number is None else f"{number:.{digits}f}"


def format_count(value: Any) -> str:
    """Integers with thousands separators."""
    number = finite(value)
    return "n/a" if number is None else f"{int(number):,}"


def format_p(value: Any) -> str:
    """A p-value: three decimals, or `< 0.001`."""
    number = finite(value)
    if number is None:
        return "n/a"
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def format_interval(low: Any, high: Any, digits: int = 4) -> str:
    if finite(low) is None or finite(high) is None:
        return "n/a"
    return f"{format_number(low, digits)}–{format_number(high, digits)}"


def estimate(row: Mapping[str, Any], metric: str, digits: int = 4) -> str:
    """'mean ± std (95% interval)' of a summary metric, shortened when seeds are too few."""
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    if finite(mean) is None:
        return "n/a"
    if finite(std) is None:
        return format_number(mean, digits)
    interval = format_interval(row[f"{metric}_ci_low"], row[f"{metric}_ci_high"], digits)
    return f"{format_number(mean, digits)} ± {format_number(std, digits)} ({interval})"


def status_text(row: Mapping[str, Any]) -> str:
    """'ok', 'degenerate', 'diverged', or how many seeds diverged."""
    status = str(row["status"])
    if status == "ok" and int(row["diverged"]):
        return f"{int(row['diverged'])}/{int(row['seeds'])} seeds diverged"
    if status == "diverged":
        return "diverged (every seed)"
    return status


def epochs_text(row: Mapping[str, Any]) -> str:
    """Epochs actually run out of those planned, e.g. '10 of 10' or '3–10 of 10'."""
    low, high = int(row["epochs_run_min"]), int(row["epochs_run_max"])
    span = str(low) if low == high else f"{low}–{high}"
    return f"{span} of {int(row['epochs_planned'])}"


def pareto_text(row: Mapping[str, Any]) -> str:
    """On which cost fronts the variant lies."""
    fronts = [
        name
        for column, name in (("pareto_parameters", "parameters"), ("pareto_seconds", "time"))
        if bool(row[column])
    ]
    return ", ".join(fronts) or "no"


def comparisons(pairwise: pd.DataFrame, summary: pd.DataFrame) -> list[dict[str, Any]]:
    """The verdict on the best variant against each other variant, in the study's order."""
    best = summary.loc[summary["best"], "variant"]
    if best.empty:
        return []
    return [
        {"other": other, **verdict(pairwise[pairwise["other"] == other])}
        for other in summary["variant"]
        if other != best.iloc[0]
    ]


def verdict_text(item: Mapping[str, Any]) -> str:
    """A comparison's conclusion in a word or two."""
    if not item["tested"]:
        return "not tested"
    if not item["supported"]:
        extra = verdict_extras(item)
        return f"not supported ({extra})" if extra else "not supported"
    return "pick is better" if item["difference"] > 0 else "pick is worse"


def _names(items: Sequence[Mapping[str, Any]]) -> str:
    names = [str(item["other"]) for item in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def support_clause(verdicts: Sequence[Mapping[str, Any]]) -> str:
    """Whether the best variant's differences from the others are statistically supported."""
    better = [v for v in verdicts if v["supported"] and v["difference"] > 0]
    worse = [v for v in verdicts if v["supported"] and v["difference"] < 0]
    unsupported = [v for v in verdicts if v["tested"] and not v["supported"]]
    untested = [v for v in verdicts if not v["tested"]]
    tested = len(verdicts) - len(untested)
    parts = []
    if better and len(better) == tested and tested > 1:
        parts.append(f"its lead over all {tested} other variants is statistically supported")
    elif better:
        parts.append(f"its lead over {_names(better)} is statistically supported")
    if worse:
        parts.append(f"it is significantly worse on the test set than {_names(worse)}")
    if unsupported:
        if not better and not worse and len(unsupported) > 1:
            parts.append("none of its differences from the others is statistically supported")
        else:
            names = _names(unsupported)
            parts.append(f"the difference from {names} is not statistically supported")
        smallest = [v.get("detectable", math.nan) for v in unsupported]
        smallest = [value for value in smallest if finite(value) is not None]
        if smallest:
            # "Not supported" is not "equal": say what the tests could have seen.
            parts[-1] += (
                ", which does not rule out a difference smaller than "
                f"{format_number(max(smallest))}"
            )
    if untested:
        parts.append(f"{_names(untested)} could not be compared (no completed seed in common)")
    return "; ".join(parts)


def _selection_text(chosen: Selection | None) -> str:
    """The pick's validation margin and, when the test set ranks another variant first, that."""
    if chosen is None:
        return ""
    text = ""
    runner = chosen.runner_up
    if runner is not None:
        text += f", ahead of {runner.other} by {runner.text()}"
        if runner.uncertain:
            text += " (within the noise of the validation comparison: an uncertain pick)"
        elif runner.uncertain is None:
            text += " (its noise is unknown: these runs did not record their validation answers)"
    if chosen.test_first is not None and chosen.test_first != chosen.pick:
        text += (
            f". The test set ranks {chosen.test_first} first instead, "
            f"{format_number(chosen.test_gap)} above {chosen.pick} in test accuracy"
        )
        margin = chosen.test_first_margin
        if margin is not None:
            text += f"; validation preferred {chosen.pick} over it by {margin.text()}"
    return text


def finding(
    summary: pd.DataFrame, verdicts: Sequence[Mapping[str, Any]], chosen: Selection | None = None
) -> str:
    """The pick (by validation accuracy) with its validation margin, its test accuracy and
    interval, the variant the test set ranks first when that is another one, and whether its
    test-set differences from the others are statistically supported."""
    best_rows = summary[summary["best"]]
    if best_rows.empty:
        return "No variant finished training without diverging, so none can be recommended."
    best = best_rows.iloc[0]
    test = format_number(best["test_accuracy_mean"])
    interval = format_interval(best["test_accuracy_ci_low"], best["test_accuracy_ci_high"])
    accuracy = f"a test accuracy of {test}" + (
        f" (95% interval {interval})" if interval != "n/a" else ""
    )
    others = summary[~summary["best"] & summary["val_accuracy_mean"].notna()]
    if others.empty:
        alone = "is the only variant" + (" that finished training" if len(summary) > 1 else "")
        return f"{best['variant']} {alone}, with {accuracy}; there is nothing to compare it with."
    return (
        f"{best['variant']} has the highest validation accuracy "
        f"({format_number(best['val_accuracy_mean'])}){_selection_text(chosen)}. "
        f"It has {accuracy}; on the test set, {support_clause(verdicts)}."
    )


def power_text(power: Mapping[str, Any] | None) -> str:
    """What a study's tests could have detected (selection.detectable), in one sentence."""
    if power is None:
        return ""
    low, high = format_number(power["low"]), format_number(power["high"])
    span = low if low == high else f"{low} to {high} (depending on the pair)"
    seeds = power["seeds"]
    return (
        f"With {seeds} seed{'s' if seeds != 1 else ''}, {format_count(power['images'])} test "
        f"images and Holm's correction over {power['comparisons']} "
        f"comparison{'s' if power['comparisons'] != 1 else ''}, the test finds a true "
        f"difference in test accuracy with {POWER:.0%} probability only when it is at least "
        f'{span}; smaller differences can go unnoticed, so "not supported" does not mean '
        '"equal".'
    )


def flags(summary: pd.DataFrame, chance: float | None) -> list[str]:
    """Sentences for every diverged seed and degenerate variant of a study."""
    notes = []
    for record in summary.to_dict(orient="records"):
        name, seeds, diverged = record["variant"], int(record["seeds"]), int(record["diverged"])
        if record["status"] == "diverged":
            notes.append(
                f"{name}: every seed diverged (non-finite loss); it has no statistics, "
                "curves or confusion matrix."
            )
        elif diverged:
            notes.append(
                f"{name}: {diverged} of {seeds} seeds diverged (non-finite loss); they are left "
                "out of every mean, interval, test and figure."
            )
        if record["status"] == "degenerate":
            level = f" ({format_number(chance)})" if chance is not None else ""
            notes.append(
                f"{name} is degenerate: its mean test accuracy "
                f"{format_number(record['test_accuracy_mean'])} is within "
                f"{DEGENERATE_MARGIN:g} of always predicting the most common class{level}."
            )
    return notes


def test_rows(pairwise: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """The verdict per other variant and the seed-by-seed McNemar rows, as display text."""
    verdicts = comparisons(pairwise, summary)
    rows = [
        {
            "other": item["other"],
            "difference": format_number(item["difference"]),
            "interval": format_interval(item["ci_low"], item["ci_high"]),
            "p": format_p(item["p_holm"]),
            "detectable": format_number(item["detectable"]),
            "pairs": f"{item['significant_pairs']} of {item['pairs']}",
            "max_p": format_p(item["max_p_holm"]),
            "verdict": verdict_text(item),
        }
        for item in verdicts
    ]
    mcnemar = [
        {
            "other": record["other"],
            "seed": str(int(record["seed"])),
            "accuracies": (
                f"{format_number(record['best_accuracy'])} / "
                f"{format_number(record['other_accuracy'])}"
            ),
            "discordant": f"{int(record['best_only'])} / {int(record['other_only'])}",
            "method": "exact" if record["exact"] else "χ²",
            "p": format_p(record["p_value"]),
            "p_holm": format_p(record["p_holm"]),
            "significant": "yes" if record["significant"] else "no",
        }
        for record in pairwise[pairwise["test"] == MCNEMAR].to_dict(orient="records")
    ]
    supported = sum(1 for item in verdicts if item["supported"] and item["difference"] > 0)
    return {
        "verdicts": verdicts,
        "rows": rows,
        "mcnemar": mcnemar,
        "support": (
            f"{supported} of {len(verdicts)} other{'s' if len(verdicts) > 1 else ''}"
            if verdicts
            else "n/a"
        ),
    }


def reference_rows(
    summary: pd.DataFrame, references: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, str]]:
    """Numbers reported elsewhere beside ours: per referenced variant, the reported and our
    test accuracy and loss, and where the reported ones come from."""
    by_variant = {record["variant"]: record for record in summary.to_dict(orient="records")}
    rows = []
    for variant, reference in references.items():
        ours = by_variant.get(variant)
        if ours is None:
            continue
        rows.append(
            {
                "variant": variant,
                "reported_accuracy": format_number(reference.get("test_accuracy")),
                "our_accuracy": estimate(ours, "test_accuracy"),
                "reported_loss": format_number(reference.get("test_loss")),
                "our_loss": estimate(ours, "test_loss"),
                "source": str(reference.get("source", "")),
                "note": str(reference.get("note", "")),
            }
        )
    return rows
