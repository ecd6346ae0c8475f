"""Summary statistics over seeds: mean, spread and a t-based 95% interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


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
    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=std / math.sqrt(n))
    return Summary(n, mean, std, float(low), float(high))
