"""Many training steps per call into TensorFlow's graph, on examples held once (StepLoop)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


class StepLoop(keras.Model):  # type: ignore[misc]
    """Wraps a network so that one `train_step` call trains on a chunk of consecutive minibatches.

    `fit(x, y, batch_size=minibatch_size * steps)` takes the same arguments as a plain `fit`,
    but the training arrays are held once, as tensors, and Keras' own `fit` is given the
    examples' indices instead: Keras shuffles the indices of the whole epoch exactly as it
    would shuffle the arrays, then cuts chunks of `minibatch_size * steps` indices, so each
    chunk names exactly the minibatches a plain `fit` at `minibatch_size` makes, in the same
    order. Inside one call a graph loop gathers each minibatch from the held arrays and runs
    the training step on it. Results are bit-identical to a plain `fit`: every epoch's loss
    and accuracy and every weight (tests/train/test_step_loop.py), while the copy of every
    chunk through Keras' input pipeline, one pipeline hand-over per minibatch and the
    bookkeeping below are saved (BENCHMARKS.md).

    The step is Keras' `train_step` less its per-step bookkeeping, the same operations on the
    same numbers in the same order:
    - forward pass and loss (with regularisation) are Keras' own (`_compute_loss`);
    - the loss tracker's sum (loss times minibatch size, added in turn) is carried in the
      loop and written to the tracker once per call;
    - the accuracy is updated once per call on all the chunk's predictions: the same counts
      of correct answers, exact in float32;
    - the optimizer's own `update_step` runs on each weight, then its step count goes up,
      which is what `optimizer.apply` does when nothing else is asked of it. With clipping,
      weight decay, a moving average, gradient accumulation, loss scaling, constraints or a
      distribution strategy, `apply` itself runs instead (`plain_update`).

    TensorFlow backend only; the network itself is what gets saved and reloaded.
    """

    def __init__(self, network: keras.Model, minibatch_size: int, **kwargs: Any) -> None:
        super().__init__(name=f"{network.name}_step_loop", **kwargs)
        self.network = network
        self.minibatch_size = minibatch_size
        # The arrays last given to fit, and the tensors the traced step gathers from.
        self._sources: tuple[Any, Any] | None = None
        self._examples: tuple[Any, Any] | None = None

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.network(inputs, training=training)

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Keras' `fit` on the examples' indices; `x` and `y` are held for the step to gather."""
        if kwargs.get("sample_weight") is not None:
            raise ValueError("StepLoop trains without sample weights")
        return super().fit(self._hold(x, y), None, **kwargs)

    def _hold(self, x: Any, y: Any) -> np.ndarray:
        import tensorflow as tf

        if self._sources is None or self._sources[0] is not x or self._sources[1] is not y:
            self._sources = (x, y)
            self._examples = (tf.convert_to_tensor(x), tf.convert_to_tensor(y))
            # A traced step gathers from the tensors it captured: new arrays, new trace.
            self.train_function = None
        return np.arange(len(x), dtype=np.int64)

    def train_step(self, data: Any) -> dict[str, Any]:
        import tensorflow as tf

        indices, _, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None or self._examples is None:
            raise ValueError("StepLoop trains through its own fit, without sample weights")
        x_all, y_all = self._examples
        size = self.minibatch_size
        steps = (tf.shape(indices)[0] + size - 1) // size
        output = self.network.outputs[0]
        variables = self.trainable_weights
        if not self.optimizer.built:
            self.optimizer.build(variables)
        tracker = self._loss_tracker

        def one_step(step: Any, predictions: Any, total: Any, count: Any) -> tuple[Any, ...]:
            rows = indices[step * size : (step + 1) * size]
            x, y = tf.gather(x_all, rows), tf.gather(y_all, rows)
            with tf.GradientTape() as tape:
                y_pred = self.network(x, training=True)
                loss = self._compute_loss(
                    x=x, y=y, y_pred=y_pred, sample_weight=None, training=True
                )
                scaled = self.optimizer.scale_loss(loss)
            self._update(tape.gradient(scaled, variables), variables)
            # Mean.update_state's arithmetic with the minibatch size as weight, in the loop.
            examples = tf.cast(tf.shape(rows)[0], loss.dtype)
            return (
                step + 1,
                predictions.write(step, y_pred),
                total + loss * examples,
                count + examples,
            )

        predictions = tf.TensorArray(
            output.dtype,
            size=steps,
            infer_shape=False,
            element_shape=tf.TensorShape([None, *output.shape[1:]]),
        )
        # One step after the other: each reads the weights the previous one wrote.
        _, predictions, total, count = tf.while_loop(
            lambda step, *_: step < steps,
            one_step,
            (tf.constant(0), predictions, tracker.total.value, tracker.count.value),
            parallel_iterations=1,
        )
        tracker.total.assign(total)
        tracker.count.assign(count)
        logs: dict[str, Any] = self.compute_metrics(
            indices, tf.gather(y_all, indices), predictions.concat(), None
        )
        return logs

    def _update(self, gradients: list[Any], variables: list[Any]) -> None:
        optimizer = self.optimizer
        if not plain_update(optimizer, variables) or any(g is None for g in gradients):
            optimizer.apply(gradients, variables)
            return
        learning_rate = optimizer.learning_rate
        for gradient, variable in zip(gradients, variables, strict=True):
            optimizer.update_step(gradient, variable.value, learning_rate)
        optimizer.iterations.assign_add(1)


def plain_update(optimizer: keras.optimizers.Optimizer, variables: list[Any]) -> bool:
    """Whether `optimizer.apply` would do nothing but `update_step` on each weight and count.

    Anything else `apply` can be asked to do keeps it: gradient clipping, weight decay, a
    moving average of the weights, gradient accumulation, loss scaling, weight constraints,
    weights set from their gradients, or a distribution strategy (which sums gradients
    across replicas).
    """
    import tensorflow as tf

    return (
        not tf.distribute.has_strategy()
        and optimizer.clipnorm is None
        and optimizer.clipvalue is None
        and optimizer.global_clipnorm is None
        and optimizer.weight_decay is None
        and not optimizer.use_ema
        and not optimizer.gradient_accumulation_steps
        and optimizer.loss_scale_factor is None
        and all(
            variable.constraint is None and not variable.overwrite_with_gradient
            for variable in variables
        )
    )
