"""A study's curves per epoch (learning curves, overfitting gap), and `plot_study`, which draws
every figure of a study from its tables.

Every chart gives each variant the colour it has in the study's other charts, draws the chosen
variant (best by validation accuracy, ★) with a heavier line, and is saved as SVG."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from archstudy.aggregate.study_files import PLOTTED_TABLES, VARIANT_FIGURES, read_table
from archstudy.data.prepared import PreparedDataset, load_prepared
from archstudy.plots import galleries, hparams
from archstudy.plots.points import (
    ACCURACY_LABEL,
    LOSS_LABEL,
    comparison,
    rows_of,
    tradeoffs,
    variant_legend,
    width_of,
)
from archstudy.plots.style import (
    FLAGGED_COLOUR,
    NEUTRAL_COLOUR,
    STYLE,
    WIDTH,
    Marks,
    message,
    plain,
    save,
    save_svg,
    variant_colours,
)


def _completed(epochs: pd.DataFrame, variant: str) -> pd.DataFrame:
    """The epochs of `variant`'s seeds that did not diverge."""
    mine = epochs[epochs["variant"] == variant]
    return mine[~mine["diverged"].astype(bool)]


def _curve(
    axis: Axes,
    values: pd.DataFrame,
    column: str,
    row: pd.Series,
    colour: dict[str, Any],
    key: int,
    marks: Marks,
    what: str,
) -> None:
    """Mean over seeds per epoch as a line, lowest to highest seed as a faint band."""
    grouped = values.groupby("epoch")[column]
    mean, low, high = grouped.mean(), grouped.min(), grouped.max()
    marker = "o" if len(mean) == 1 else None  # a line needs two epochs; a dot shows one
    (line,) = axis.plot(
        mean.index, mean.values, lw=width_of(row), marker=marker, ms=3, zorder=3, **colour
    )
    band = axis.fill_between(
        mean.index, low.values, high.values, color=colour["color"], alpha=0.12, lw=0
    )
    points = ", ".join(f"{epoch}: {value:.4f}" for epoch, value in mean.items())
    marks.series([line, band], key, f"{row['variant']}: {what} per epoch, mean of seeds: {points}")


def learning_curves(epochs: pd.DataFrame, summary: pd.DataFrame) -> tuple[Figure, Marks]:
    """Accuracy (top) and loss (bottom), training (left) and validation (right): every variant
    overlaid, one colour each, on axes shared along each row."""
    marks = Marks()
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(2, 2, figsize=(WIDTH, 4.6), sharex=True, sharey="row")
        colours = variant_colours(summary)
        missing = []
        for key, row in rows_of(summary):
            values = _completed(epochs, str(row["variant"]))
            if values.empty:
                missing.append(plain(row["variant"]))
                continue
            for line, metric in enumerate(("accuracy", "loss")):
                for column, (prefix, split) in enumerate(
                    (("", "training"), ("val_", "validation"))
                ):
                    axis = axes[line][column]
                    colour = colours[str(row["variant"])]
                    what = f"{split} {metric}"
                    _curve(axis, values, prefix + metric, row, colour, key, marks, what)
        for column, split in enumerate(("training", "validation")):
            axes[0][column].set_title(split)
            axes[1][column].set_xlabel("epoch")
        axes[0][0].set_ylabel(ACCURACY_LABEL)
        axes[1][0].set_ylabel(LOSS_LABEL)
        axes[1][0].xaxis.set_major_locator(MaxNLocator(integer=True))
        if missing:
            axes[0][1].text(
                0.02,
                0.02,
                "every seed diverged: " + ", ".join(missing),
                transform=axes[0][1].transAxes,
                fontsize=7,
                color=FLAGGED_COLOUR,
            )
        figure.tight_layout()
        variant_legend(figure, summary, marks)
    return figure, marks


def overfitting_gap(epochs: pd.DataFrame, summary: pd.DataFrame) -> tuple[Figure, Marks]:
    """Train minus validation accuracy, and validation minus train loss, per epoch: above zero,
    the network fits its training images better than held-out ones."""
    marks = Marks()
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.8), sharex=True)
        colours = variant_colours(summary)
        for key, row in rows_of(summary):
            values = _completed(epochs, str(row["variant"]))
            if values.empty:
                continue
            gaps = values.assign(
                accuracy_gap=values["accuracy"] - values["val_accuracy"],
                loss_gap=values["val_loss"] - values["loss"],
            )
            for axis, column, what in zip(
                axes, ("accuracy_gap", "loss_gap"), ("accuracy gap", "loss gap"), strict=True
            ):
                _curve(axis, gaps, column, row, colours[str(row["variant"])], key, marks, what)
        for axis, label in zip(
            axes,
            (
                "training − validation accuracy\n(fraction correct)",
                "validation − training loss\n(nats)",
            ),
            strict=True,
        ):
            axis.axhline(0.0, color="black", lw=0.8)
            axis.set_xlabel("epoch")
            axis.set_ylabel(label)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        figure.tight_layout()
        variant_legend(figure, summary, marks)
    return figure, marks


def seed_curves(epochs: pd.DataFrame, row: pd.Series, colour: str) -> tuple[Figure, Marks]:
    """One variant's seeds, each its own line: validation (solid, the variant's colour) and
    training (dashed, grey) accuracy and loss per epoch; for its drill-down."""
    marks = Marks()
    mine = epochs[epochs["variant"] == row["variant"]]
    # No grid: a dozen of these per study, and the hover gives exact values.
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figure, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.2), sharex=True)
        for seed, runs in mine.groupby("seed"):
            runs = runs.sort_values("epoch")
            marker = "o" if len(runs) == 1 else None
            for axis, metric in zip(axes, ("accuracy", "loss"), strict=True):
                for prefix, split, style in (
                    ("", "training", {"color": NEUTRAL_COLOUR, "ls": "--", "lw": 0.9}),
                    ("val_", "validation", {"color": colour, "lw": 1.3}),
                ):
                    values = runs[prefix + metric]
                    (line,) = axis.plot(runs["epoch"], values, marker=marker, ms=3, **style)
                    points = ", ".join(
                        f"{epoch}: {value:.4f}"
                        for epoch, value in zip(runs["epoch"], values, strict=True)
                    )
                    marks.hover(line, f"seed {seed}, {split} {metric} per epoch: {points}")
        if mine.empty or mine[["val_accuracy"]].isna().all().all():
            message(axes[0], "every seed diverged:\nno curve to show")
        axes[0].set_ylabel(ACCURACY_LABEL)
        axes[1].set_ylabel(LOSS_LABEL)
        for axis in axes:
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[1].plot([], [], color=colour, lw=1.3, label="validation, one line per seed")
        axes[1].plot([], [], color=NEUTRAL_COLOUR, ls="--", lw=0.9, label="training")
        figure.tight_layout()
        figure.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2)
    return figure, marks


def plot_study_files(inputs: Mapping[str, str | Path], out_dir: Path) -> None:
    """`plot_study` from files: the tables in PLOTTED_TABLES and the prepared dataset ("data")
    as the rule names its inputs."""
    tables = {name: read_table(Path(inputs[name])) for name in PLOTTED_TABLES}
    plot_study(tables, load_prepared(Path(inputs["data"])), Path(out_dir))


def plot_study(tables: dict[str, pd.DataFrame], data: PreparedDataset, out_dir: Path) -> None:
    """Write every figure of one study into `out_dir` (names in study_files.FIGURES)."""
    summary, epochs = tables["summary"], tables["epochs"]
    charts = {
        "learning_curves.svg": learning_curves(epochs, summary),
        "overfitting_gap.svg": overfitting_gap(epochs, summary),
        "comparison.svg": comparison(summary),
        "tradeoffs.svg": tradeoffs(summary),
        "hyperparameters.svg": hparams.hyperparameters(summary),
    }
    for name, (figure, marks) in charts.items():
        save_svg(figure, marks, out_dir / name)
    best = summary.loc[summary["best"].astype(bool), "variant"]
    chosen = str(best.iloc[0]) if len(best) else None
    counts, names = tables["confusion"], data.class_names
    save_svg(*galleries.confusion(counts, chosen, names), out_dir / "confusion_best.svg")
    matrices = galleries.confusion_variants(counts, summary, names)
    save_svg(*matrices, out_dir / "confusion_variants.svg")
    # One drill-down figure per variant, numbered in the study's order from 1.
    folder = out_dir / VARIANT_FIGURES
    shutil.rmtree(folder, ignore_errors=True)
    colours = variant_colours(summary)
    for index, (_, row) in enumerate(summary.iterrows(), 1):
        colour = colours[str(row["variant"])]["color"]
        save_svg(*seed_curves(epochs, row, colour), folder / f"{index}.svg")
    gallery = galleries.misclassified(tables["misclassified"], data.x_test)
    save(gallery, out_dir / "misclassified.png", grey=True)
