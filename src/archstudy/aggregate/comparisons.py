"""Is the best variant really better? Paired tests of it against every other variant of a study.

Two sources of chance are tested separately. McNemar's test asks, per seed-matched pair of
trained networks, whether their disagreements on the test images are lopsided beyond what
test-set sampling explains. The paired t-test across seeds (with three or more) asks whether
the accuracy difference is larger than the spread that training randomness causes. Each family
of p-values is Holm-adjusted over the whole study.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from archstudy.aggregate.stats import ALPHA, holm, mcnemar_test, paired_t_test

MCNEMAR = "mcnemar"
PAIRED_T = "paired_t"
MIN_SEEDS_FOR_PAIRED_TEST = 3
COLUMNS = [
    "best_variant",
    "other",
    "test",
    "seed",
    "n",
    "best_accuracy",
    "other_accuracy",
    "difference",
    "ci_low",
    "ci_high",
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


def pairwise_table(correct: Correct, best: str | None, variants: Sequence[str]) -> pd.DataFrame:
    """One McNemar row per seed both variants completed, and one paired t-test row per other
    variant with enough matched seeds; `difference` is always best minus other."""
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
        if len(seeds) >= MIN_SEEDS_FOR_PAIRED_TEST:
            first_accuracies = [float(mine[seed].mean()) for seed in seeds]
            second_accuracies = [float(theirs[seed].mean()) for seed in seeds]
            paired = paired_t_test(first_accuracies, second_accuracies)
            rows.append(
                {
                    "best_variant": best,
                    "other": other,
                    "test": PAIRED_T,
                    "n": paired.n,
                    "best_accuracy": float(np.mean(first_accuracies)),
                    "other_accuracy": float(np.mean(second_accuracies)),
                    "difference": paired.mean_difference,
                    "ci_low": paired.ci_low,
                    "ci_high": paired.ci_high,
                    "statistic": paired.statistic,
                    "p_value": paired.p_value,
                }
            )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["seed"] = table["seed"].astype("Int64")
    for test in (MCNEMAR, PAIRED_T):
        family = table["test"] == test
        table.loc[family, "p_holm"] = holm(table.loc[family, "p_value"].tolist())
    table["significant"] = table["p_holm"].astype(float) < ALPHA
    return table


def verdict(rows: pd.DataFrame) -> dict[str, Any]:
    """What one best-versus-other slice of the pairwise table says.

    The difference counts as real ("supported") only when McNemar's test is significant in
    every seed-matched pair and, where it could be run, the paired t-test across seeds is too.
    """
    mcnemar = rows[rows["test"] == MCNEMAR]
    paired = rows[rows["test"] == PAIRED_T]
    paired_p = float(paired["p_holm"].iloc[0]) if len(paired) else math.nan
    significant_pairs = int(mcnemar["significant"].sum())
    tested = len(mcnemar) > 0
    supported = (
        tested and significant_pairs == len(mcnemar) and (math.isnan(paired_p) or paired_p < ALPHA)
    )
    return {
        "tested": tested,
        "pairs": len(mcnemar),
        "significant_pairs": significant_pairs,
        "max_p_holm": float(mcnemar["p_holm"].max()) if tested else math.nan,
        "paired_p_holm": paired_p,
        "difference": float(mcnemar["difference"].mean()) if tested else math.nan,
        "ci_low": float(paired["ci_low"].iloc[0]) if len(paired) else math.nan,
        "ci_high": float(paired["ci_high"].iloc[0]) if len(paired) else math.nan,
        "supported": bool(supported),
    }
