"""Figures made of grids: confusion matrices, the best variant's most confident mistakes and
sample images of every class."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from archstudy.data.prepared import PreparedDataset, load_prepared
from archstudy.plots.style import (
    MATRIX_COLOURMAP,
    STYLE,
    Marks,
    hide_unused,
    message,
    plain,
    save,
    variant_label,
)

MATRIX_COLUMNS = 3  # confusion matrices per row in the appendix figure: 7 pt numbers fit
GALLERY_COLUMNS = 8
SAMPLES_PER_CLASS = 10
IMAGE_COLOURMAP = "gray_r"  # dark strokes on white paper, as the digits are drawn


def counts_matrix(confusion_counts: pd.DataFrame, variant: str, size: int) -> np.ndarray:
    """The (true, predicted) count matrix of one variant from the long confusion table."""
    mine = confusion_counts[confusion_counts["variant"] == variant]
    counts = np.zeros((size, size), dtype=int)
    counts[mine["true_index"].to_numpy(int), mine["predicted_index"].to_numpy(int)] = mine["count"]
    return counts


DIAGONAL_COLOUR = "#E3E3E3"  # correct predictions: neutral, so the colour scale is the errors'


def _count(value: int) -> str:
    """A cell's count, short enough for its cell: 1.2k from a thousand on (hover has it exact)."""
    return str(value) if value < 1000 else f"{value / 1000:.1f}k"


def _matrix(
    axis: Axes,
    counts: np.ndarray,
    class_names: Sequence[str],
    title: str,
    marks: Marks,
    *,
    diagonal_numbers: bool,
) -> None:
    """One confusion matrix whose colours show the errors only: off-diagonal cells shaded by
    count on their own scale, the diagonal (correct predictions) grey."""
    size = len(class_names)
    names = [plain(name) for name in class_names]
    errors = counts.astype(float)
    np.fill_diagonal(errors, np.nan)
    most = np.nanmax(errors) if size > 1 and np.isfinite(errors).any() else 0.0
    colourmap = matplotlib.colormaps[MATRIX_COLOURMAP].with_extremes(bad=DIAGONAL_COLOUR)
    image = axis.imshow(
        np.ma.masked_invalid(errors),
        cmap=colourmap,
        vmin=0,
        vmax=max(most, 1),
        interpolation="none",
    )
    axis.set_title(title)
    # Names wider than a cell (Fashion-MNIST's) are tilted so they do not run together.
    if max((len(name) for name in names), default=0) > 2:
        axis.set_xticks(range(size), names, rotation=40, ha="right", rotation_mode="anchor")
    else:
        axis.set_xticks(range(size), names)
    axis.set_yticks(range(size), names)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    totals = counts.sum(axis=1)
    for t in range(size):
        for p in range(size):
            value = int(counts[t, p])
            share = value / totals[t] if totals[t] else 0.0
            hover = (
                f"true {class_names[t]} → predicted {class_names[p]}: {value:,} images "
                f"({share:.1%} of true {class_names[t]})"
            )
            if (t == p and not diagonal_numbers) or (t != p and value == 0):
                continue
            text = axis.text(
                p,
                t,
                _count(value),
                ha="center",
                va="center",
                fontsize=7,
                fontweight="bold" if t == p else "normal",
                color="white" if t != p and value > most * 0.6 else "black",
            )
            marks.hover(text, hover)
    bar = axis.figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    bar.set_label("misclassified images", fontsize=7)
    bar.ax.tick_params(labelsize=7)


def confusion(
    confusion_counts: pd.DataFrame, variant: str | None, class_names: Sequence[str]
) -> tuple[Figure, Marks]:
    """One variant's test predictions, summed over its completed seeds: the errors shaded, the
    correct predictions (the diagonal) grey with their count in bold."""
    size, marks = len(class_names), Marks()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axis = plt.subplots(figsize=(5.2, 4.6))
        if variant is None or not (confusion_counts["variant"] == variant).any():
            message(axis, "no completed run to show")
        else:
            counts = counts_matrix(confusion_counts, variant, size)
            title = f"{plain(variant)}: test images, summed over seeds"
            _matrix(axis, counts, class_names, title, marks, diagonal_numbers=True)
        figure.tight_layout()
    return figure, marks


def confusion_variants(
    confusion_counts: pd.DataFrame, summary: pd.DataFrame, class_names: Sequence[str]
) -> tuple[Figure, Marks]:
    """Every variant's matrix, errors shaded on each matrix's own scale and counted."""
    size, marks = len(class_names), Marks()
    rows = [row for _, row in summary.iterrows()]
    columns = max(1, min(MATRIX_COLUMNS, len(rows)))
    lines = math.ceil(len(rows) / columns)
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(
            lines, columns, figsize=(2.2 * columns, 2.15 * lines), squeeze=False
        )
        flat = [axis for line in axes for axis in line]
        for axis, row in zip(flat, rows, strict=False):
            variant = str(row["variant"])
            title = variant_label(row, limit=22)
            if not (confusion_counts["variant"] == variant).any():
                axis.set_title(title)
                message(axis, "every seed diverged:\nno predictions")
                continue
            counts = counts_matrix(confusion_counts, variant, size)
            _matrix(axis, counts, class_names, title, marks, diagonal_numbers=False)
        hide_unused(flat[len(rows) :])
        figure.tight_layout()
    return figure, marks


def _bare(axis: Axes) -> None:
    """No ticks and no frame: the image is the panel."""
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)


def _image_grid(images: Sequence[np.ndarray], titles: Sequence[str], columns: int) -> Figure:
    """Small greyscale images with a caption line each, `columns` per row."""
    columns = max(1, min(columns, len(images)))
    lines = max(1, math.ceil(len(images) / columns))
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(
            lines, columns, figsize=(0.8 * columns, 1.2 * lines), squeeze=False
        )
        flat = [axis for line in axes for axis in line]
        if not images:
            message(flat[0], "nothing to show")
        for axis, image, title in zip(flat, images, titles, strict=False):
            axis.imshow(image, cmap=IMAGE_COLOURMAP, vmin=0, vmax=255)
            axis.set_title(title, fontsize=7)
            _bare(axis)
        hide_unused(flat[len(images) :] if images else [])
        figure.tight_layout()
    return figure


def misclassified(table: pd.DataFrame, x_test: np.ndarray) -> Figure:
    """The best variant's most confidently misclassified test images: true → predicted class,
    the predicted class' probability and the seed."""
    images = [x_test[int(index)] for index in table["index"]]
    # Three short lines: a long class name (Fashion-MNIST's) stays within its image's width.
    titles = [
        f"{plain(row.true_name)} →\n{plain(row.predicted_name)}\n"
        f"{row.confidence:.2f} (seed {row.seed})"
        for row in table.itertuples()
    ]
    return _image_grid(images, titles, GALLERY_COLUMNS)


def plot_dataset(npz_path: Path, path: Path) -> None:
    """`class_samples` of the prepared dataset in `npz_path`."""
    class_samples(load_prepared(Path(npz_path)), Path(path))


def class_samples(data: PreparedDataset, path: Path, per_class: int = SAMPLES_PER_CLASS) -> None:
    """The first `per_class` training images of every class, one class per row."""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        size = len(data.class_names)
        figure, axes = plt.subplots(
            size, per_class, figsize=(0.62 * per_class + 0.8, 0.62 * size), squeeze=False
        )
        for label, name in enumerate(data.class_names):
            indices = np.flatnonzero(data.y_train == label)[:per_class]
            for column in range(per_class):
                axis = axes[label][column]
                _bare(axis)
                if column < len(indices):
                    axis.imshow(
                        data.x_train[indices[column]], cmap=IMAGE_COLOURMAP, vmin=0, vmax=255
                    )
            axes[label][0].set_ylabel(plain(name), rotation=0, ha="right", va="center", fontsize=8)
        figure.subplots_adjust(wspace=0.05, hspace=0.05)
        save(figure, path, grey=True)
