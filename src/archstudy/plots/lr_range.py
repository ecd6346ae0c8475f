"""The LR range test's figure: loss against learning rate, lowest loss and chosen rate marked."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from archstudy.plots.style import PALETTE, STYLE, save
from archstudy.train.learning_rate import read_choice


def plot_lr_range(curve_file: Path, choice_file: Path, path: Path) -> None:
    """Draw the figure of one LR range test from the curve and choice it wrote."""
    choice = read_choice(choice_file)
    curve = pd.read_csv(curve_file)
    plot_range_test(curve, choice.rate_at_minimum_loss, choice.chosen_learning_rate, path)


def plot_range_test(curve: pd.DataFrame, at_minimum: float, chosen: float, path: Path) -> None:
    """Loss against learning rate (log scale), with the minimum and the chosen rate marked."""
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
