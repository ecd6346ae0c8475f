"""The learning-rate range test: raise the rate every batch, record the loss, pick a rate."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from archstudy.atomic import atomic_path
from archstudy.config.hyperparameters import Hyperparameters, LRRangeTest
from archstudy.train.learning_rate import Choice, write_choice
from archstudy.train.models import build_model, build_optimizer

Log = Callable[[str], None]


class ExponentialRate(keras.callbacks.Callback):  # type: ignore[misc]
    """Records (rate, loss) after every batch, then multiplies the rate by `factor`."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor
        self.rates: list[float] = []
        self.losses: list[float] = []

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        # Keras reports the epoch's running mean loss here, as the notebooks' callback read it.
        self.rates.append(rate)
        self.losses.append(float((logs or {}).get("loss", math.nan)))
        self.model.optimizer.learning_rate.assign(rate * self.factor)


def run_range_test(
    hyperparameters: Hyperparameters,
    x: np.ndarray,
    y: np.ndarray,
    num_classes: int,
    log: Log = print,
) -> pd.DataFrame:
    """Train a fresh copy of the network while the rate grows; one row per batch."""
    test = hyperparameters.lr_range_test or LRRangeTest()
    keras.utils.set_random_seed(test.seed)
    model = build_model(hyperparameters, input_size=x.shape[1], num_classes=num_classes)
    model.compile(optimizer=build_optimizer(hyperparameters, test.start), loss=hyperparameters.loss)
    recorder = ExponentialRate(test.factor)
    log(
        f"variant {hyperparameters.variant_id}: LR range test from {test.start:g}, "
        f"x{test.factor:g} per batch, {test.epochs} epoch(s)"
    )
    model.fit(
        x,
        y,
        batch_size=hyperparameters.batch_size,
        epochs=test.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[recorder, keras.callbacks.TerminateOnNaN()],
    )
    return pd.DataFrame(
        {
            "batch": np.arange(1, len(recorder.rates) + 1),
            "learning_rate": recorder.rates,
            "loss": recorder.losses,
        }
    )


def choose_rate(curve: pd.DataFrame, pick: str) -> tuple[float, float]:
    """(rate at the lowest finite loss, the rate chosen from it)."""
    finite = curve[np.isfinite(curve["loss"])]
    if finite.empty:
        raise ValueError("the LR range test produced no finite loss")
    at_minimum = float(finite.loc[finite["loss"].idxmin(), "learning_rate"])
    return at_minimum, at_minimum / 2 if pick == "half_minimum" else at_minimum


def lr_range_test(
    hyperparameters: Hyperparameters,
    inputs: Any,
    curve_path: Path,
    choice_path: Path,
    log: Log = print,
) -> float:
    """Run the test on the variant's training split, write its curve and choice; return the
    chosen rate (the rule plot_lr_range draws the curve)."""
    test = hyperparameters.lr_range_test or LRRangeTest()
    y = inputs.y_fit
    if hyperparameters.loss == "categorical_crossentropy":
        y = np.eye(inputs.num_classes, dtype=np.float32)[y]
    curve = run_range_test(hyperparameters, inputs.x_fit, y, inputs.num_classes, log)
    at_minimum, chosen = choose_rate(curve, test.pick)
    with atomic_path(curve_path, suffix=".csv") as temporary:
        curve.to_csv(temporary, index=False)
    choice = Choice(hyperparameters.variant_id, at_minimum, chosen, test.pick, len(curve))
    write_choice(choice, choice_path)
    log(
        f"variant {hyperparameters.variant_id}: lowest loss at rate {at_minimum:.4g}; "
        f"training at {chosen:.4g}"
    )
    return chosen
