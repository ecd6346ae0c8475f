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


def arrays(categorical: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.random((N_EXAMPLES, 20), dtype=np.float32)
    labels = (x[:, :10].argmax(axis=1) + (x[:, 10] > 0.5)) % 10
    y = np.eye(10, dtype=np.float32)[labels] if categorical else labels
    return x, y


def fit(variant: Hyperparameters, looped: bool, categorical: bool) -> tuple[dict, list]:
    """Train from seed 0, plainly (one minibatch per step call) or in a StepLoop."""
    import keras

    from archstudy.train.models import build_model, build_optimizer
    from archstudy.train.step_loop import StepLoop

    x, y = arrays(categorical)
    keras.utils.set_random_seed(0)
    network = build_model(variant, x.shape[1], 10)
    model = StepLoop(network, BATCH) if looped else network
    model.compile(
        optimizer=build_optimizer(variant, variant.learning_rate),
        loss=variant.loss,
        metrics=["accuracy"],
    )
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
    assert int(model.optimizer.iterations.numpy()) == variant.epochs * -(-N_EXAMPLES // BATCH)
    return history.history, [weight.copy() for weight in network.get_weights()]


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
    plain_history, plain_weights = fit(variant, looped=False, categorical=categorical)
    looped_history, looped_weights = fit(variant, looped=True, categorical=categorical)
    assert set(looped_history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert looped_history == plain_history  # every epoch's loss and accuracy, to the last bit
    for plain, looped in zip(plain_weights, looped_weights, strict=True):
        np.testing.assert_array_equal(plain, looped)


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
