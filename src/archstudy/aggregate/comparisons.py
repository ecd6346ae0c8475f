"""Is the best variant really better? Paired tests of it against every other variant of a study.

The verdict rests on one model of chance, the one the intervals use (intervals.py): the
seed-matched difference in test answers, image by image, has a mean whose uncertainty counts
both the spread over training seeds and the sampling of the shared test set. Its p-values are
Holm-adjusted over the study. McNemar's test per seed-matched pair is kept beside it as detail:
it asks only whether two trained networks differ on these test images. The same paired model on
the validation images says whether the selection itself is within noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from archstudy.aggregate.intervals import detectable_difference, two_way
from archstudy.aggregate.stats import ALPHA, holm, mcnemar_test

MCNEMAR = "mcnemar"
# Seeds and test images together, on the test set; the same on the validation images.
COMBINED = "combined"
VALIDATION = "validation"
COLUMNS = [
    "best_variant",
    "other",
    "test",
    "seed",
    "seeds",
    "n",
    "best_accuracy",
    "other_accuracy",
    "difference",
    "ci_low",
    "ci_high",
    "se",
    "df",
    "detectable",
    "best_only",
    "other_only",
    "exact",
    "statistic",
    "p_value",
    "p_holm",
    "significant",
]

# Per variant, per completed seed: which test examples it classified correctly.
Correct = Mapping[str, Mapping[int, np.ndarray]]


def _combined_row(
    test: str,
    best: str,
    other: str,
    mine: Mapping[int, np.ndarray],
    theirs: Mapping[int, np.ndarray],
) -> dict[str, Any] | None:
    """The seeds × examples difference of two variants over the seeds both completed."""
    seeds = [seed for seed in mine if seed in theirs and len(mine[seed]) == len(theirs[seed])]
    if not seeds or len(mine[seeds[0]]) < 2:
        return None
    first = np.stack([mine[seed] for seed in seeds]).astype(float)
    second = np.stack([theirs[seed] for seed in seeds]).astype(float)
    result = two_way(first - second, -1.0, 1.0)
    return {
        "best_variant": best,
        "other": other,
        "test": test,
        "seeds": len(seeds),
        "n": first.shape[1],
        "best_accuracy": float(first.mean()),
        "other_accuracy": float(second.mean()),
        "difference": result.mean,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "se": result.se,
        "df": result.df,
        # Examples only one of the two got right, summed over the seeds: the margin in answers.
        "best_only": int(np.sum((first == 1) & (second == 0))),
        "other_only": int(np.sum((first == 0) & (second == 1))),
        "p_value": result.p_value,
    }


def pairwise_table(
    correct: Correct,
    best: str | None,
    variants: Sequence[str],
    validation: Correct | None = None,
) -> pd.DataFrame:
    """Per other variant: one McNemar row per seed both completed, one combined row (seeds
    and test images) and, where validation answers were recorded, one validation row;
    `difference` is always best minus other."""
    rows: list[dict[str, Any]] = []
    if best is None:
        return pd.DataFrame(rows, columns=COLUMNS)
    mine = correct.get(best, {})
    for other in variants:
        if other == best:
            continue
        theirs = correct.get(other, {})
        seeds = [seed for seed in mine if seed in theirs]
        for seed in seeds:
            result = mcnemar_test(mine[seed], theirs[seed])
            first, second = float(mine[seed].mean()), float(theirs[seed].mean())
            rows.append(
                {
                    "best_variant": best,
                    "other": other,
                    "test": MCNEMAR,
                    "seed": seed,
                    "seeds": 1,
                    "n": len(mine[seed]),
                    "best_accuracy": first,
                    "other_accuracy": second,
                    "difference": first - second,
                    "best_only": result.first_only,
                    "other_only": result.second_only,
                    "exact": result.exact,
                    "statistic": result.statistic,
                    "p_value": result.p_value,
                }
            )
        combined = _combined_row(COMBINED, best, other, mine, theirs)
        if combined is not None:
            rows.append(combined)
        if validation is not None:
            picked = _combined_row(
                VALIDATION, best, other, validation.get(best, {}), validation.get(other, {})
            )
            if picked is not None:
                rows.append(picked)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    # The validation rows test the selection, one comparison at a time: no family to adjust.
    for test in (MCNEMAR, COMBINED):
        family = table["test"] == test
        table.loc[family, "p_holm"] = holm(table.loc[family, "p_value"].tolist())
    validation_rows = table["test"] == VALIDATION
    table.loc[validation_rows, "p_holm"] = table.loc[validation_rows, "p_value"]
    table["significant"] = table["p_holm"].astype(float) < ALPHA
    combined_rows = table["test"] == COMBINED
    family_size = int(combined_rows.sum())
    table.loc[combined_rows, "detectable"] = [
        detectable_difference(float(se), float(df), family_size)
        for se, df in zip(
            table.loc[combined_rows, "se"], table.loc[combined_rows, "df"], strict=True
        )
    ]
    return table


def verdict(rows: pd.DataFrame) -> dict[str, Any]:
    """What one best-versus-other slice of the pairwise table says.

    The difference counts as real ("supported") when the combined test over seeds and test
    images is significant after Holm's correction; its interval is the unadjusted 95% one, so
    it can exclude zero while the adjusted test is not significant (`holm_only` says so).
    """
    mcnemar = rows[rows["test"] == MCNEMAR]
    combined = rows[rows["test"] == COMBINED]
    tested = len(combined) > 0
    first = combined.iloc[0] if tested else None

    def value(column: str) -> float:
        return float(first[column]) if first is not None else math.nan

    supported = tested and value("p_holm") < ALPHA
    excludes_zero = tested and (value("ci_low") > 0 or value("ci_high") < 0)
    return {
        "tested": tested,
        "pairs": len(mcnemar),
        "significant_pairs": int(mcnemar["significant"].sum()),
        "max_p_holm": float(mcnemar["p_holm"].max()) if len(mcnemar) else math.nan,
        "p_holm": value("p_holm"),
        "difference": value("difference"),
        "ci_low": value("ci_low"),
        "ci_high": value("ci_high"),
        "detectable": value("detectable"),
        "supported": bool(supported),
        "holm_only": bool(excludes_zero and not supported),
    }
