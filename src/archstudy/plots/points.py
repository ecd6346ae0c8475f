"""Charts of one number per variant: test accuracy with its interval (comparison), against
cost (trade-offs); and what every chart of a study shares (labels, legend, highlighted points)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from archstudy.plots.style import (
    BEST_WIDTH,
    FLAGGED_COLOUR,
    NEUTRAL_COLOUR,
    OTHER_WIDTH,
    STYLE,
    WIDTH,
    Marks,
    marker_of,
    variant_colours,
    variant_label,
)

ACCURACY_LABEL = "accuracy (fraction correct)"
LOSS_LABEL = "cross-entropy loss (nats)"


def rows_of(summary: pd.DataFrame) -> list[tuple[int, pd.Series]]:
    """(colour key, row) per variant in the study's order; the key is the variant's position."""
    return list(enumerate(row for _, row in summary.iterrows()))


def width_of(row: pd.Series) -> float:
    return BEST_WIDTH if bool(row["best"]) else OTHER_WIDTH


def variant_legend(figure: Figure, summary: pd.DataFrame, marks: Marks, columns: int = 4) -> None:
    """One legend for the whole figure, below it: the variants' colours, the chosen one ★."""
    colours = variant_colours(summary)
    handles = [
        Line2D(
            [], [], lw=width_of(row), marker=marker_of(key), ms=4, **colours[str(row["variant"])]
        )
        for key, (_, row) in enumerate(summary.iterrows())
    ]
    labels = [variant_label(row) for _, row in summary.iterrows()]
    figure.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(columns, 4)
    )
    marks.legend(figure, list(range(len(labels))))


def accuracy_limits(summary: pd.DataFrame, also: tuple[str, ...] = ()) -> tuple[float, float]:
    """A test-accuracy axis fitted to the intervals of the variants that learned something (and
    to the columns `also`): a degenerate variant near chance would otherwise squash every real
    difference."""
    usable = summary[summary["status"] == "ok"]
    if usable.empty:
        usable = summary
    columns = ("test_accuracy_mean", "test_accuracy_ci_low", "test_accuracy_ci_high", *also)
    values = pd.concat([usable[column] for column in columns]).to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = max(0.01, (high - low) * 0.1)
    return max(0.0, low - margin), min(1.0, high + margin)


def point(
    axis: Axes,
    x: float,
    y: float,
    interval: tuple[float, float],
    row: pd.Series,
    colour: str,
    key: int,
    marks: Marks,
    title: str,
    *,
    vertical: bool,
    filled: bool = True,
) -> None:
    """One variant's mean with its interval as a whisker; the chosen variant larger, outlined."""
    low, high = (value if math.isfinite(value) else (y if vertical else x) for value in interval)
    best = bool(row["best"])
    whisker = (
        axis.vlines(x, low, high, color=colour, lw=1.6)
        if vertical
        else axis.hlines(y, low, high, color=colour, lw=1.6)
    )
    (dot,) = axis.plot(
        [x],
        [y],
        marker_of(key),
        ms=8 if best else 5.5,
        color=colour,
        mfc=colour if filled else "white",
        mec="black" if best else colour,
        mew=1.4 if best else 1.0,
        zorder=4,
    )
    marks.series([whisker, dot], key, title)


def _interval_text(row: pd.Series) -> str:
    low, high = row["test_accuracy_ci_low"], row["test_accuracy_ci_high"]
    spread = f", 95% interval {low:.4f}–{high:.4f}" if math.isfinite(low) else ""
    return f"test accuracy {row['test_accuracy_mean']:.4f}{spread}"


def comparison(summary: pd.DataFrame) -> tuple[Figure, Marks]:
    """Test accuracy per variant with its 95% interval over seeds (dot and whisker), mean
    validation accuracy as an open diamond; the chosen variant ★, larger and outlined."""
    marks, colours = Marks(), variant_colours(summary)
    low, high = accuracy_limits(summary, also=("val_accuracy_mean",))
    rows = rows_of(summary)
    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(WIDTH, 0.28 * len(rows) + 1.1))
        for position, (key, row) in enumerate(reversed(rows)):
            colour = colours[str(row["variant"])]["color"]
            value = float(row["test_accuracy_mean"])
            if not math.isfinite(value) or value < low:
                text = "no completed seed" if not math.isfinite(value) else f"◀ {value:.4f}"
                axis.annotate(
                    f"  {text}",
                    (0.0, position),
                    xycoords=("axes fraction", "data"),
                    fontsize=7,
                    color=FLAGGED_COLOUR,
                    va="center",
                )
                continue
            interval = (float(row["test_accuracy_ci_low"]), float(row["test_accuracy_ci_high"]))
            title = (
                f"{row['variant']}: {_interval_text(row)}; validation accuracy "
                f"{row['val_accuracy_mean']:.4f}"
            )
            point(axis, value, position, interval, row, colour, key, marks, title, vertical=False)
            diamond = axis.scatter(
                row["val_accuracy_mean"],
                position,
                marker="D",
                s=18,
                zorder=5,
                facecolors="none",
                edgecolors="black",
                lw=0.8,
            )
            marks.series(diamond, key, title)
        labels = [variant_label(row) for _, row in reversed(rows)]
        axis.set_yticks(range(len(rows)), labels)
        for label, (_, row) in zip(axis.get_yticklabels(), reversed(rows), strict=True):
            label.set_fontweight("bold" if bool(row["best"]) else "normal")
        axis.set_xlim(low, high)
        axis.set_ylim(-0.7, len(rows) - 0.3)
        axis.set_xlabel(ACCURACY_LABEL)
        axis.plot([], [], "o", color=NEUTRAL_COLOUR, label="test: mean, 95% interval")
        axis.scatter(
            [], [], marker="D", facecolors="none", edgecolors="black", label="validation: mean"
        )
        axis.plot(
            [], [], "o", color="white", mec="black", mew=1.4, ms=8, label="★ chosen by validation"
        )
        figure.tight_layout()
        # Below the figure, after the layout: never on the axis' label.
        handles, labels = axis.get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3)
    return figure, marks


def compact(value: float, _: object = None) -> str:
    """A tick label of a count: 900, 20k, 1.5M (plain digits would run into each other)."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def cost_axis(axis: Axes, values: np.ndarray, label: str, unit_format: str = "{:,.0f}") -> None:
    """An x axis for costs: log when they span a decade or more, linear otherwise, and a single
    labelled tick when every variant costs the same (no empty decades around one point)."""
    finite = values[np.isfinite(values)]
    if finite.size and np.ptp(finite) == 0:
        value = float(finite[0])
        axis.set_xlim(value * 0.9, value * 1.1) if value else axis.set_xlim(-1, 1)
        axis.xaxis.set_major_locator(FixedLocator([value]))
        axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: unit_format.format(v)))
        axis.set_xlabel(f"{label} (the same for every variant)")
        return
    if finite.size and finite.min() > 0 and finite.max() / finite.min() >= 10:
        axis.set_xscale("log")
        axis.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0), numticks=8))
        axis.xaxis.set_minor_formatter(NullFormatter())
        label += " (log scale)"
    else:
        axis.xaxis.set_major_locator(MaxNLocator(nbins=4))
    axis.xaxis.set_major_formatter(FuncFormatter(compact))
    axis.set_xlabel(label)


def tradeoffs(summary: pd.DataFrame) -> tuple[Figure, Marks]:
    """Test accuracy against parameter count (left) and training time (right); the Pareto
    front (no other variant is both cheaper and more accurate) is the grey step line."""
    marks, colours = Marks(), variant_colours(summary)
    low, high = accuracy_limits(summary)
    panels = (
        ("parameters", "pareto_parameters", "parameters"),
        ("train_seconds_mean", "pareto_seconds", "training time per seed (s)"),
    )
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.9), sharey=True)
        for axis, (cost_column, front_column, label) in zip(axes, panels, strict=True):
            front = summary[summary[front_column].astype(bool)].sort_values(cost_column)
            axis.step(
                front[cost_column],
                front["test_accuracy_mean"],
                where="post",
                color=NEUTRAL_COLOUR,
                lw=1.0,
                alpha=0.6,
                zorder=1,
            )
            for key, row in rows_of(summary):
                cost, value = float(row[cost_column]), float(row["test_accuracy_mean"])
                if not (math.isfinite(cost) and math.isfinite(value)) or value < low:
                    continue  # the comparison figure marks variants off this axis
                interval = (float(row["test_accuracy_ci_low"]), float(row["test_accuracy_ci_high"]))
                title = f"{row['variant']}: {label} {cost:,.4g}; {_interval_text(row)}"
                point(
                    axis,
                    cost,
                    value,
                    interval,
                    row,
                    colours[str(row["variant"])]["color"],
                    key,
                    marks,
                    title,
                    vertical=True,
                    filled=bool(row[front_column]),
                )
            cost_axis(axis, summary[cost_column].to_numpy(dtype=float), label)
            axis.set_ylim(low, high)
        axes[0].set_ylabel("test " + ACCURACY_LABEL)
        axes[1].plot([], [], "o", color=NEUTRAL_COLOUR, label="on the Pareto front (filled)")
        axes[1].plot([], [], "o", color=NEUTRAL_COLOUR, mfc="white", label="dominated (open)")
        axes[1].legend(loc="best", fontsize=7)
        figure.tight_layout()
        variant_legend(figure, summary, marks)
    return figure, marks
