"""The rate a variant trains at is decided in one place: the LR range test's choice, else the
configured rate; choice.json is written and read by one module."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from factories import hyperparameters

from archstudy.config.hyperparameters import LRRangeTest
from archstudy.errors import ConfigError
from archstudy.train.learning_rate import (
    CHOSEN_BY_CONFIG,
    CHOSEN_BY_TEST,
    Choice,
    chosen_by,
    read_choice,
    training_rate,
    write_choice,
)

CONFIGURED = hyperparameters(hidden=(8,), learning_rate=0.01)


def test_the_configured_rate_without_a_range_test():
    assert training_rate(CONFIGURED, None) == 0.01


def test_the_range_tests_choice_wins(tmp_path: Path):
    tested = dataclasses.replace(CONFIGURED, learning_rate=None, lr_range_test=LRRangeTest())
    choice = Choice(tested.variant_id, 0.4, 0.2, "half_minimum", 100)
    write_choice(choice, tmp_path / "choice.json")
    assert read_choice(tmp_path / "choice.json") == choice
    assert training_rate(tested, tmp_path / "choice.json") == 0.2


def test_no_rate_and_no_choice_is_one_clear_error():
    untested = dataclasses.replace(CONFIGURED, learning_rate=None)
    with pytest.raises(ConfigError, match="no learning_rate and no LR range test choice"):
        training_rate(untested, None)


def test_who_chose_the_rate_comes_from_the_recorded_hyperparameters():
    assert chosen_by(CONFIGURED.to_json()) == CHOSEN_BY_CONFIG
    tested = dataclasses.replace(CONFIGURED, lr_range_test=LRRangeTest())
    assert chosen_by(tested.to_json()) == CHOSEN_BY_TEST
