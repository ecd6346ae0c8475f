"""Dense classifiers built from Hyperparameters, with their parameter and FLOP counts."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from archstudy.config.hyperparameters import Hyperparameters

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
    hidden: Sequence[int],
    input_size: int = INPUT_SIZE,
    num_classes: int = NUM_CLASSES,
    batch_norm: bool = False,
) -> int:
    """Weights plus biases of every dense layer: 784-32-10 has 784*32+32 + 32*10+10 = 25,450.

    Batch normalisation adds four per hidden unit (scale and shift, trained; mean and
    variance, tracked), as Keras' own count does.
    """
    sizes = layer_sizes(hidden, input_size, num_classes)
    dense = sum(
        fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False)
    )
    return dense + (4 * sum(hidden) if batch_norm else 0)


def flops_per_example(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> int:
    """Forward-pass FLOPs for one example: a multiply and an add per weight (2 * fan_in * fan_out).

    Bias additions and activations are ignored, as is usual for dense-layer cost tables.
    """
    sizes = layer_sizes(hidden, input_size, num_classes)
    return sum(2 * fan_in * fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False))


def training_flops_per_example(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> int:
    """Matrix-product FLOPs of one training step per example: 784-32-10 has 3 * 50,816 - 50,176.

    Backward, every layer needs the product for its weights' gradient, and every layer but
    the first the product for its input's gradient: nothing asks for the gradient with
    respect to the data, and TensorFlow skips that product (a test counts the products in
    Keras' traced training step). So three times the forward FLOPs, less the first layer's.
    """
    first_layer = 2 * input_size * (list(hidden)[0] if hidden else num_classes)
    return 3 * flops_per_example(hidden, input_size, num_classes) - first_layer


def _regularizer(l1: float, l2: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def _dense(
    units: int,
    activation: str | None,
    hyperparameters: Hyperparameters,
    name: str,
    regularized: bool,
) -> keras.layers.Dense:
    """A dense layer with the configured initialiser and, where asked, L1/L2 penalties."""
    hp = hyperparameters
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=hp.kernel_initializer,
        bias_initializer=hp.bias_initializer,
        kernel_regularizer=_regularizer(hp.kernel_l1, hp.kernel_l2) if regularized else None,
        bias_regularizer=_regularizer(hp.bias_l1, hp.bias_l2) if regularized else None,
        activity_regularizer=_regularizer(hp.activity_l1, hp.activity_l2) if regularized else None,
        name=name,
    )


def build_model(
    hyperparameters: Hyperparameters, input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """A Sequential dense network: hidden layers as configured, then a softmax output.

    Each hidden layer is Dense -> [BatchNormalization -> Activation] -> [Dropout]: with batch
    normalisation the activation comes after it, as in the original paper.
    """
    hp = hyperparameters
    layers: list[keras.layers.Layer] = [keras.Input(shape=(input_size,), name="pixels")]
    for index, (units, activation) in enumerate(zip(hp.hidden, hp.activations, strict=True), 1):
        dense_activation = None if hp.batch_norm else activation
        layers.append(_dense(units, dense_activation, hp, f"hidden_{index}", regularized=True))
        if hp.batch_norm:
            layers.append(keras.layers.BatchNormalization(name=f"batch_norm_{index}"))
            layers.append(keras.layers.Activation(activation, name=f"activation_{index}"))
        if hp.dropout:
            layers.append(keras.layers.Dropout(hp.dropout, name=f"dropout_{index}"))
    layers.append(_dense(num_classes, "softmax", hp, "output", regularized=hp.regularize_output))
    return keras.Sequential(layers, name="dense_classifier")


def build_optimizer(
    hyperparameters: Hyperparameters, learning_rate: float
) -> keras.optimizers.Optimizer:
    """The configured optimizer with Keras' defaults except the learning rate (and momentum).

    `learning_rate` is the rate to train at (decided by archstudy.train.learning_rate).
    """
    optimizer = OPTIMIZERS[hyperparameters.optimizer]
    if hyperparameters.optimizer == "adam":
        return optimizer(learning_rate=learning_rate)
    return optimizer(learning_rate=learning_rate, momentum=hyperparameters.momentum)
