"""Statistics for the report: intervals over seeds, paired tests, Holm's correction, Pareto fronts.

Each function is small and typed, and wraps the reference implementation (scipy, statsmodels)
so that the tests can compare it with hand-computed cases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# scipy and statsmodels are imported by the functions that use them: the report step needs
# only this module's constants and would otherwise spend about 1.5 s importing them.

CONFIDENCE = 0.95
ALPHA = 1.0 - CONFIDENCE  # significance level of every test in the report
# McNemar's chi-square approximation is poor with few discordant pairs; below this many the
# exact binomial test is used instead (the usual rule of thumb, e.g. in mlxtend's guide).
EXACT_BELOW = 25


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation and 95% interval of a metric over seeds."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


def summarize(values: Sequence[float]) -> Summary:
    """Student-t interval for the mean; with fewer than two values the spread is unknown (NaN)."""
    data = np.asarray([value for value in values if math.isfinite(value)], dtype=float)
    n = int(data.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(data.mean())
    if n < 2:
        return Summary(n, mean, math.nan, math.nan, math.nan)
    std = float(data.std(ddof=1))
    if std == 0.0:
        return Summary(n, mean, 0.0, mean, mean)
    from scipy import stats

    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=std / math.sqrt(n))
    return Summary(n, mean, std, float(low), float(high))


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of two classifiers on the same test examples.

    `first_only` counts examples only the first classifier got right, `second_only` those only
    the second got right (the discordant pairs the test is about).
    """

    both: int
    first_only: int
    second_only: int
    neither: int
    exact: bool
    statistic: float
    p_value: float

    @property
    def discordant(self) -> int:
        return self.first_only + self.second_only


def mcnemar_test(first_correct: npt.ArrayLike, second_correct: npt.ArrayLike) -> McNemar:
    """Exact binomial test below EXACT_BELOW discordant pairs, else chi-square with continuity
    correction, on boolean "was this test example classified correctly" arrays."""
    first = np.asarray(first_correct, dtype=bool)
    second = np.asarray(second_correct, dtype=bool)
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(f"need two equal-length 1-d arrays, got {first.shape} and {second.shape}")
    both = int(np.sum(first & second))
    first_only = int(np.sum(first & ~second))
    second_only = int(np.sum(~first & second))
    neither = int(np.sum(~first & ~second))
    exact = first_only + second_only < EXACT_BELOW
    from statsmodels.stats.contingency_tables import mcnemar

    result = mcnemar([[both, first_only], [second_only, neither]], exact=exact, correction=True)
    return McNemar(
        both,
        first_only,
        second_only,
        neither,
        exact,
        float(result.statistic),
        float(result.pvalue),
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (step-down, controls the family-wise error); NaN stays NaN and
    does not count towards the family size."""
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(values.shape, math.nan)
    finite = np.isfinite(values)
    if finite.any():
        from statsmodels.stats.multitest import multipletests

        adjusted[finite] = multipletests(values[finite], alpha=ALPHA, method="holm")[1]
    return [float(value) for value in adjusted]


@dataclass(frozen=True)
class PairedTest:
    """Student's paired t-test of `first - second` over matched seeds."""

    n: int
    mean_difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float


def paired_t_test(first: Sequence[float], second: Sequence[float]) -> PairedTest:
    """Paired t-test with a 95% interval for the mean difference.

    With constant differences the test is undefined (zero variance): p is 1 when they are all
    zero and NaN otherwise, as it is with fewer than two pairs.
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two equal-length 1-d sequences, got {a.shape} and {b.shape}")
    # Accuracies are ratios of counts: rounding removes float noise that fakes a tiny variance.
    differences = np.round(a - b, 12)
    n = int(differences.size)
    mean = float(differences.mean()) if n else math.nan
    if n < 2 or np.all(differences == differences[0]):
        p_value = 1.0 if n >= 2 and mean == 0.0 else math.nan
        return PairedTest(n, mean, mean, mean, 0.0 if p_value == 1.0 else math.nan, p_value)
    from scipy import stats

    result = stats.ttest_rel(a, b)
    interval = result.confidence_interval(confidence_level=CONFIDENCE)
    return PairedTest(
        n,
        mean,
        float(interval.low),
        float(interval.high),
        float(result.statistic),
        float(result.pvalue),
    )


def pareto_front(cost: Sequence[float], value: Sequence[float]) -> list[bool]:
    """Which points no other point beats: nothing is as cheap or cheaper *and* as good or
    better while strictly better in one of the two. Points with a missing value are never on
    the front (and do not hide any other point)."""
    costs = np.asarray(cost, dtype=float)
    values = np.asarray(value, dtype=float)
    if costs.shape != values.shape:
        raise ValueError(f"cost and value differ in length: {costs.shape} and {values.shape}")
    valid = np.isfinite(costs) & np.isfinite(values)
    front = []
    for index in range(costs.size):
        if not valid[index]:
            front.append(False)
            continue
        no_worse = valid & (costs <= costs[index]) & (values >= values[index])
        better = (costs < costs[index]) | (values > values[index])
        front.append(not bool(np.any(no_worse & better)))
    return front
