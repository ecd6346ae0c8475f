"""Many of Keras' own training steps per call into TensorFlow's compiled graph (StepLoop)."""

from __future__ import annotations

from collections.abc import Callable
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

    `train_rows` and `test_batch` run the same steps on tensors directly, for
    archstudy.train.epoch_loop, which drives the epochs without Keras' `fit`.
    TensorFlow backend only; the network itself is what gets saved and reloaded.
    """

    def __init__(self, network: keras.Model, minibatch_size: int, **kwargs: Any) -> None:
        super().__init__(name=f"{network.name}_step_loop", **kwargs)
        self.network = network
        self.minibatch_size = minibatch_size
        # Set while one minibatch's step is traced: collects its predictions for the metrics.
        self._deferred: list[Any] | None = None
        # Set while test_batch's step is traced: collects its predictions to return them.
        self._captured: list[Any] | None = None
        # The graphs of train_rows and test_batch, traced on first use.
        self._train_rows: Any = None
        self._test_batch: Any = None

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.network(inputs, training=training)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        if self._deferred is not None:
            self._deferred.append(y_pred)
            return {}
        if self._captured is not None:
            self._captured.append(y_pred)
        logs: dict[str, Any] = super().compute_metrics(x, y, y_pred, sample_weight)
        return logs

    def train_step(self, data: Any) -> dict[str, Any]:
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            raise ValueError("StepLoop trains without sample weights")
        return self._train_minibatches(lambda start, stop: (x[start:stop], y[start:stop]), y)

    def train_rows(self, x: Any, y: Any, rows: Any) -> dict[str, Any]:
        """Train on the minibatches of examples `rows` of the tensors x and y, in that order.

        Each minibatch is gathered inside the graph from x and y, which stay where they are
        (archstudy.train.epoch_loop holds a job's arrays once); one graph serves chunks of
        any length, the last, shorter one of an epoch included.
        """
        import tensorflow as tf

        if self._train_rows is None:
            self._train_rows = tf.function(
                lambda x, y, rows: self._train_minibatches(
                    lambda start, stop: (
                        tf.gather(x, rows[start:stop]),
                        tf.gather(y, rows[start:stop]),
                    ),
                    tf.gather(y, rows),
                ),
                input_signature=[_any_length(x), _any_length(y), _any_length(rows)],
            )
        logs: dict[str, Any] = self._train_rows(x, y, rows)
        return logs

    def test_batch(self, x: Any, y: Any) -> tuple[dict[str, Any], Any]:
        """One `test_step` on a batch of tensors, what `evaluate` runs on each batch, and the
        predictions it made, what `predict` gives for the batch: both from one forward pass."""
        import tensorflow as tf

        if self._test_batch is None:
            self._test_batch = tf.function(
                self._test_step_and_predictions,
                input_signature=[_any_length(x), _any_length(y)],
            )
        logs_and_predictions: tuple[dict[str, Any], Any] = self._test_batch(x, y)
        return logs_and_predictions

    def _test_step_and_predictions(self, x: Any, y: Any) -> tuple[dict[str, Any], Any]:
        self._captured = []
        try:
            logs = self.test_step((x, y))
            (predictions,) = self._captured
        finally:
            self._captured = None
        return logs, predictions

    def _train_minibatches(self, minibatch: Callable[[Any, Any], Any], y: Any) -> dict[str, Any]:
        """Keras' `train_step` on each `minibatch(start, stop)` of the chunk whose labels are y."""
        import tensorflow as tf

        size = self.minibatch_size
        steps = (tf.shape(y)[0] + size - 1) // size
        output = self.network.outputs[0]

        def one_step(step: Any, predictions: Any) -> tuple[Any, Any]:
            start = step * size
            self._deferred = []
            super(StepLoop, self).train_step(minibatch(start, start + size))
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
        logs: dict[str, Any] = super().compute_metrics(None, y, predictions.concat(), None)
        return logs


def _any_length(tensor: Any) -> Any:
    """The signature of tensors like this one, of any length: one trace serves them all."""
    import tensorflow as tf

    return tf.TensorSpec([None, *tensor.shape[1:]], tensor.dtype)
