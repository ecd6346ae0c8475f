"""One variant's network, compiled once per job and reset to a fresh model's state per seed."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.errors import ArchstudyError
from archstudy.train.models import build_model, build_optimizer

# Training steps per call into the compiled graph: at small batches the per-call overhead, not
# the arithmetic, sets the speed (BENCHMARKS.md). Results are identical; per-batch callback
# hooks (TerminateOnNaN) run once per call instead of after every step.
STEPS_PER_CALL = 64
# A call gathers its examples into one array first: a cap keeps large batches' chunks small.
MAX_EXAMPLES_PER_CALL = 8192


def steps_per_call(batch_size: int) -> int:
    """How many minibatches one call into the compiled graph trains on."""
    return max(1, min(STEPS_PER_CALL, MAX_EXAMPLES_PER_CALL // batch_size))


class SeededModel:
    """One variant's network, compiled once and reused for each seed a job trains.

    Keras traces a model's training, evaluation and prediction functions on their first call,
    once per model object; on small data that costs more than the training (BENCHMARKS.md).
    `for_seed` gives the one compiled model exactly the state of a model built afresh after
    `keras.utils.set_random_seed(seed)`: its weights, batch-normalisation statistics and
    dropout seed states, and an optimizer with no steps taken. A seed's results therefore do
    not depend on the seeds trained before it in the same process (a test checks).

    On TensorFlow the network trains inside a `StepLoop` (several minibatches per call into the
    graph), driven by archstudy.train.epoch_loop; JAX uses Keras' `steps_per_execution` for
    the same end, PyTorch one step per call, both through Keras' own `fit`.
    """

    def __init__(
        self, hyperparameters: Hyperparameters, input_size: int, num_classes: int, rate: float
    ) -> None:
        if keras.backend.backend() != hyperparameters.backend:
            # The backend is part of the run's identity: a run must train on its own.
            raise ArchstudyError(
                f"variant {hyperparameters.variant_id} is planned on backend "
                f"{hyperparameters.backend!r} but Keras runs on {keras.backend.backend()!r} "
                f"(set KERAS_BACKEND={hyperparameters.backend} before Keras is imported)"
            )
        self.hyperparameters, self.rate = hyperparameters, rate
        self.input_size, self.num_classes = input_size, num_classes
        # PyTorch runs Keras' steps eagerly, one per call (it accepts no steps_per_execution).
        torch = keras.backend.backend() == "torch"
        self.steps_per_call = 1 if torch else steps_per_call(hyperparameters.batch_size)
        self.step_loop = keras.backend.backend() == "tensorflow"
        self.fit_batch_size = hyperparameters.batch_size * (
            self.steps_per_call if self.step_loop else 1
        )
        self._network: keras.Model | None = None
        self._model: keras.Model | None = None

    @property
    def network(self) -> keras.Model:
        """The network that `for_seed` trains: what is saved and reloaded."""
        if self._network is None:
            raise RuntimeError("call for_seed first")
        return self._network

    def for_seed(self, seed: int) -> keras.Model:
        """The model for `fit`, in the state of a fresh one for `seed`."""
        # One call seeds Python, NumPy and the backend: initial weights and shuffling follow it.
        keras.utils.set_random_seed(seed)
        fresh = build_model(self.hyperparameters, self.input_size, self.num_classes)
        if self._model is None:
            self._network, self._model = fresh, self._compile(fresh)
            return self._model
        for variable, initial in zip(self.network.variables, fresh.variables, strict=True):
            variable.assign(initial)
        # A new optimizer's step count and moment estimates are zero; its rate is the variant's.
        for variable in self._model.optimizer.variables:
            variable.assign(keras.ops.zeros(variable.shape, variable.dtype))
        self._model.optimizer.learning_rate = self.rate
        return self._model

    def fit(
        self,
        model: keras.Model,
        x: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray],
        validation_batch_size: int,
        callbacks: list[keras.callbacks.Callback],
    ) -> keras.callbacks.History:
        """Train `model` (from `for_seed`) for the variant's epochs, in a new order each epoch.

        The order comes from NumPy's global generator, which `for_seed` seeds: on TensorFlow
        and JAX the same seed gives the same minibatches (PyTorch draws from its own).
        """
        options: dict[str, Any] = dict(
            epochs=self.hyperparameters.epochs,
            validation_data=validation_data,
            validation_batch_size=validation_batch_size,
            callbacks=callbacks,
        )
        if self.step_loop:
            from archstudy.train.epoch_loop import train_epochs

            return train_epochs(model, x, y, chunk_size=self.fit_batch_size, **options)
        history: keras.callbacks.History = model.fit(
            x, y, batch_size=self.fit_batch_size, shuffle=True, verbose=0, **options
        )
        return history

    def evaluate(
        self, model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int
    ) -> tuple[float, float, np.ndarray]:
        """The loss and accuracy of `model` on x and y, and its predicted probabilities.

        On TensorFlow one pass gives all three, equal to Keras' `evaluate` and `predict`.
        """
        if self.step_loop:
            from archstudy.train.epoch_loop import evaluate_batches, held_batches

            logs, probabilities = evaluate_batches(model, held_batches(x, y, batch_size))
            loss, accuracy = logs["loss"], logs["accuracy"]
        else:
            loss, accuracy = model.evaluate(x, y, batch_size=batch_size, verbose=0)
            probabilities = model.predict(x, batch_size=batch_size, verbose=0)
        return float(loss), float(accuracy), np.asarray(probabilities, dtype=np.float32)

    def _compile(self, network: keras.Model) -> keras.Model:
        optimizer = build_optimizer(self.hyperparameters, self.rate)
        compiled = {"loss": self.hyperparameters.loss, "metrics": ["accuracy"]}
        if not self.step_loop:
            network.compile(
                optimizer=optimizer, steps_per_execution=self.steps_per_call, **compiled
            )
            return network
        from archstudy.train.step_loop import StepLoop

        model = StepLoop(network, self.hyperparameters.batch_size)
        model.compile(optimizer=optimizer, **compiled)
        # The saved network carries the same loss, metric and (trained) optimizer.
        network.compile(optimizer=optimizer, **compiled)
        return model
