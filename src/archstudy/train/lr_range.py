"""The learning-rate range test: raise the rate every batch, record the loss, pick a rate."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from archstudy.atomic import atomic_path, write_text
from archstudy.config.hyperparameters import Hyperparameters, LRRangeTest
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


def plot_range_test(curve: pd.DataFrame, at_minimum: float, chosen: float, path: Path) -> None:
    """Loss against learning rate (log scale), with the minimum and the chosen rate marked."""
    import matplotlib.pyplot as plt

    from archstudy.plots.style import PALETTE, STYLE, save  # matplotlib only when plotting

    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(6.4, 3.6))
        axis.plot(curve["learning_rate"], curve["loss"], color=PALETTE[0], lw=1.2)
        axis.axvline(
            at_minimum, color=PALETTE[3], ls="--", lw=1, label=f"lowest loss at {at_minimum:.3g}"
        )
        axis.axvline(chosen, color=PALETTE[2], ls="-", lw=1.4, label=f"chosen rate {chosen:.3g}")
        axis.set_xscale("log")
        finite = curve["loss"][np.isfinite(curve["loss"])]
        if len(finite):
            # The loss explodes at the end; keep the informative part of the curve in view.
            axis.set_ylim(
                float(finite.min()) * 0.9, min(float(finite.max()), float(finite.iloc[0]) * 1.5)
            )
        axis.set_xlabel("learning rate")
        axis.set_ylabel("training loss (running mean)")
        axis.legend()
        figure.tight_layout()
        save(figure, path)


def lr_range_test(
    hyperparameters: Hyperparameters,
    inputs: Any,
    curve_path: Path,
    choice_path: Path,
    figure_path: Path,
    log: Log = print,
) -> float:
    """Run the test on the variant's training split, write curve, choice and figure; return it."""
    test = hyperparameters.lr_range_test or LRRangeTest()
    y = inputs.y_fit
    if hyperparameters.loss == "categorical_crossentropy":
        y = np.eye(inputs.num_classes, dtype=np.float32)[y]
    curve = run_range_test(hyperparameters, inputs.x_fit, y, inputs.num_classes, log)
    at_minimum, chosen = choose_rate(curve, test.pick)
    with atomic_path(curve_path, suffix=".csv") as temporary:
        curve.to_csv(temporary, index=False)
    plot_range_test(curve, at_minimum, chosen, figure_path)
    choice = {
        "variant_id": hyperparameters.variant_id,
        "rate_at_minimum_loss": at_minimum,
        "chosen_learning_rate": chosen,
        "pick": test.pick,
        "batches": len(curve),
    }
    write_text(choice_path, json.dumps(choice, indent=2) + "\n")
    log(
        f"variant {hyperparameters.variant_id}: lowest loss at rate {at_minimum:.4g}; "
        f"training at {chosen:.4g}"
    )
    return chosen
