"""Tests for archstudy.aggregate.stats: seed intervals, McNemar, Holm, paired t, Pareto front."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from archstudy.aggregate.stats import (
    EXACT_BELOW,
    holm,
    mcnemar_test,
    paired_t_test,
    pareto_front,
    summarize,
)


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


# --- McNemar's test ---------------------------------------------------------------------


def correct_arrays(both: int, first_only: int, second_only: int, neither: int):
    """Boolean "classified correctly" arrays with the given 2x2 counts."""
    first = [True] * both + [True] * first_only + [False] * second_only + [False] * neither
    second = [True] * both + [False] * first_only + [True] * second_only + [False] * neither
    return np.array(first), np.array(second)


def test_mcnemar_exact_with_few_discordant_pairs():
    # b = 1, c = 5: two-sided binomial p = 2 * P(X <= 1 | n=6, 1/2) = 2 * 7/64 = 0.21875.
    result = mcnemar_test(*correct_arrays(90, 1, 5, 4))
    assert (result.both, result.first_only, result.second_only, result.neither) == (90, 1, 5, 4)
    assert result.exact
    assert result.discordant == 6
    assert result.p_value == pytest.approx(14 / 64)


def test_mcnemar_chi_square_with_continuity_correction():
    # b = 30, c = 10: (|30 - 10| - 1)^2 / 40 = 9.025, p = P(chi2_1 > 9.025).
    result = mcnemar_test(*correct_arrays(50, 30, 10, 10))
    assert not result.exact
    assert result.statistic == pytest.approx(9.025)
    assert result.p_value == pytest.approx(scipy_stats.chi2.sf(9.025, 1))
    assert result.p_value == pytest.approx(0.0026631, rel=1e-4)


def test_mcnemar_switches_to_chi_square_at_25_discordant_pairs():
    assert mcnemar_test(*correct_arrays(10, 12, 12, 0)).exact  # 24
    assert not mcnemar_test(*correct_arrays(10, 13, 12, 0)).exact  # 25
    assert EXACT_BELOW == 25


def test_mcnemar_identical_classifiers_have_p_one():
    result = mcnemar_test(*correct_arrays(70, 0, 0, 30))
    assert result.exact
    assert result.p_value == 1.0


def test_mcnemar_is_symmetric_in_its_p_value():
    first, second = correct_arrays(40, 3, 11, 6)
    assert mcnemar_test(first, second).p_value == mcnemar_test(second, first).p_value


def test_mcnemar_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="equal-length"):
        mcnemar_test([True, False], [True])


# --- Holm's correction ------------------------------------------------------------------


def test_holm_hand_computed():
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1: 0.03, 0.06, 0.04 -> made monotone: 0.03, 0.06, 0.06.
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_holm_caps_at_one_and_skips_nan():
    adjusted = holm([0.5, math.nan, 0.4])
    assert adjusted[0] == pytest.approx(0.8)  # 0.4 * 2 = 0.8, then max(0.8, 0.5 * 1)
    assert math.isnan(adjusted[1])
    assert adjusted[2] == pytest.approx(0.8)
    assert holm([0.9, 0.8]) == [1.0, 1.0]
    assert holm([]) == []


# --- paired t-test ----------------------------------------------------------------------


def test_paired_t_test_hand_computed():
    # Differences 1, 2, 3: mean 2, s = 1, t = 2 / (1 / sqrt 3) = 3.4641, df 2.
    result = paired_t_test([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert result.n == 3
    assert result.mean_difference == pytest.approx(2.0)
    assert result.statistic == pytest.approx(2 * math.sqrt(3))
    assert result.p_value == pytest.approx(2 * scipy_stats.t.sf(2 * math.sqrt(3), 2))
    assert result.p_value == pytest.approx(0.0741799, rel=1e-5)
    half = scipy_stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert (result.ci_low, result.ci_high) == pytest.approx((2 - half, 2 + half))


def test_paired_t_test_constant_differences():
    same = paired_t_test([0.9, 0.91, 0.92], [0.9, 0.91, 0.92])
    assert same.p_value == 1.0 and same.mean_difference == 0.0
    # Accuracies that differ by exactly 0.1 in every seed: zero variance, the test is undefined
    # (float noise in 0.9 - 0.8 etc. must not turn it into t = 1e15).
    shifted = paired_t_test([0.9, 0.91, 0.92], [0.8, 0.81, 0.82])
    assert math.isnan(shifted.p_value)
    assert shifted.mean_difference == pytest.approx(0.1)


def test_paired_t_test_needs_two_pairs():
    assert math.isnan(paired_t_test([0.9], [0.8]).p_value)
    with pytest.raises(ValueError, match="equal-length"):
        paired_t_test([0.9, 0.8], [0.8])


# --- Pareto front -----------------------------------------------------------------------


def test_pareto_front_hand_computed():
    cost = [1.0, 2.0, 3.0, 2.0, 5.0]
    value = [0.5, 0.7, 0.6, 0.7, 0.9]
    # (3, 0.6) is beaten by (2, 0.7); the two (2, 0.7) tie and neither beats the other.
    assert pareto_front(cost, value) == [True, True, False, True, True]


def test_pareto_front_ignores_missing_values():
    assert pareto_front([1.0, 2.0, 3.0], [math.nan, 0.5, 0.4]) == [False, True, False]
    assert pareto_front([], []) == []
