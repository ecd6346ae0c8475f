"""Tests for archstudy.train.step_loop: several minibatches per call compute what plain fit does."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from factories import hyperparameters

from archstudy.config.hyperparameters import Hyperparameters

# 203 examples: at batch 16 that is 12 full minibatches and a partial one of 11, and chunks of
# 3 minibatches (48 examples) end with a partial chunk holding the partial minibatch.
N_EXAMPLES, BATCH, STEPS = 203, 16, 3
VARIANT = hyperparameters(dataset="tiny", hidden=(24, 12), learning_rate=0.01, epochs=3)


def arrays(categorical: bool, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((N_EXAMPLES, 20), dtype=np.float32)
    labels = (x[:, :10].argmax(axis=1) + (x[:, 10] > 0.5)) % 10
    y = np.eye(10, dtype=np.float32)[labels] if categorical else labels
    return x, y


def fit(
    variant: Hyperparameters,
    looped: bool,
    categorical: bool,
    optimizer_options: dict | None = None,
    datasets: int = 1,
) -> tuple[dict, list]:
    """Train from seed 0, plainly (one minibatch per step call) or in a StepLoop.

    `datasets` > 1 fits the same model again on other arrays of the same shape, each time.
    """
    import keras

    from archstudy.train.models import build_model, build_optimizer
    from archstudy.train.step_loop import StepLoop

    keras.utils.set_random_seed(0)
    network = build_model(variant, 20, 10)
    model = StepLoop(network, BATCH) if looped else network
    optimizer = build_optimizer(variant, variant.learning_rate)
    for name, value in (optimizer_options or {}).items():
        setattr(optimizer, name, value)
    model.compile(optimizer=optimizer, loss=variant.loss, metrics=["accuracy"])
    histories: dict[str, list] = {}
    for dataset in range(datasets):
        x, y = arrays(categorical, seed=1 + dataset)
        history = model.fit(
            x,
            y,
            batch_size=BATCH * STEPS if looped else BATCH,
            epochs=variant.epochs,
            validation_data=(x[:50], y[:50]),
            validation_batch_size=BATCH,  # the default would be the batch size fit is given
            shuffle=True,
            verbose=0,
        )
        for key, values in history.history.items():
            histories.setdefault(key, []).extend(values)
    steps = datasets * variant.epochs * -(-N_EXAMPLES // BATCH)
    assert int(model.optimizer.iterations.numpy()) == steps
    return histories, [weight.copy() for weight in network.get_weights()]


def assert_same_training(plain: tuple[dict, list], looped: tuple[dict, list]) -> None:
    (plain_history, plain_weights), (looped_history, looped_weights) = plain, looped
    assert set(looped_history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert looped_history == plain_history  # every epoch's loss and accuracy, to the last bit
    for plain_weight, looped_weight in zip(plain_weights, looped_weights, strict=True):
        np.testing.assert_array_equal(plain_weight, looped_weight)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dropout": 0.3, "batch_norm": True, "kernel_l2": 1e-3},
        {"optimizer": "sgd", "momentum": 0.9, "loss": "categorical_crossentropy"},
        {"optimizer": "rmsprop", "momentum": 0.5, "kernel_l1": 1e-4, "activity_l2": 1e-3},
        {"optimizer": "sgd", "momentum": 0.0, "activations": ("tanh", "sigmoid")},
    ],
    ids=[
        "adam",
        "dropout-batchnorm-l2",
        "sgd-momentum-categorical",
        "rmsprop-l1-activity",
        "sgd-tanh-sigmoid",
    ],
)
def test_step_loop_trains_exactly_as_plain_fit(changes):
    variant = dataclasses.replace(VARIANT, **changes)
    categorical = variant.loss == "categorical_crossentropy"
    assert_same_training(
        fit(variant, looped=False, categorical=categorical),
        fit(variant, looped=True, categorical=categorical),
    )


def test_step_loop_keeps_keras_apply_for_what_its_own_update_leaves_out():
    # Gradient clipping is one of the things only optimizer.apply does.
    options = {"clipnorm": 0.05}
    assert_same_training(
        fit(VARIANT, looped=False, categorical=False, optimizer_options=options),
        fit(VARIANT, looped=True, categorical=False, optimizer_options=options),
    )


def test_step_loop_uses_its_own_update_only_where_apply_would_do_nothing_else():
    from archstudy.train.models import OPTIMIZERS, build_model, build_optimizer
    from archstudy.train.step_loop import plain_update

    variables = build_model(VARIANT, 20, 10).trainable_weights
    for name in OPTIMIZERS:
        optimizer = build_optimizer(dataclasses.replace(VARIANT, optimizer=name), 0.01)
        assert plain_update(optimizer, variables), name
    for option, value in {"clipnorm": 1.0, "clipvalue": 1.0, "weight_decay": 1e-4}.items():
        optimizer = build_optimizer(VARIANT, 0.01)
        setattr(optimizer, option, value)
        assert not plain_update(optimizer, variables), option


def test_step_loop_trains_on_the_arrays_it_is_given_each_time():
    # A second fit on other arrays must not train on the first arrays the step captured.
    assert_same_training(
        fit(VARIANT, looped=False, categorical=False, datasets=2),
        fit(VARIANT, looped=True, categorical=False, datasets=2),
    )


def test_step_loop_refuses_sample_weights():
    import keras

    from archstudy.train.models import build_model, build_optimizer
    from archstudy.train.step_loop import StepLoop

    x, y = arrays(categorical=False)
    model = StepLoop(build_model(VARIANT, x.shape[1], 10), BATCH)
    model.compile(optimizer=build_optimizer(VARIANT, VARIANT.learning_rate), loss=VARIANT.loss)
    with pytest.raises(ValueError, match="sample weights"):
        model.fit(x, y, sample_weight=np.ones(len(y)), batch_size=BATCH * STEPS, verbose=0)
    assert keras.backend.backend() == "tensorflow"
