"""Train one variant for each of its seeds; write model, history, metrics and predictions."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from archstudy.atomic import write_text
from archstudy.config.hyperparameters import Hyperparameters
from archstudy.data.prepared import load_prepared, split_validation
from archstudy.train.models import build_model, build_optimizer, flops_per_example
from archstudy.train.run_files import (
    HISTORY_COLUMNS,
    HISTORY_FILE,
    HYPERPARAMETERS_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PROBABILITIES_FILE,
    VALIDATION_ANSWERS_FILE,
    is_complete,
    partial_seed_dir,
    seed_dir,
)

Log = Callable[[str], None]

# Evaluation has no weight updates, so a large batch only trades memory for speed.
EVALUATION_BATCH_SIZE = 1024
# Training steps per call into the compiled graph: at small batches the per-call overhead, not
# the arithmetic, sets the speed (BENCHMARKS.md). Results are identical; per-batch callback
# hooks (TerminateOnNaN) run once per call instead of after every step.
STEPS_PER_CALL = 64
# A call gathers its examples into one array first: a cap keeps large batches' chunks small.
MAX_EXAMPLES_PER_CALL = 8192


class EpochLog(keras.callbacks.Callback):  # type: ignore[misc]
    """Times every epoch and writes one readable progress line per epoch to the job log."""

    def __init__(self, label: str, epochs: int, log: Log) -> None:
        super().__init__()
        self.label, self.epochs, self.log = label, epochs, log
        self.seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._started)
        logs = logs or {}
        self.log(
            f"{self.label} epoch {epoch + 1}/{self.epochs}: "
            f"loss {logs.get('loss', float('nan')):.4f} "
            f"accuracy {logs.get('accuracy', float('nan')):.4f} "
            f"val_loss {logs.get('val_loss', float('nan')):.4f} "
            f"val_accuracy {logs.get('val_accuracy', float('nan')):.4f} "
            f"({self.seconds[-1]:.1f} s)"
        )


class StopBelow(keras.callbacks.Callback):  # type: ignore[misc]
    """Stops training after the first epoch whose `monitor` value is below `threshold`."""

    def __init__(self, monitor: str, threshold: float) -> None:
        super().__init__()
        self.monitor, self.threshold = monitor, threshold
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.threshold:
            self.stopped_epoch = epoch + 1
            self.model.stop_training = True


def _callbacks(
    hyperparameters: Hyperparameters, epoch_log: EpochLog
) -> list[keras.callbacks.Callback]:
    """Progress, divergence guard, and the stopping rules the variant asks for."""
    callbacks: list[keras.callbacks.Callback] = [epoch_log, keras.callbacks.TerminateOnNaN()]
    if hyperparameters.early_stopping is not None:
        rule = hyperparameters.early_stopping
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=rule.monitor,
                patience=rule.patience,
                min_delta=rule.min_delta,
                restore_best_weights=rule.restore_best_weights,
                mode="auto",
            )
        )
    if hyperparameters.stop_below is not None:
        callbacks.append(
            StopBelow(hyperparameters.stop_below.monitor, hyperparameters.stop_below.threshold)
        )
    return callbacks


def _stop_reason(callbacks: list[keras.callbacks.Callback], diverged: bool) -> str:
    """Why training ended, in words the report can show."""
    if diverged:
        return "diverged"
    for callback in callbacks:
        if isinstance(callback, StopBelow) and callback.stopped_epoch is not None:
            return f"{callback.monitor} below {callback.threshold:g}"
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.stopped_epoch > 0:
            return f"early stopping on {callback.monitor}"
    return "completed"


def _labels(y: np.ndarray, hyperparameters: Hyperparameters, num_classes: int) -> np.ndarray:
    """Integer labels, or one-hot rows for the categorical cross-entropy loss."""
    if hyperparameters.loss == "categorical_crossentropy":
        return np.asarray(np.eye(num_classes, dtype=np.float32)[y])
    return y


def _features(images: np.ndarray, scale: bool) -> np.ndarray:
    """Flatten to 784 float32 features, scaled to [0, 1] unless asked not to; once per job."""
    features = images.reshape(len(images), -1).astype(np.float32)
    return features / 255.0 if scale else features


@dataclass(frozen=True)
class Inputs:
    """The arrays one variant trains, validates and tests on, prepared once per job."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int


def load_inputs(hyperparameters: Hyperparameters, data_path: Path) -> Inputs:
    """Scale the prepared dataset and hold out validation data from the training split."""
    data = load_prepared(data_path)
    x_train, y_train = data.x_train, data.y_train
    if hyperparameters.train_subset is not None and hyperparameters.train_subset < len(y_train):
        # A class-balanced sample with a fixed seed: the same images for every seed and job.
        from sklearn.model_selection import train_test_split

        x_train, _, y_train, _ = train_test_split(
            x_train,
            y_train,
            train_size=hyperparameters.train_subset,
            stratify=y_train,
            random_state=0,
        )
    x_fit, y_fit, x_val, y_val = split_validation(
        _features(x_train, hyperparameters.scale_inputs),
        y_train,
        hyperparameters.validation_split,
        hyperparameters.validation_method,
        hyperparameters.validation_seed,
    )
    return Inputs(
        x_fit,
        y_fit,
        x_val,
        y_val,
        _features(data.x_test, hyperparameters.scale_inputs),
        data.y_test,
        len(data.class_names),
    )


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

    On TensorFlow the network trains inside a `StepLoop` (`fit` with `fit_batch_size`, several
    minibatches per call); other backends use Keras' `steps_per_execution` for the same end.
    """

    def __init__(
        self, hyperparameters: Hyperparameters, input_size: int, num_classes: int, rate: float
    ) -> None:
        self.hyperparameters, self.rate = hyperparameters, rate
        self.input_size, self.num_classes = input_size, num_classes
        self.steps_per_call = steps_per_call(hyperparameters.batch_size)
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
        """The model to `fit` (with `fit_batch_size`), in the state of a fresh one for `seed`."""
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
            variable.assign(keras.ops.zeros_like(variable))
        self._model.optimizer.learning_rate = self.rate
        return self._model

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


def train_seed(
    hyperparameters: Hyperparameters,
    inputs: Inputs,
    seed: int,
    run_dir: Path,
    runtime: dict[str, Any],
    log: Log = print,
    *,
    learning_rate: float,
    models: SeededModel | None = None,
) -> dict[str, Any]:
    """Train and evaluate one seed; write its files into `run_dir` and return its metrics.

    `learning_rate` is the rate to train at (decided by archstudy.train.learning_rate).
    `models` reuses one compiled model across a job's seeds (a new one is built when not given).
    """
    num_classes = inputs.num_classes
    x_fit, x_val, x_test = inputs.x_fit, inputs.x_val, inputs.x_test
    y_fit, y_val, y_test = (
        _labels(y, hyperparameters, num_classes)
        for y in (inputs.y_fit, inputs.y_val, inputs.y_test)
    )
    rate = learning_rate
    models = models or SeededModel(hyperparameters, x_fit.shape[1], num_classes, rate)
    model = models.for_seed(seed)
    label = f"variant {hyperparameters.variant_id} seed {seed}"
    epoch_log = EpochLog(label, hyperparameters.epochs, log)
    log(
        f"{label}: training {'-'.join(map(str, hyperparameters.hidden)) or 'no hidden layer'} "
        f"on {len(x_fit)} examples, validating on {len(x_val)}"
    )
    callbacks = _callbacks(hyperparameters, epoch_log)
    started = time.perf_counter()
    history = model.fit(
        x_fit,
        y_fit,
        batch_size=models.fit_batch_size,
        epochs=hyperparameters.epochs,
        validation_data=(x_val, y_val),
        validation_batch_size=EVALUATION_BATCH_SIZE,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    train_seconds = time.perf_counter() - started

    evaluate = dict(batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    train_loss, train_accuracy = model.evaluate(x_fit, y_fit, **evaluate)
    val_loss, val_accuracy = model.evaluate(x_val, y_val, **evaluate)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, **evaluate)
    probabilities = model.predict(x_test, **evaluate).astype(np.float32)
    # Which validation images it got right: the report tests whether the pick is within noise.
    validation_correct = model.predict(x_val, **evaluate).argmax(axis=1) == inputs.y_val

    epochs_run = len(history.history.get("loss", []))
    losses = np.asarray(history.history.get("loss", []), dtype=float)
    # TerminateOnNaN stops at the first non-finite batch loss; that epoch's loss is non-finite.
    non_finite = np.flatnonzero(~np.isfinite(losses))
    diverged_epoch = int(non_finite[0]) + 1 if non_finite.size else None
    diverged = diverged_epoch is not None
    metrics: dict[str, Any] = {
        "variant_id": hyperparameters.variant_id,
        "seed": seed,
        "hyperparameters": hyperparameters.to_json(),
        # Includes batch normalisation's statistics.
        "parameters": int(models.network.count_params()),
        "flops_per_example": flops_per_example(hyperparameters.hidden, x_fit.shape[1], num_classes),
        "train_loss": float(train_loss),
        "train_accuracy": float(train_accuracy),
        "val_loss": float(val_loss),
        "val_accuracy": float(val_accuracy),
        "test_loss": float(test_loss),
        "test_accuracy": float(test_accuracy),
        "train_seconds": train_seconds,
        "epochs_run": epochs_run,
        "epochs_planned": hyperparameters.epochs,
        "stopped": _stop_reason(callbacks, diverged),
        "learning_rate": rate,
        "diverged_epoch": diverged_epoch,
        "examples": {"fit": len(x_fit), "validation": len(x_val), "test": len(x_test)},
        "runtime": runtime,
    }

    run_dir.mkdir(parents=True, exist_ok=True)
    models.network.save(run_dir / MODEL_FILE)
    columns = {
        key: history.history[key]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        if key in history.history
    }
    rows = [",".join(HISTORY_COLUMNS)]
    for epoch in range(epochs_run):
        values = [
            repr(float(columns[key][epoch])) if epoch < len(columns.get(key, [])) else "nan"
            for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        ]
        rows.append(",".join([str(epoch + 1), *values, f"{epoch_log.seconds[epoch]:.4f}"]))
    (run_dir / HISTORY_FILE).write_text("\n".join(rows) + "\n")
    np.save(run_dir / PROBABILITIES_FILE, probabilities)
    np.save(run_dir / VALIDATION_ANSWERS_FILE, validation_correct)
    (run_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    if diverged:
        log(
            f"{label}: diverged in epoch {diverged_epoch} (non-finite loss); recorded as "
            "diverged, left out of the statistics, and the study carries on"
        )
    log(f"{label}: test accuracy {test_accuracy:.4f}, {train_seconds:.1f} s")
    return metrics


def train_variant(
    hyperparameters: Hyperparameters,
    seeds: Sequence[int],
    data_path: Path,
    runs_file: Path,
    runtime: dict[str, Any],
    log: Log = print,
    *,
    learning_rate: float,
) -> None:
    """Train every seed not already done, then write `runs_file` listing them all.

    `learning_rate` is the rate to train at (decided by archstudy.train.learning_rate).

    Each seed is written into a temporary directory renamed into place when complete, so a
    crash leaves either a whole seed or none, and a rerun trains only what is missing.
    """
    variant_dir = runs_file.parent
    variant_dir.mkdir(parents=True, exist_ok=True)
    write_text(
        variant_dir / HYPERPARAMETERS_FILE, json.dumps(hyperparameters.to_json(), indent=2) + "\n"
    )
    inputs: Inputs | None = None
    models: SeededModel | None = None
    for seed in seeds:
        final = seed_dir(variant_dir, seed)
        if is_complete(final):
            log(f"variant {hyperparameters.variant_id} seed {seed}: already trained, kept")
            continue
        partial = partial_seed_dir(variant_dir, seed)
        shutil.rmtree(partial, ignore_errors=True)
        inputs = inputs or load_inputs(hyperparameters, data_path)
        models = models or SeededModel(
            hyperparameters,
            inputs.x_fit.shape[1],
            inputs.num_classes,
            learning_rate,
        )
        train_seed(
            hyperparameters,
            inputs,
            seed,
            partial,
            runtime,
            log,
            learning_rate=learning_rate,
            models=models,
        )
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    summary = {
        "variant_id": hyperparameters.variant_id,
        "hyperparameters": hyperparameters.to_json(),
        "seeds": list(seeds),
        "learning_rate": learning_rate,
    }
    write_text(runs_file, json.dumps(summary, indent=2) + "\n")
