"""Notebook knobs: regularisation, dropout, batch norm, stopping rules, one-hot loss, LR tests."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from factories import hyperparameters

from archstudy.config.hyperparameters import EarlyStopping, LRRangeTest, StopBelow
from archstudy.config.plan import build_plan
from archstudy.plots.lr_range import plot_lr_range
from archstudy.train.inputs import Inputs
from archstudy.train.lr_range import choose_rate, lr_range_test
from archstudy.train.models import build_model, build_optimizer, count_parameters
from archstudy.train.training import train_seed

BASE = hyperparameters(
    hidden=(16, 8),
    activations=("relu", "tanh"),
    learning_rate=0.01,
    batch_size=16,
    epochs=3,
    validation_split=0.2,
)


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    # Two well-separated classes plus noise: learnable in a few epochs, small enough to be fast.
    rng = np.random.default_rng(0)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = rng.normal(0, 0.1, (n, 784)).astype(np.float32)
        x[np.arange(n), y * 70] += 3.0
        return x, y

    (x_fit, y_fit), (x_val, y_val), (x_test, y_test) = make(300), make(60), make(60)
    return Inputs(x_fit, y_fit, x_val, y_val, x_test, y_test, 10)


def layer_types(model: keras.Model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_plain_network_is_dense_layers_only():
    assert layer_types(build_model(BASE)) == ["Dense", "Dense", "Dense"]


def test_batch_norm_puts_the_activation_after_normalisation_and_dropout_last():
    model = build_model(dataclasses.replace(BASE, batch_norm=True, dropout=0.3))
    assert layer_types(model) == ["Dense", "BatchNormalization", "Activation", "Dropout"] * 2 + [
        "Dense"
    ]
    assert model.get_layer("hidden_1").activation.__name__ == "linear"
    assert model.get_layer("activation_2").activation.__name__ == "tanh"
    assert model.get_layer("dropout_1").rate == 0.3


@pytest.mark.parametrize("batch_norm", [False, True])
def test_parameter_count_matches_keras_with_and_without_batch_norm(batch_norm: bool):
    model = build_model(dataclasses.replace(BASE, batch_norm=batch_norm))
    assert count_parameters([16, 8], batch_norm=batch_norm) == model.count_params()
    # By hand: 784*16+16 + 16*8+8 + 8*10+10 = 12,786; batch norm adds 4 per hidden unit.
    assert model.count_params() == 12_786 + (4 * 24 if batch_norm else 0)


def test_regularizers_reach_hidden_layers_and_the_output_only_when_asked():
    hp = dataclasses.replace(BASE, kernel_l2=1e-4, bias_l1=2e-4, activity_l2=3e-4)
    hidden = build_model(hp).get_layer("hidden_1")
    assert hidden.kernel_regularizer.l2 == pytest.approx(1e-4)
    assert hidden.bias_regularizer.l1 == pytest.approx(2e-4)
    assert hidden.activity_regularizer.l2 == pytest.approx(3e-4)
    assert build_model(hp).get_layer("output").kernel_regularizer is None
    output = build_model(dataclasses.replace(hp, regularize_output=True)).get_layer("output")
    assert output.kernel_regularizer.l2 == pytest.approx(1e-4)


def test_momentum_and_explicit_rate_reach_the_optimizer():
    optimizer = build_optimizer(dataclasses.replace(BASE, optimizer="sgd", momentum=0.9), 0.25)
    assert optimizer.momentum == pytest.approx(0.9)
    assert float(optimizer.learning_rate.numpy()) == pytest.approx(0.25)


def test_threshold_stops_after_the_first_epoch_below_it(inputs: Inputs, tmp_path: Path):
    hp = dataclasses.replace(BASE, epochs=40, stop_below=StopBelow("loss", 1.0))
    metrics = train_seed(
        hp, inputs, 0, tmp_path, {}, lambda line: None, learning_rate=hp.learning_rate
    )
    history = pd.read_csv(tmp_path / "history.csv")
    assert metrics["stopped"] == "loss below 1"
    assert history["loss"].iloc[-1] < 1.0
    assert (history["loss"].iloc[:-1] >= 1.0).all()
    assert metrics["epochs_run"] == len(history) < 40


def test_early_stopping_is_reported_and_keeps_the_best_weights(inputs: Inputs, tmp_path: Path):
    # With labels unrelated to the images, memorising them soon makes validation loss rise.
    rng = np.random.default_rng(1)
    noise = dataclasses.replace(
        inputs, y_fit=rng.permutation(inputs.y_fit), y_val=rng.permutation(inputs.y_val)
    )
    rule = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    hp = dataclasses.replace(BASE, epochs=50, early_stopping=rule, learning_rate=0.05)
    metrics = train_seed(hp, noise, 0, tmp_path, {}, lambda line: None, learning_rate=0.05)
    history = pd.read_csv(tmp_path / "history.csv")
    assert metrics["stopped"] == "early stopping on val_loss"
    assert metrics["epochs_run"] < 50
    # Restored weights: the final validation loss is the best epoch's, not the last one's.
    assert metrics["val_loss"] == pytest.approx(history["val_loss"].min(), rel=1e-4)


def test_categorical_loss_on_one_hot_labels_trains_like_sparse(inputs: Inputs, tmp_path: Path):
    sparse = train_seed(
        BASE,
        inputs,
        0,
        tmp_path / "sparse",
        {},
        lambda line: None,
        learning_rate=BASE.learning_rate,
    )
    onehot_hp = dataclasses.replace(BASE, loss="categorical_crossentropy")
    onehot = train_seed(
        onehot_hp,
        inputs,
        0,
        tmp_path / "onehot",
        {},
        lambda line: None,
        learning_rate=BASE.learning_rate,
    )
    # The same quantity on the same data from the same seed: equal up to float rounding.
    assert onehot["test_loss"] == pytest.approx(sparse["test_loss"], rel=1e-3)
    assert onehot["test_accuracy"] == pytest.approx(sparse["test_accuracy"], abs=0.02)


def test_choose_rate_halves_the_rate_at_the_lowest_finite_loss():
    curve = pd.DataFrame(
        {"learning_rate": [0.001, 0.01, 0.1, 1.0], "loss": [2.0, 0.5, 0.8, np.nan]}
    )
    assert choose_rate(curve, "half_minimum") == (0.01, 0.005)
    assert choose_rate(curve, "minimum") == (0.01, 0.01)


def test_range_test_grows_the_rate_geometrically_and_writes_its_choice(
    inputs: Inputs, tmp_path: Path
):
    hp = dataclasses.replace(
        BASE, optimizer="sgd", learning_rate=None, lr_range_test=LRRangeTest(start=1e-3, factor=1.3)
    )
    chosen = lr_range_test(
        hp,
        inputs,
        tmp_path / "curve.csv",
        tmp_path / "choice.json",
        lambda line: None,
    )
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert len(curve) == 300 // 16 + 1  # one row per batch of the one epoch
    ratios = curve["learning_rate"].to_numpy()[1:] / curve["learning_rate"].to_numpy()[:-1]
    np.testing.assert_allclose(ratios, 1.3, rtol=1e-5)
    assert curve["learning_rate"].iloc[0] == pytest.approx(1e-3)
    choice = json.loads((tmp_path / "choice.json").read_text())
    assert choice["chosen_learning_rate"] == pytest.approx(chosen)
    assert choice["batches"] == len(curve)
    lowest = curve.loc[curve["loss"].idxmin(), "learning_rate"]
    assert chosen == pytest.approx(lowest / 2)
    plot_lr_range(tmp_path / "curve.csv", tmp_path / "choice.json", tmp_path / "lr_range.png")
    assert (tmp_path / "lr_range.png").stat().st_size > 0


def test_range_test_replaces_the_configured_learning_rate():
    plan = build_plan(
        {
            "studies": {
                "s": {
                    "variants": {
                        "measured": {"learning_rate": 0.5, "lr_range_test": {}},
                        "other_rate": {"learning_rate": 0.1, "lr_range_test": {}},
                    }
                }
            }
        }
    )
    ids = {variant.variant_id for variant in plan.studies["s"].variants}
    assert len(ids) == 1  # the configured rate is ignored, so both name one network
    assert plan.hyperparameters[ids.pop()].learning_rate is None


def test_optional_features_at_their_defaults_keep_old_variant_ids():
    explicit = dataclasses.replace(BASE, dropout=0.0, batch_norm=False, early_stopping=None)
    assert explicit.variant_id == BASE.variant_id
    assert dataclasses.replace(BASE, dropout=0.1).variant_id != BASE.variant_id
