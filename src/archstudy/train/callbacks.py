"""Keras callbacks of a training job: progress lines, stopping rules, and why training ended."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras

from archstudy.config.hyperparameters import Hyperparameters

Log = Callable[[str], None]


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
