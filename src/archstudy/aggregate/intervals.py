"""Intervals that count both sources of chance: the training seeds and the finite test set.

A variant's accuracy is the mean of a seeds × images table of 0/1 answers, and a comparison's
difference the mean of the seed-matched table of differences (−1, 0, 1). The quantity a reader
cares about is its expectation over new training seeds *and* new images from the same
distribution. Seeds and images are crossed (every seed answers the same images), so the table
is a two-way random-effects design (seed effect, image effect, residual), and the variance of its
mean is estimated from the classical ANOVA mean squares:

    var(mean) ≈ var(seed means) / S + var(image means) / N − residual mean square / (S·N)

The first term is the spread over seeds, the second the test-set sampling; the image means
average over seeds, so images that every seed gets wrong (errors correlated across seeds, the
reason one shared test set cannot be treated as S independent ones) widen the interval. The
interval is Student's t with Satterthwaite's degrees of freedom: near S − 1 when seeds dominate
(with 3 seeds, t₂ = 4.30), near N − 1 when the test set does. This is the analytic counterpart
of a two-level bootstrap that resamples seeds and, once per replicate, the same image indices for
every seed (rliable's stratified bootstrap; Bouthillier et al. 2021); with only a few seeds a
bootstrap of seeds is too narrow, which the t quantile avoids. tests/aggregate/test_intervals.py
checks its coverage on simulated studies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from archstudy.aggregate.stats import ALPHA

# Power at which each study states the smallest difference its tests could detect.
POWER = 0.8


@dataclass(frozen=True)
class TwoWay:
    """Mean of a seeds × examples table, its standard error over seeds and examples, and the
    95% interval (clipped to [low, high]) with its two-sided p-value against zero."""

    seeds: int
    examples: int
    mean: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    p_value: float


def variance_parts(
    table: npt.ArrayLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variance of the mean and Satterthwaite's degrees of freedom of seeds × examples
    tables (the last two axes; any leading axes are independent tables, as in a simulation),
    and the seed part of the variance."""
    values = np.asarray(table, dtype=float)
    seeds, examples = values.shape[-2], values.shape[-1]
    mean = values.mean(axis=(-2, -1))
    seed_means = values.mean(axis=-1)
    image_means = values.mean(axis=-2)
    v_image = image_means.var(axis=-1, ddof=1) / examples
    if seeds < 2:  # one seed: the spread over seeds is unknown, only the test set counts
        zeros = np.zeros_like(mean)
        return mean, v_image, np.full_like(mean, examples - 1.0), zeros
    v_seed = seed_means.var(axis=-1, ddof=1) / seeds
    residual = values - seed_means[..., :, None] - image_means[..., None, :] + mean[..., None, None]
    v_residual = (residual**2).sum(axis=(-2, -1)) / ((seeds - 1) * (examples - 1))
    v_residual = v_residual / (seeds * examples)
    # Each one-factor term alone is an estimate of part of the variance: never go below them.
    variance = np.maximum(v_seed + v_image - v_residual, np.maximum(v_seed, v_image))
    # Satterthwaite is optimistic when a component with few degrees of freedom (the seeds)
    # dominates and happens to come out small: weigh the seed part at its median-unbiased
    # value for the degrees of freedom only (the simulations in tests/aggregate/test_intervals.py).
    from scipy import stats

    v_seed_df = v_seed * (seeds - 1) / stats.chi2.ppf(0.5, seeds - 1)
    denominator = (
        v_seed_df**2 / (seeds - 1)
        + v_image**2 / (examples - 1)
        + v_residual**2 / ((seeds - 1) * (examples - 1))
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        numerator = (v_seed_df + v_image - v_residual) ** 2
        df = np.where(denominator > 0, numerator / denominator, examples - 1.0)
    df = np.clip(df, seeds - 1, (seeds - 1) + (examples - 1))
    return mean, variance, df, v_seed


def t_quantile(probability: float, df: npt.ArrayLike) -> np.ndarray:
    from scipy import stats

    return np.asarray(stats.t.ppf(probability, df))


def two_way(table: npt.ArrayLike, low: float = 0.0, high: float = 1.0) -> TwoWay:
    """The interval and test of one seeds × examples table (rows: seeds)."""
    values = np.asarray(table, dtype=float)
    if values.ndim != 2 or values.shape[1] < 2 or values.shape[0] < 1:
        raise ValueError(f"need a seeds × examples table, got shape {values.shape}")
    mean_a, variance_a, df_a, _ = variance_parts(values)
    mean, se, df = float(mean_a), math.sqrt(max(float(variance_a), 0.0)), float(df_a)
    if se == 0.0:
        seeds, examples = values.shape
        return TwoWay(seeds, examples, mean, 0.0, df, mean, mean, 1.0 if mean == 0 else 0.0)
    half = float(t_quantile(1 - ALPHA / 2, df)) * se
    from scipy import stats

    p_value = float(2 * stats.t.sf(abs(mean) / se, df))
    return TwoWay(
        values.shape[0],
        values.shape[1],
        mean,
        se,
        df,
        max(low, mean - half),
        min(high, mean + half),
        p_value,
    )


def detectable_difference(se: float, df: float, family: int, power: float = POWER) -> float:
    """The smallest true difference the two-sided test at Holm's strictest level α/family
    finds with probability `power`, given the standard error of the difference."""
    if not (math.isfinite(se) and math.isfinite(df)) or family < 1:
        return math.nan
    level = ALPHA / family
    return float((t_quantile(1 - level / 2, df) + t_quantile(power, df)) * se)


def seed_interval(
    values: npt.ArrayLike, low: float = -math.inf, high: float = math.inf
) -> tuple[float, float]:
    """Student's t interval for the mean over seeds alone, clipped to the metric's range."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size < 2:
        return math.nan, math.nan
    mean, std = float(data.mean()), float(data.std(ddof=1))
    half = float(t_quantile(1 - ALPHA / 2, data.size - 1)) * std / math.sqrt(data.size)
    return max(low, mean - half), min(high, mean + half)
