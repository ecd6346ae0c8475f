"""A study's charts (learning curves, overfitting gap, accuracy comparison, cost trade-offs),
and `plot_study`, which draws every figure of a study from its tables."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from archstudy.aggregate.study_files import PLOTTED_TABLES, figure_file, read_table
from archstudy.data.prepared import PreparedDataset, load_prepared
from archstudy.plots import galleries
from archstudy.plots.style import (
    BEST_COLOUR,
    FLAGGED_COLOUR,
    OTHER_COLOUR,
    STYLE,
    TRAIN_COLOUR,
    VALIDATION_COLOUR,
    hide_unused,
    line_style,
    message,
    plain,
    save,
    variant_label,
)

COLUMNS = 4  # small multiples per row


def _completed(epochs: pd.DataFrame, variant: str) -> pd.DataFrame:
    """The epochs of `variant`'s seeds that did not diverge."""
    mine = epochs[epochs["variant"] == variant]
    return mine[~mine["diverged"].astype(bool)]


def _band(
    axis: Axes, values: pd.DataFrame, column: str, label: str, color: str, linestyle: str = "-"
) -> None:
    """Mean over seeds per epoch as a line, lowest to highest seed as a band."""
    grouped = values.groupby("epoch")[column]
    mean, low, high = grouped.mean(), grouped.min(), grouped.max()
    marker = "o" if len(mean) < 15 else None
    axis.plot(
        mean.index, mean.values, label=label, color=color, ls=linestyle, lw=1.4, marker=marker, ms=3
    )
    axis.fill_between(mean.index, low.values, high.values, color=color, alpha=0.18, lw=0)


def learning_curves(epochs: pd.DataFrame, summary: pd.DataFrame, path: Path) -> None:
    """Small multiples, one column per variant: loss (top) and accuracy (bottom), train and
    validation, mean over completed seeds with a min-max band."""
    rows = [row for _, row in summary.iterrows()]
    columns = max(1, min(COLUMNS, len(rows)))
    groups = math.ceil(len(rows) / columns)
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            2 * groups, columns, figsize=(2.7 * columns, 3.7 * groups), squeeze=False
        )
        for index in range(groups * columns):
            top = axes[2 * (index // columns)][index % columns]
            bottom = axes[2 * (index // columns) + 1][index % columns]
            if index >= len(rows):
                hide_unused([top, bottom])
                continue
            row = rows[index]
            values = _completed(epochs, row["variant"])
            top.set_title(
                variant_label(row), color=FLAGGED_COLOUR if row["status"] != "ok" else "black"
            )
            if values.empty:
                message(top, "every seed diverged:\nno curve to show")
                bottom.set_visible(False)
                continue
            for axis, metric in ((top, "loss"), (bottom, "accuracy")):
                _band(axis, values, metric, "train", color=TRAIN_COLOUR)
                _band(axis, values, f"val_{metric}", "validation", color=VALIDATION_COLOUR)
                axis.set_ylabel(metric)
            bottom.set_xlabel("epoch")
        if axes[0][0].get_legend_handles_labels()[0]:
            axes[0][0].legend(loc="upper right")
        figure.tight_layout()
        save(figure, path)


def overfitting_gap(epochs: pd.DataFrame, summary: pd.DataFrame, path: Path) -> None:
    """Train minus validation accuracy, and validation minus train loss, per epoch: above zero,
    the network fits its training images better than held-out ones."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        missing = []
        for index, (_, row) in enumerate(summary.iterrows()):
            values = _completed(epochs, row["variant"])
            if values.empty:
                missing.append(plain(row["variant"]))
                continue
            gaps = values.assign(
                accuracy_gap=values["accuracy"] - values["val_accuracy"],
                loss_gap=values["val_loss"] - values["loss"],
            )
            style = line_style(index)
            for axis, column in zip(axes, ("accuracy_gap", "loss_gap"), strict=True):
                _band(axis, gaps, column, variant_label(row), **style)
        for axis, title in zip(
            axes,
            ("accuracy: train − validation", "loss: validation − train"),
            strict=True,
        ):
            axis.axhline(0.0, color="black", lw=0.8)
            axis.set_title(title)
            axis.set_xlabel("epoch")
            axis.set_ylabel("gap")
        handles, labels = axes[0].get_legend_handles_labels()
        if missing:
            axes[1].text(
                0.02,
                0.98,
                "not shown (every seed diverged): " + ", ".join(missing),
                transform=axes[1].transAxes,
                va="top",
                fontsize=7,
                color=FLAGGED_COLOUR,
            )
        figure.legend(
            handles,
            labels,
            loc="upper center",
            ncol=min(4, max(1, len(labels))),
            bbox_to_anchor=(0.5, 0.0),
        )
        figure.tight_layout()
        save(figure, path)


def _accuracy_limits(summary: pd.DataFrame) -> tuple[float, float]:
    """A test-accuracy axis fitted to the intervals of the variants that learned something: a
    degenerate variant near chance would otherwise squash every real difference."""
    usable = summary[summary["status"] == "ok"]
    if usable.empty:
        usable = summary
    values = pd.concat(
        [usable[f"test_accuracy_{part}"] for part in ("mean", "ci_low", "ci_high")]
    ).to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = max(0.01, (high - low) * 0.1)
    return max(0.0, low - margin), min(1.0, high + margin)


def _off_axis_note(axis: Axes, position: float, text: str, vertical: bool) -> None:
    """Mark a variant that cannot be drawn on the fitted axis, at the axis' low end."""
    if vertical:  # position is a y coordinate; write at the left edge
        axis.annotate(
            text,
            (0.0, position),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            color=FLAGGED_COLOUR,
            va="center",
        )
    else:  # position is an x coordinate; a marker on the bottom edge, the text above it
        axis.plot(
            [position],
            [0.0],
            marker="v",
            color=FLAGGED_COLOUR,
            clip_on=False,
            transform=axis.get_xaxis_transform(),
        )
        axis.annotate(
            text,
            (position, 0.04),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color=FLAGGED_COLOUR,
            va="bottom",
            ha="center",
            rotation=90,
        )


def comparison(summary: pd.DataFrame, path: Path) -> None:
    """Test accuracy per variant with its 95% interval over seeds (dot and whisker), mean
    validation accuracy as an open diamond; the best variant by validation accuracy in red."""
    table = summary.sort_values("test_accuracy_mean", na_position="first")
    positions = np.arange(len(table))
    low, high = _accuracy_limits(table)
    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(6.4, 0.42 * len(table) + 1.3))
        for position, (_, row) in zip(positions, table.iterrows(), strict=True):
            colour = BEST_COLOUR if row["best"] else OTHER_COLOUR
            colour = FLAGGED_COLOUR if row["status"] != "ok" else colour
            value = float(row["test_accuracy_mean"])
            if not math.isfinite(value):
                _off_axis_note(
                    axis, float(position), "  no completed seed (diverged)", vertical=True
                )
                continue
            if value < low:
                _off_axis_note(axis, float(position), f"  ◀ {value:.4f}", vertical=True)
                continue
            error = [[value - row["test_accuracy_ci_low"]], [row["test_accuracy_ci_high"] - value]]
            axis.errorbar(
                value, position, xerr=np.nan_to_num(error), fmt="o", color=colour, capsize=3, ms=6
            )
            axis.scatter(
                row["val_accuracy_mean"],
                position,
                marker="D",
                s=22,
                zorder=3,
                facecolors="none",
                edgecolors="black",
                lw=0.9,
            )
        axis.set_yticks(positions, [variant_label(row) for _, row in table.iterrows()])
        axis.set_xlim(low, high)
        axis.set_ylim(-0.7, len(table) - 0.3)
        axis.set_xlabel("accuracy")
        axis.plot([], [], "o", color=OTHER_COLOUR, label="test accuracy: mean, 95% interval")
        axis.plot([], [], "o", color=BEST_COLOUR, label="best by validation accuracy")
        axis.scatter(
            [],
            [],
            marker="D",
            facecolors="none",
            edgecolors="black",
            label="validation accuracy: mean",
        )
        axis.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18 - 0.6 / (len(table) + 2)),
            ncol=3,
            fontsize=7,
        )
        figure.tight_layout()
        save(figure, path)


def tradeoffs(summary: pd.DataFrame, path: Path) -> None:
    """Test accuracy against parameter count (left) and training time (right); the Pareto
    front (no other variant is both cheaper and more accurate) is joined by a line."""
    low, high = _accuracy_limits(summary)
    panels = (
        ("parameters", "pareto_parameters", "parameters (log scale)", True),
        ("train_seconds_mean", "pareto_seconds", "training time per seed (s)", False),
    )
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(1, 2, figsize=(10, 3.9))
        for axis, (cost_column, front_column, xlabel, log) in zip(axes, panels, strict=True):
            front = summary[summary[front_column].astype(bool)].sort_values(cost_column)
            axis.step(
                front[cost_column],
                front["test_accuracy_mean"],
                where="post",
                color=BEST_COLOUR,
                lw=1.2,
                alpha=0.7,
                label="Pareto front",
            )
            for _, row in summary.iterrows():
                cost, value = float(row[cost_column]), float(row["test_accuracy_mean"])
                if not (math.isfinite(cost) and math.isfinite(value)):
                    continue
                on_front = bool(row[front_column])
                colour = FLAGGED_COLOUR if row["status"] != "ok" else OTHER_COLOUR
                if value < low:
                    _off_axis_note(
                        axis, cost, f"{plain(row['variant'])}: {value:.3f}", vertical=False
                    )
                    continue
                error = [
                    [value - row["test_accuracy_ci_low"]],
                    [row["test_accuracy_ci_high"] - value],
                ]
                axis.errorbar(
                    cost,
                    value,
                    yerr=np.nan_to_num(error),
                    fmt="o",
                    ms=6,
                    capsize=3,
                    color=colour,
                    mfc=colour if on_front else "white",
                )
                axis.annotate(
                    variant_label(row),
                    (cost, value),
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize=7,
                )
            if log:
                # Plain counts at 1, 2 and 5 times each power of ten: "20,000", "500,000".
                axis.set_xscale("log")
                axis.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
                axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
                axis.xaxis.set_minor_formatter(NullFormatter())
            axis.set_ylim(low, high)
            axis.set_xlabel(xlabel)
            axis.set_ylabel("test accuracy")
        axes[0].plot([], [], "o", color=OTHER_COLOUR, label="on the front (filled)")
        axes[0].plot([], [], "o", color=OTHER_COLOUR, mfc="white", label="dominated (open)")
        axes[0].legend(loc="best", fontsize=7)
        figure.tight_layout()
        save(figure, path)


def plot_study_files(inputs: Mapping[str, str | Path], out_dir: Path) -> None:
    """`plot_study` from files: the tables in PLOTTED_TABLES and the prepared dataset ("data")
    as the rule names its inputs."""
    tables = {name: read_table(Path(inputs[name])) for name in PLOTTED_TABLES}
    plot_study(tables, load_prepared(Path(inputs["data"])), Path(out_dir))


def plot_study(
    tables: dict[str, pd.DataFrame],
    data: PreparedDataset,
    out_dir: Path,
) -> None:
    """Write every figure of one study into `out_dir` (archstudy.aggregate.study_files names
    them)."""
    summary, epochs = tables["summary"], tables["epochs"]
    learning_curves(epochs, summary, figure_file(out_dir, "learning_curves"))
    overfitting_gap(epochs, summary, figure_file(out_dir, "overfitting_gap"))
    comparison(summary, figure_file(out_dir, "comparison"))
    tradeoffs(summary, figure_file(out_dir, "tradeoffs"))
    best = summary.loc[summary["best"], "variant"]
    chosen = str(best.iloc[0]) if len(best) else None
    counts, names = tables["confusion"], data.class_names
    galleries.confusion(counts, chosen, names, figure_file(out_dir, "confusion_best"))
    galleries.confusion_variants(counts, summary, names, figure_file(out_dir, "confusion_variants"))
    galleries.misclassified(
        tables["misclassified"], data.x_test, figure_file(out_dir, "misclassified")
    )
