"""Dense classifiers built from Hyperparameters, with their parameter and FLOP counts."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from archstudy.config import Hyperparameters

# MNIST-like images are flattened to 28 x 28 = 784 inputs and classified into 10 classes.
INPUT_SIZE = 784
NUM_CLASSES = 10

# Explicit tables: names in the config map to Keras classes, never through eval.
OPTIMIZERS: dict[str, type[keras.optimizers.Optimizer]] = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
}


def layer_sizes(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> list[int]:
    """Widths from input to output, e.g. [784, 32, 10]."""
    return [input_size, *hidden, num_classes]


def count_parameters(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> int:
    """Weights plus biases of every dense layer: 784-32-10 has 784*32+32 + 32*10+10 = 25,450."""
    sizes = layer_sizes(hidden, input_size, num_classes)
    return sum(
        fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False)
    )


def flops_per_example(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> int:
    """Forward-pass FLOPs for one example: a multiply and an add per weight (2 * fan_in * fan_out).

    Bias additions and activations are ignored, as is usual for dense-layer cost tables; a
    training step costs about three times this (forward, and two products backward).
    """
    sizes = layer_sizes(hidden, input_size, num_classes)
    return sum(2 * fan_in * fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False))


def build_model(
    hyperparameters: Hyperparameters, input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """A Sequential dense network: hidden layers as configured, then a softmax output."""
    initializer = hyperparameters.kernel_initializer
    layers: list[keras.layers.Layer] = [keras.Input(shape=(input_size,), name="pixels")]
    for index, (units, activation) in enumerate(
        zip(hyperparameters.hidden, hyperparameters.activations, strict=True), start=1
    ):
        layers.append(
            keras.layers.Dense(
                units, activation=activation, kernel_initializer=initializer, name=f"hidden_{index}"
            )
        )
    layers.append(
        keras.layers.Dense(
            num_classes, activation="softmax", kernel_initializer=initializer, name="output"
        )
    )
    return keras.Sequential(layers, name="dense_classifier")


def build_optimizer(hyperparameters: Hyperparameters) -> keras.optimizers.Optimizer:
    """The configured optimizer with Keras' defaults except the learning rate."""
    return OPTIMIZERS[hyperparameters.optimizer](learning_rate=hyperparameters.learning_rate)
