"""Figures made of grids: confusion matrices, the best variant's most confident mistakes and
sample images of every class."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from archstudy.data.prepared import PreparedDataset, load_prepared
from archstudy.plots.style import (
    MATRIX_COLOURMAP,
    STYLE,
    hide_unused,
    message,
    plain,
    save,
    variant_label,
)

MATRIX_COLUMNS = 3  # confusion matrices per row in the appendix figure
GALLERY_COLUMNS = 8
SAMPLES_PER_CLASS = 10
IMAGE_COLOURMAP = "gray_r"  # dark strokes on white paper, as the digits are drawn


def counts_matrix(confusion_counts: pd.DataFrame, variant: str, size: int) -> np.ndarray:
    """The (true, predicted) count matrix of one variant from the long confusion table."""
    mine = confusion_counts[confusion_counts["variant"] == variant]
    counts = np.zeros((size, size), dtype=int)
    counts[mine["true_index"].to_numpy(int), mine["predicted_index"].to_numpy(int)] = mine["count"]
    return counts


def row_normalised(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its total: the share of a true class given each prediction."""
    rows = counts.sum(axis=1, keepdims=True)
    rates: np.ndarray = np.divide(
        counts, rows, out=np.zeros_like(counts, dtype=float), where=rows > 0
    )
    return rates


def _matrix(
    axis: Axes,
    colours: np.ndarray,
    labels: np.ndarray,
    fmt: str,
    class_names: Sequence[str],
    title: str,
) -> None:
    """One annotated matrix: `colours` drive the cells' shade, `labels` their text."""
    size = len(class_names)
    names = [plain(name) for name in class_names]
    image = axis.imshow(colours, cmap=MATRIX_COLOURMAP, vmin=0.0)
    axis.set_title(title)
    # Names wider than a cell (Fashion-MNIST's) are tilted so they do not run together.
    if max((len(name) for name in names), default=0) > 2:
        axis.set_xticks(range(size), names, rotation=40, ha="right", rotation_mode="anchor")
    else:
        axis.set_xticks(range(size), names)
    axis.set_yticks(range(size), names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    threshold = colours.max() / 2 if colours.size else 0
    fontsize = 6 if size > 6 else 8
    for t in range(size):
        for p in range(size):
            axis.text(
                p,
                t,
                format(labels[t, p], fmt),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="black" if colours[t, p] > threshold else "white",
            )
    axis.figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)


def confusion(
    confusion_counts: pd.DataFrame, variant: str | None, class_names: Sequence[str], path: Path
) -> None:
    """Counts (left) and row-normalised rates (right) of one variant's test predictions,
    summed over its completed seeds."""
    size = len(class_names)
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.8))
        if variant is None or not (confusion_counts["variant"] == variant).any():
            for axis in axes:
                message(axis, "no completed run to show")
        else:
            counts = counts_matrix(confusion_counts, variant, size)
            rates = row_normalised(counts)
            name = plain(variant)
            _matrix(axes[0], counts, counts, "d", class_names, f"{name}: counts")
            _matrix(axes[1], rates, rates, ".2f", class_names, f"{name}: row-normalised")
        figure.tight_layout()
        save(figure, path)


def confusion_variants(
    confusion_counts: pd.DataFrame,
    summary: pd.DataFrame,
    class_names: Sequence[str],
    path: Path,
) -> None:
    """Every variant's matrix, shaded by the row-normalised rate and labelled with the count."""
    size = len(class_names)
    rows = [row for _, row in summary.iterrows()]
    columns = max(1, min(MATRIX_COLUMNS, len(rows)))
    lines = math.ceil(len(rows) / columns)
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(
            lines, columns, figsize=(4.4 * columns, 4.0 * lines), squeeze=False
        )
        flat = [axis for line in axes for axis in line]
        for axis, row in zip(flat, rows, strict=False):
            variant = str(row["variant"])
            title = variant_label(row)
            if not (confusion_counts["variant"] == variant).any():
                axis.set_title(title)
                message(axis, "every seed diverged:\nno predictions")
                continue
            counts = counts_matrix(confusion_counts, variant, size)
            _matrix(axis, row_normalised(counts), counts, "d", class_names, title)
        hide_unused(flat[len(rows) :])
        figure.tight_layout()
        save(figure, path)


def _bare(axis: Axes) -> None:
    """No ticks and no frame: the image is the panel."""
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)


def _image_grid(
    images: Sequence[np.ndarray], titles: Sequence[str], columns: int, path: Path
) -> None:
    """Small greyscale images with a caption line each, `columns` per row."""
    columns = max(1, min(columns, len(images)))
    lines = max(1, math.ceil(len(images) / columns))
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(
            lines, columns, figsize=(1.25 * columns, 1.6 * lines), squeeze=False
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
        save(figure, path)


def misclassified(table: pd.DataFrame, x_test: np.ndarray, path: Path) -> None:
    """The best variant's most confidently misclassified test images: true → predicted class,
    the predicted class' probability and the seed."""
    images = [x_test[int(index)] for index in table["index"]]
    titles = [
        f"{plain(row.true_name)} → {plain(row.predicted_name)}\n"
        f"{row.confidence:.2f} (seed {row.seed})"
        for row in table.itertuples()
    ]
    _image_grid(images, titles, GALLERY_COLUMNS, path)


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
        save(figure, path)
