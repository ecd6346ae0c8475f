"""Many of Keras' own training steps per call into TensorFlow's compiled graph (StepLoop)."""

from __future__ import annotations

from typing import Any

import keras


class StepLoop(keras.Model):  # type: ignore[misc]
    """Wraps a network so that one `train_step` call trains on a chunk of consecutive minibatches.

    `fit` runs with `batch_size = minibatch_size * steps`: Keras shuffles the indices of the
    whole epoch before it cuts batches, so each chunk holds exactly the minibatches a plain
    `fit` at `minibatch_size` makes, in the same order. Each minibatch is one call of Keras'
    own `train_step` (forward pass, loss with regularisation, gradients, optimizer update,
    loss tracker), inside a graph loop. Only the compiled metrics (accuracy) wait for the end
    of the chunk and update once on all its predictions: for the accuracy that adds the same
    counts of correct answers, exact in float32, so results are bit-identical to a plain `fit`
    (tests/train/test_step_loop.py) while the many small TensorFlow ops of a per-step metric
    update, and one tf.data hand-over per minibatch, are saved (BENCHMARKS.md).

    TensorFlow backend only; the network itself is what gets saved and reloaded.
    """

    def __init__(self, network: keras.Model, minibatch_size: int, **kwargs: Any) -> None:
        super().__init__(name=f"{network.name}_step_loop", **kwargs)
        self.network = network
        self.minibatch_size = minibatch_size
        # Set while one minibatch's step is traced: collects its predictions for the metrics.
        self._deferred: list[Any] | None = None

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.network(inputs, training=training)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        if self._deferred is not None:
            self._deferred.append(y_pred)
            return {}
        logs: dict[str, Any] = super().compute_metrics(x, y, y_pred, sample_weight)
        return logs

    def train_step(self, data: Any) -> dict[str, Any]:
        import tensorflow as tf

        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            raise ValueError("StepLoop trains without sample weights")
        size = self.minibatch_size
        steps = (tf.shape(x)[0] + size - 1) // size
        output = self.network.outputs[0]

        def one_step(step: Any, predictions: Any) -> tuple[Any, Any]:
            start = step * size
            self._deferred = []
            super(StepLoop, self).train_step((x[start : start + size], y[start : start + size]))
            (prediction,) = self._deferred
            self._deferred = None
            return step + 1, predictions.write(step, prediction)

        predictions = tf.TensorArray(
            output.dtype,
            size=steps,
            infer_shape=False,
            element_shape=tf.TensorShape([None, *output.shape[1:]]),
        )
        # One step after the other: each reads the weights the previous one wrote.
        _, predictions = tf.while_loop(
            lambda step, _: step < steps,
            one_step,
            (tf.constant(0), predictions),
            parallel_iterations=1,
        )
        logs: dict[str, Any] = super().compute_metrics(x, y, predictions.concat(), None)
        return logs
