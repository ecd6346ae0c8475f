"""Tests for archstudy.stats.summarize: mean, sample spread and Student-t 95% intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from archstudy.stats import summarize


def t_interval(values: list[float]) -> tuple[float, float, float, float]:
    """Mean, ddof=1 std and the 95% t interval, computed from the textbook formula."""
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((value - mean) ** 2 for value in values) / (n - 1))
    half = scipy_stats.t.ppf(0.975, df=n - 1) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


@pytest.mark.parametrize(
    "values",
    [[0.91, 0.93, 0.92], [0.5, 0.61, 0.47, 0.58, 0.52]],
    ids=["n3", "n5"],
)
def test_summary_matches_textbook_t_interval(values):
    summary = summarize(values)
    mean, std, low, high = t_interval(values)
    assert summary.n == len(values)
    assert summary.mean == pytest.approx(mean, rel=1e-12)
    assert summary.std == pytest.approx(std, rel=1e-12)
    assert summary.ci_low == pytest.approx(low, rel=1e-12)
    assert summary.ci_high == pytest.approx(high, rel=1e-12)


def test_three_values_hand_computed():
    # 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.3026527297, half width 4.3027 / sqrt(3).
    summary = summarize([1.0, 2.0, 3.0])
    assert summary.mean == 2.0
    assert summary.std == pytest.approx(1.0)
    half = 4.3026527297 / math.sqrt(3)
    assert summary.ci_low == pytest.approx(2.0 - half, rel=1e-9)
    assert summary.ci_high == pytest.approx(2.0 + half, rel=1e-9)


def test_interval_is_symmetric_and_contains_mean():
    summary = summarize([0.2, 0.9, 0.4, 0.7])
    assert summary.ci_low < summary.mean < summary.ci_high
    assert summary.mean - summary.ci_low == pytest.approx(summary.ci_high - summary.mean)


def test_single_value_has_mean_but_no_spread():
    summary = summarize([0.97])
    assert summary.n == 1
    assert summary.mean == 0.97
    assert math.isnan(summary.std)
    assert math.isnan(summary.ci_low)
    assert math.isnan(summary.ci_high)


def test_empty_input_is_all_nan():
    summary = summarize([])
    assert summary.n == 0
    assert all(math.isnan(x) for x in (summary.mean, summary.std, summary.ci_low, summary.ci_high))


def test_non_finite_values_are_ignored():
    clean = [0.8, 0.9, 0.85]
    summary = summarize([0.8, math.nan, 0.9, math.inf, -math.inf, 0.85])
    assert summary == summarize(clean)
    assert summary.n == 3
    assert summary.mean == pytest.approx(np.mean(clean))


def test_only_non_finite_values_is_like_empty():
    summary = summarize([math.nan, math.inf])
    assert summary.n == 0
    assert math.isnan(summary.mean)


def test_zero_variance_gives_zero_width_interval():
    summary = summarize([0.5, 0.5, 0.5, 0.5])
    assert summary.n == 4
    assert summary.mean == 0.5
    assert summary.std == 0.0
    assert summary.ci_low == summary.ci_high == 0.5


def test_numpy_input_is_accepted():
    values = np.array([1.0, 3.0, 5.0], dtype=np.float32)
    summary = summarize(values)
    assert summary.mean == pytest.approx(3.0)
    assert summary.std == pytest.approx(2.0)
