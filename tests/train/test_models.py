"""Tests for archstudy.train.models: parameter and FLOP counts, model construction, optimizers."""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import pytest
from factories import hyperparameters

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.train.models import (
    build_model,
    build_optimizer,
    count_parameters,
    flops_per_example,
    layer_sizes,
    training_flops_per_example,
)

BASE = hyperparameters(hidden=(32,), epochs=1)


def hyperparameters(
    hidden: tuple[int, ...], activation: str = "relu", **changes
) -> Hyperparameters:
    return dataclasses.replace(
        BASE, hidden=hidden, activations=(activation,) * len(hidden), **changes
    )


def test_layer_sizes_run_from_input_to_classes():
    assert layer_sizes([32]) == [784, 32, 10]
    assert layer_sizes([]) == [784, 10]
    assert layer_sizes([5, 6], input_size=3, num_classes=2) == [3, 5, 6, 2]


@pytest.mark.parametrize(
    ("hidden", "expected"),
    [
        # 784*32 + 32 + 32*10 + 10
        ((32,), 25_450),
        # 784*10 + 10
        ((), 7_850),
        # 784*300 + 300 + 300*100 + 100 + 100*10 + 10
        ((300, 100), 266_610),
        # 784*128 + 128 + 128*128 + 128 + 128*10 + 10
        ((128, 128), 118_282),
    ],
)
def test_count_parameters_hand_computed(hidden, expected):
    assert count_parameters(hidden) == expected


def test_count_parameters_custom_sizes():
    # 3*5 + 5 + 5*2 + 2
    assert count_parameters([5], input_size=3, num_classes=2) == 32


@pytest.mark.parametrize("hidden", [(), (32,), (300, 100), (7, 5, 3)])
def test_count_parameters_equals_keras(hidden):
    model = build_model(hyperparameters(hidden))
    assert count_parameters(hidden) == model.count_params()


@pytest.mark.parametrize(
    ("hidden", "expected"),
    [
        ((32,), 2 * (784 * 32 + 32 * 10)),  # 50,816
        ((), 2 * 784 * 10),  # 15,680
        ((300, 100), 2 * (784 * 300 + 300 * 100 + 100 * 10)),  # 532,400
    ],
)
def test_flops_per_example_hand_computed(hidden, expected):
    assert flops_per_example(hidden) == expected


def test_flops_per_example_literal_values():
    assert flops_per_example([32]) == 50_816
    assert flops_per_example([]) == 15_680
    assert flops_per_example([300, 100]) == 532_400


@pytest.mark.parametrize(
    ("hidden", "expected"),
    [
        ((32,), 3 * 2 * (784 * 32 + 32 * 10) - 2 * 784 * 32),  # 102,272
        ((), 2 * 2 * 784 * 10),  # 31,360: no input gradient at all
        ((300, 100), 3 * 532_400 - 2 * 784 * 300),  # 1,126,800
    ],
)
def test_training_flops_per_example_hand_computed(hidden, expected):
    assert training_flops_per_example(hidden) == expected


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="traces a TensorFlow graph")
@pytest.mark.parametrize("hidden", [(), (32,), (300, 100)])
def test_training_flops_per_example_counts_the_products_keras_runs(hidden):
    """The matrix products in Keras' own traced training step add up to the formula."""
    import tensorflow as tf

    batch = 8
    model = build_model(hyperparameters(hidden))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    step = tf.function(model.train_step)
    x, y = tf.zeros((batch, 784)), tf.zeros((batch,), tf.int64)
    graph = step.get_concrete_function((x, y)).graph
    products = [op for op in graph.get_operations() if op.type == "MatMul"]
    flops = 0
    for op in products:
        a, b = (tuple(tensor.shape) for tensor in op.inputs)
        rows = a[1] if op.get_attr("transpose_a") else a[0]
        inner = a[0] if op.get_attr("transpose_a") else a[1]
        columns = b[0] if op.get_attr("transpose_b") else b[1]
        flops += 2 * rows * inner * columns
    assert flops == batch * training_flops_per_example(hidden)


def test_model_layers_follow_hidden_sizes():
    model = build_model(hyperparameters((16, 8)))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [16, 8, 10]
    assert model.input_shape == (None, 784)
    assert model.output_shape == (None, 10)


def test_model_without_hidden_layers_is_softmax_regression():
    model = build_model(hyperparameters(()))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 1
    assert dense[0].units == 10


def test_model_honours_per_layer_activations():
    hp = dataclasses.replace(
        BASE,
        hidden=(6, 5, 4),
        activations=("tanh", "sigmoid", "linear"),
        kernel_initializer="random_normal",
    )
    model = build_model(hp, input_size=7, num_classes=3)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.activation for layer in dense] == [
        keras.activations.get(name) for name in ("tanh", "sigmoid", "linear", "softmax")
    ]
    # Recompute the forward pass with NumPy from the model's weights.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 7)).astype(np.float32)
    numpy_activations = {
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "linear": lambda z: z,
    }
    values = x.astype(np.float64)
    for layer, name in zip(dense[:-1], hp.activations, strict=True):
        kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        values = numpy_activations[name](values @ kernel + bias)
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in dense[-1].get_weights())
    logits = values @ kernel + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, expected, rtol=1e-4, atol=1e-6)


def test_zeros_initializer_gives_zero_kernels_and_uniform_output():
    model = build_model(hyperparameters((8, 4), kernel_initializer="zeros"))
    for layer in model.layers:
        for weights in layer.get_weights():
            assert not np.any(weights)
    x = np.random.default_rng(1).random((3, 784), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((3, 10), 0.1), rtol=1e-6)


def test_ones_initializer_gives_unit_kernels_and_zero_biases():
    model = build_model(hyperparameters((8,), kernel_initializer="ones"))
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        assert np.all(kernel == 1.0)
        assert np.all(bias == 0.0)


def test_glorot_uniform_kernels_are_random_within_bound():
    model = build_model(hyperparameters((64,), kernel_initializer="glorot_uniform"))
    kernel = model.layers[0].get_weights()[0]
    bound = math.sqrt(6 / (784 + 64))
    assert np.abs(kernel).max() <= bound
    assert np.abs(kernel).max() > 0.9 * bound
    assert len(np.unique(kernel)) > 1000


def test_output_is_a_probability_distribution():
    keras.utils.set_random_seed(3)
    model = build_model(hyperparameters((32, 16)))
    x = np.random.default_rng(2).random((20, 784), dtype=np.float32)
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (20, 10)
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), np.ones(20), rtol=1e-5)


@pytest.mark.parametrize(
    ("name", "cls", "learning_rate"),
    [
        ("sgd", keras.optimizers.SGD, 0.05),
        ("adam", keras.optimizers.Adam, 0.001),
        ("rmsprop", keras.optimizers.RMSprop, 0.0003),
    ],
)
def test_build_optimizer_class_and_learning_rate(name, cls, learning_rate):
    optimizer = build_optimizer(dataclasses.replace(BASE, optimizer=name), learning_rate)
    assert type(optimizer) is cls
    value = float(optimizer.learning_rate.numpy())
    assert value == pytest.approx(learning_rate, rel=1e-6)
