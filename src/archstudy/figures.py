"""Study figures with one consistent, colour-blind-safe matplotlib style."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on clusters or CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from archstudy.atomic import atomic_path  # noqa: E402

# Okabe & Ito's palette stays distinguishable under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TRAIN_COLOUR, VALIDATION_COLOUR = PALETTE[0], PALETTE[1]
STYLE: dict[Any, Any] = {  # matplotlib types rc keys as literals; these are all valid
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
FIGURES = ("learning_curves", "comparison", "confusion_best")


def _save(figure: Figure, path: Path) -> None:
    """Save atomically and free the figure's memory."""
    with atomic_path(path, suffix=path.suffix) as temporary:
        figure.savefig(temporary, bbox_inches="tight")
    plt.close(figure)


def learning_curves(epochs: pd.DataFrame, variants: Sequence[str], path: Path) -> None:
    """Small multiples, one column per variant: loss (top) and accuracy (bottom).

    Lines are the mean over seeds; the band spans the lowest to highest seed.
    """
    columns = max(1, min(4, len(variants)))
    groups = math.ceil(len(variants) / columns)
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            2 * groups, columns, figsize=(2.6 * columns, 3.6 * groups), squeeze=False, sharex=False
        )
        for index in range(groups * columns):
            top = axes[2 * (index // columns)][index % columns]
            bottom = axes[2 * (index // columns) + 1][index % columns]
            if index >= len(variants):
                top.set_visible(False)
                bottom.set_visible(False)
                continue
            variant = variants[index]
            mine = epochs[epochs["variant"] == variant]
            for axis, metric in ((top, "loss"), (bottom, "accuracy")):
                for column, colour, label in (
                    (metric, TRAIN_COLOUR, "train"),
                    (f"val_{metric}", VALIDATION_COLOUR, "validation"),
                ):
                    grouped = mine.groupby("epoch")[column]
                    mean, low, high = grouped.mean(), grouped.min(), grouped.max()
                    axis.plot(
                        mean.index,
                        mean.values,
                        color=colour,
                        label=label,
                        lw=1.4,
                        marker="o" if len(mean) < 15 else None,
                        markersize=3,
                    )
                    axis.fill_between(
                        mean.index, low.values, high.values, color=colour, alpha=0.2, lw=0
                    )
                axis.set_ylabel(metric)
            top.set_title(variant)
            bottom.set_xlabel("epoch")
        axes[0][0].legend(loc="upper right")
        figure.tight_layout()
        _save(figure, path)


def comparison(summary: pd.DataFrame, path: Path) -> None:
    """Test accuracy per variant with its 95% interval over seeds, validation accuracy as a dot."""
    table = summary.sort_values("test_accuracy_mean")
    positions = np.arange(len(table))
    mean = table["test_accuracy_mean"].to_numpy(dtype=float)
    error = np.vstack(
        [
            mean - table["test_accuracy_ci_low"].to_numpy(dtype=float),
            table["test_accuracy_ci_high"].to_numpy(dtype=float) - mean,
        ]
    )
    error = np.nan_to_num(error, nan=0.0)
    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(6.4, 0.45 * len(table) + 1.2))
        colours = [PALETTE[3] if best else PALETTE[0] for best in table["best"]]
        axis.barh(
            positions,
            mean,
            xerr=error,
            color=colours,
            alpha=0.85,
            capsize=3,
            label="test accuracy (mean, 95% interval)",
        )
        axis.scatter(
            table["val_accuracy_mean"],
            positions,
            color="black",
            marker="D",
            s=14,
            zorder=3,
            label="validation accuracy (mean)",
        )
        axis.set_yticks(positions, table["variant"])
        finite = mean[np.isfinite(mean)]
        low = float(finite.min()) if finite.size else 0.0
        axis.set_xlim(max(0.0, low - 0.05), 1.0)
        axis.set_xlabel("accuracy")
        axis.legend(loc="lower right", fontsize=7)
        figure.tight_layout()
        _save(figure, path)


def confusion(
    confusion_counts: pd.DataFrame, variant: str, class_names: Sequence[str], path: Path
) -> None:
    """Counts (left) and row-normalised rates (right) of one variant's test predictions."""
    mine = confusion_counts[confusion_counts["variant"] == variant]
    size = len(class_names)
    counts = np.zeros((size, size), dtype=int)
    counts[mine["true_index"].to_numpy(), mine["predicted_index"].to_numpy()] = mine["count"]
    rows = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, rows, out=np.zeros_like(counts, dtype=float), where=rows > 0)
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.8))
        for axis, values, title, fmt in (
            (axes[0], counts, "counts", "d"),
            (axes[1], rates, "row-normalised", ".2f"),
        ):
            image = axis.imshow(values, cmap="cividis")
            axis.set_title(f"{variant}: {title}")
            axis.set_xticks(range(size), class_names, rotation=45, ha="right")
            axis.set_yticks(range(size), class_names)
            axis.set_xlabel("predicted")
            axis.set_ylabel("true")
            threshold = values.max() / 2 if values.size else 0
            for t in range(size):
                for p in range(size):
                    axis.text(
                        p,
                        t,
                        format(values[t, p], fmt),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="black" if values[t, p] > threshold else "white",
                    )
            figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
        figure.tight_layout()
        _save(figure, path)


def plot_study(
    summary: pd.DataFrame,
    epochs: pd.DataFrame,
    confusion_counts: pd.DataFrame,
    class_names: Sequence[str],
    out_dir: Path,
) -> None:
    """Write every figure of one study as `{out_dir}/{figure}.png`."""
    variants = list(summary["variant"])
    learning_curves(epochs, variants, out_dir / "learning_curves.png")
    comparison(summary, out_dir / "comparison.png")
    best = summary.loc[summary["best"], "variant"]
    chosen = str(best.iloc[0]) if len(best) else variants[0]
    confusion(confusion_counts, chosen, class_names, out_dir / "confusion_best.png")
