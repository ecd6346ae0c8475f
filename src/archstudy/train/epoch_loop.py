"""A StepLoop's epochs and evaluation: Keras' `fit` and `evaluate` loops without tf.data."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from archstudy.train.step_loop import StepLoop


def train_epochs(
    model: StepLoop,
    x: np.ndarray,
    y: np.ndarray,
    *,
    chunk_size: int,
    epochs: int,
    validation_data: tuple[np.ndarray, np.ndarray],
    validation_batch_size: int,
    callbacks: list[keras.callbacks.Callback],
) -> keras.callbacks.History:
    """Train as `model.fit(x, y, batch_size=chunk_size, shuffle=True, verbose=0, ...)` would.

    Two differences, both deliberate:

    - Each epoch draws a new order of the examples, `np.random.permutation(len(x))`, the
      order Keras' `fit` draws on JAX (on PyTorch it draws from torch's generator). On
      TensorFlow, Keras' `fit` after `keras.utils.set_random_seed` shuffles every epoch
      into the same order (its seeded tf.data shuffle restarts with each epoch's iterator;
      tensorflow/tensorflow#29558).
    - No tf.data: the arrays become tensors once, each chunk's minibatches are gathered from
      them inside the step graph, and validation runs the compiled test step on batches cut
      once. For a small network Keras' per-epoch pipelines cost as much as the training
      (BENCHMARKS.md, issue #21).

    Everything else is `fit`'s: the steps and their order within a chunk, the metrics, and
    the callbacks' calls (train and epoch begin and end, each chunk's begin and end) with the
    same logs, so early stopping, the NaN stop and History work unchanged
    (tests/train/test_epoch_loop.py).
    """
    import tensorflow as tf

    x_held, y_held = tf.constant(x), tf.constant(y)
    validation_batches = held_batches(*validation_data, validation_batch_size)
    chunk_starts = range(0, len(x), chunk_size)
    callback_list = keras.callbacks.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=False,
        verbose=0,
        epochs=epochs,
        steps=len(chunk_starts),
        model=model,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    epoch_logs: dict[str, Any] | None = None
    for epoch in range(epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        order = tf.constant(np.random.permutation(len(x)))
        for step, start in enumerate(chunk_starts):
            callback_list.on_train_batch_begin(step)
            logs = model.train_rows(x_held, y_held, order[start : start + chunk_size])
            callback_list.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        epoch_logs = dict(model.get_metrics_result())
        validation_logs, _ = evaluate_batches(model, validation_batches)
        epoch_logs.update({f"val_{name}": value for name, value in validation_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    if epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=epoch_logs)
    history: keras.callbacks.History = model.history
    return history


def held_batches(x: np.ndarray, y: np.ndarray, batch_size: int) -> list[tuple[Any, Any]]:
    """The consecutive batches `evaluate` and `predict` cut from x and y, as tensors."""
    import tensorflow as tf

    return [
        (tf.constant(x[start : start + batch_size]), tf.constant(y[start : start + batch_size]))
        for start in range(0, len(x), batch_size)
    ]


def evaluate_batches(
    model: StepLoop, batches: list[tuple[Any, Any]]
) -> tuple[dict[str, Any], np.ndarray]:
    """What `model.evaluate` returns as its logs and `model.predict` gives, in one pass.

    The same test step runs on the same batches in the same order, so both are bit-identical
    to Keras' own (tests/train/test_epoch_loop.py), without its per-call tf.data pipelines.
    """
    model.reset_metrics()
    predictions = [model.test_batch(x, y)[1] for x, y in batches]
    logs: dict[str, Any] = model.get_metrics_result()
    return logs, np.concatenate([batch.numpy() for batch in predictions])
