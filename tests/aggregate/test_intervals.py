"""The interval over seeds and test images covers what it claims, and stays in range."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from archstudy.aggregate.intervals import (
    detectable_difference,
    seed_interval,
    t_quantile,
    two_way,
    variance_parts,
)
from archstudy.aggregate.stats import ALPHA

SIMULATIONS = 1000
SEEDS = 3
TEST_IMAGES = 1000


def simulate(seed_spread: float, image_spread: float, location: float, rng_seed: int):
    """1,000 studies: 3 seeds answer one shared test set of 1,000 images drawn afresh per study.

    An answer is right when location + seed effect + image difficulty + noise > 0 (all normal,
    the noise with unit spread), so the true expected accuracy over seeds and images is
    Φ(location / √(1 + seed_spread² + image_spread²)). Images every seed finds hard make the
    seeds' errors correlated, as on real test sets.
    """
    rng = np.random.default_rng(rng_seed)
    seed_effect = rng.normal(0, seed_spread, (SIMULATIONS, SEEDS, 1))
    difficulty = rng.normal(0, image_spread, (SIMULATIONS, 1, TEST_IMAGES))
    noise = rng.normal(0, 1, (SIMULATIONS, SEEDS, TEST_IMAGES))
    correct = (location + seed_effect + difficulty + noise > 0).astype(np.float32)
    truth = stats.norm.cdf(location / math.sqrt(1 + seed_spread**2 + image_spread**2))
    mean, variance, df, _ = variance_parts(correct)
    half = t_quantile(1 - ALPHA / 2, df) * np.sqrt(variance)
    low, high = np.maximum(0, mean - half), np.minimum(1, mean + half)
    coverage = float(np.mean((low <= truth) & (truth <= high)))
    # The narrowest honest interval: ±1.96 of the estimator's actual spread over studies.
    oracle_width = 2 * 1.96 * float(mean.std())
    return truth, coverage, float(np.mean(high - low)), oracle_width


@pytest.mark.parametrize(
    ("seed_spread", "image_spread", "location"),
    [
        (0.05, 1.5, 3.0),  # test set dominates (as in the default study): accuracy about 0.95
        (0.2, 1.5, 3.0),  # seed spread as large as the test-set sampling
    ],
)
def test_the_interval_covers_the_expected_accuracy_over_seeds_and_images(
    seed_spread, image_spread, location
):
    truth, coverage, width, oracle = simulate(seed_spread, image_spread, location, 7)
    print(f"truth {truth:.4f}: coverage {coverage:.3f}, width {width:.4f}, oracle {oracle:.4f}")
    assert coverage >= 0.93
    assert width < 1.6 * oracle  # not needlessly wide


def test_seeds_alone_on_one_test_set_would_be_too_narrow():
    """The reason for the method: a t-interval over the three seeds' accuracies misses often."""
    rng = np.random.default_rng(3)
    # Seeds that mostly agree on which images are hard, as trained networks do.
    truth = stats.norm.cdf(7.0 / math.sqrt(1 + 0.05**2 + 4.0**2))
    misses = 0
    for _ in range(200):
        difficulty = rng.normal(0, 4.0, (1, TEST_IMAGES))
        noise = rng.normal(0, 1, (SEEDS, TEST_IMAGES))
        accuracies = (7.0 + rng.normal(0, 0.05, (SEEDS, 1)) + difficulty + noise > 0).mean(axis=1)
        low, high = seed_interval(accuracies, 0, 1)
        misses += not low <= truth <= high
    assert misses / 200 > 0.15  # a 95% interval should miss 5%


def test_two_way_of_one_seed_is_the_binomial_interval_of_the_test_set():
    answers = np.zeros((1, 1000))
    answers[0, :900] = 1
    result = two_way(answers)
    se = math.sqrt(0.9 * 0.1 / 999)
    assert result.mean == pytest.approx(0.9)
    assert result.se == pytest.approx(se)
    assert result.ci_high - result.mean == pytest.approx(stats.t.ppf(0.975, 999) * se)


def test_intervals_stay_in_the_metric_range():
    perfect = np.ones((3, 50))
    perfect[0, 0] = 0
    result = two_way(perfect)
    assert 0 <= result.ci_low <= result.ci_high <= 1
    assert result.ci_high == 1.0
    low, high = seed_interval([0.001, 0.2, 0.002], 0.0)
    assert low == 0.0 and high > 0.2
    low, high = seed_interval([0.999, 1.0, 0.95], 0.0, 1.0)
    assert high == 1.0


def test_a_difference_that_is_the_same_everywhere_is_certain_and_zero_is_not_significant():
    same = two_way(np.zeros((3, 100)), -1, 1)
    assert same.p_value == 1.0 and same.ci_low == same.ci_high == 0.0
    rng = np.random.default_rng(0)
    shifted = two_way(rng.choice([0, 1], (3, 1000), p=[0.7, 0.3]), -1, 1)
    assert shifted.p_value < 0.01 and shifted.ci_low > 0


def test_detectable_difference_grows_with_the_family_and_shrinks_with_the_error():
    one = detectable_difference(0.005, 50, 1)
    assert one == pytest.approx((stats.t.ppf(0.975, 50) + stats.t.ppf(0.8, 50)) * 0.005)
    assert detectable_difference(0.005, 50, 4) > one
    assert detectable_difference(0.0025, 50, 1) < one
    assert math.isnan(detectable_difference(math.nan, 50, 1))
