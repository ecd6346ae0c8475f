"""Keras callbacks of a training job: progress lines, stopping rules, and why training ended."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from archstudy.config.cost import format_duration
from archstudy.config.hyperparameters import Hyperparameters

Log = Callable[[str], None]


class JobClock:
    """A training job's progress: seed k of n, and the time left from measured epoch times.

    The estimate is the epochs still planned times the job's typical epoch (the median of
    its epochs after the first, which also traces the model's functions). Early stopping can
    only shorten the job, so the estimate is an upper bound on the training left.
    """

    def __init__(self, seeds: int, epochs: int) -> None:
        self.seeds, self.epochs = seeds, epochs
        self.seed_index = 0  # seeds started so far (1-based while one trains)
        self.epochs_done = 0
        self.seconds: list[float] = []

    def start_seed(self) -> str:
        """Count one more seed; the "seed k of n" words for its log lines."""
        self.seed_index += 1
        self.epochs_done = (self.seed_index - 1) * self.epochs
        return f"{self.seed_index} of {self.seeds}"

    def epoch_done(self, seconds: float) -> None:
        self.epochs_done += 1
        self.seconds.append(seconds)

    def seconds_left(self) -> float | None:
        """Seconds of training left in the job, or None before an epoch has been measured."""
        if not self.seconds:
            return None
        typical = float(np.median(self.seconds[1:] or self.seconds))
        return max(0, self.seeds * self.epochs - self.epochs_done) * typical


class EpochLog(keras.callbacks.Callback):  # type: ignore[misc]
    """Times every epoch and writes one readable progress line per epoch to the job log."""

    def __init__(self, label: str, epochs: int, log: Log, clock: JobClock | None = None) -> None:
        super().__init__()
        self.label, self.epochs, self.log, self.clock = label, epochs, log, clock
        self.seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._started)
        logs = logs or {}
        left = ""
        if self.clock is not None:
            self.clock.epoch_done(self.seconds[-1])
            estimate = self.clock.seconds_left()
            if estimate is not None and estimate >= 0.5:
                left = f"; about {format_duration(estimate)} left in this job"
        self.log(
            f"{self.label} epoch {epoch + 1}/{self.epochs}: "
            f"loss {logs.get('loss', float('nan')):.4f} "
            f"accuracy {logs.get('accuracy', float('nan')):.4f} "
            f"val_loss {logs.get('val_loss', float('nan')):.4f} "
            f"val_accuracy {logs.get('val_accuracy', float('nan')):.4f} "
            f"({self.seconds[-1]:.1f} s{left})"
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


def callbacks_for(
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


def stop_reason(callbacks: list[keras.callbacks.Callback], diverged: bool) -> str:
    """Why training ended, in words the report can show."""
    if diverged:
        return "diverged"
    for callback in callbacks:
        if isinstance(callback, StopBelow) and callback.stopped_epoch is not None:
            return f"{callback.monitor} below {callback.threshold:g}"
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.stopped_epoch > 0:
            return f"early stopping on {callback.monitor}"
    return "completed"
