"""Dense classifiers built from Hyperparameters, with their parameter and FLOP counts."""

from __future__ import annotations

import keras

# The counting lives with the cost model, which the config checks before anything runs;
# re-exported here, where the networks are built.
from archstudy.config.cost import INPUT_SIZE as INPUT_SIZE
from archstudy.config.cost import NUM_CLASSES as NUM_CLASSES
from archstudy.config.cost import count_parameters as count_parameters
from archstudy.config.cost import flops_per_example as flops_per_example
from archstudy.config.cost import layer_sizes as layer_sizes
from archstudy.config.cost import training_flops_per_example as training_flops_per_example
from archstudy.config.hyperparameters import Hyperparameters

# Explicit tables: names in the config map to Keras classes, never through eval.
OPTIMIZERS: dict[str, type[keras.optimizers.Optimizer]] = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
}


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
