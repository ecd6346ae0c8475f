"""Metric against hyperparameter: one panel per numeric setting that variants sweep alone
(small multiples when a grid varies several), test accuracy with its 95% interval."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from archstudy.plots.points import ACCURACY_LABEL, accuracy_limits, point
from archstudy.plots.style import (
    LINESTYLES,
    NEUTRAL_COLOUR,
    STYLE,
    WIDTH,
    Marks,
    message,
    shorten,
    variant_colours,
)
from archstudy.plots.sweeps import Sweep, apart, find_sweeps

COLUMNS = 2


def _tick(value: float, _: object = None) -> str:
    return f"{value:g}"


def hyperparameters(summary: pd.DataFrame) -> tuple[Figure, Marks]:
    """Per sweep (variants equal but for one numeric setting): test accuracy, mean and 95%
    interval over seeds, against that setting; a log axis when the values span a decade."""
    marks, colours = Marks(), variant_colours(summary)
    sweeps = find_sweeps(summary)
    keys = list(dict.fromkeys(sweep.key for sweep in sweeps))
    columns = max(1, min(COLUMNS, len(keys)))
    lines = max(1, math.ceil(len(keys) / columns))
    rows = {str(row["variant"]): (key, row) for key, (_, row) in enumerate(summary.iterrows())}
    low, high = accuracy_limits(summary)
    # A sweep's point near chance (a learning rate too high) stays on its axis: it is the
    # finding of the sweep, not an outlier.
    on_lines = summary[
        summary["variant"].isin({name for sweep in sweeps for name in sweep.variants})
    ]
    means = on_lines["test_accuracy_mean"].to_numpy(dtype=float)
    if means[np.isfinite(means)].size:
        low = min(low, max(0.0, float(np.nanmin(means)) - 0.02))
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(
            lines, columns, figsize=(WIDTH, 2.5 * lines + 0.3), squeeze=False
        )
        flat = [axis for line in axes for axis in line]
        if not sweeps:
            message(flat[0], "no two variants differ in exactly one numeric setting")
        for axis, key in zip(flat, keys, strict=False):
            mine: list[Sweep] = [sweep for sweep in sweeps if sweep.key == key]
            for sweep in mine:
                shown = [
                    (value, rows[name])
                    for value, name in zip(sweep.values, sweep.variants, strict=True)
                    if math.isfinite(float(rows[name][1]["test_accuracy_mean"]))
                ]
                axis.plot(
                    [value for value, _ in shown],
                    [float(row["test_accuracy_mean"]) for _, (_, row) in shown],
                    color=NEUTRAL_COLOUR,
                    lw=0.9,
                    alpha=0.7,
                    zorder=1,
                    linestyle=LINESTYLES[mine.index(sweep) % len(LINESTYLES)],
                    # Which variants the line joins: a panel may hold several lines.
                    label=" → ".join(shorten(name, 12) for name in sweep.variants),
                )
                for value, (index, row) in shown:
                    mean = float(row["test_accuracy_mean"])
                    interval = (
                        float(row["test_accuracy_ci_low"]),
                        float(row["test_accuracy_ci_high"]),
                    )
                    title = (
                        f"{row['variant']}: {sweep.key.replace('_', ' ')} {value:g}; "
                        f"test accuracy {mean:.4f}"
                        + (
                            f", 95% interval {interval[0]:.4f}–{interval[1]:.4f}"
                            if math.isfinite(interval[0])
                            else ""
                        )
                    )
                    colour = colours[str(row["variant"])]["color"]
                    point(
                        axis, value, mean, interval, row, colour, index, marks, title, vertical=True
                    )
            values = [value for sweep in mine for value in sweep.values]
            if mine[0].logarithmic or any(sweep.logarithmic for sweep in mine):
                axis.set_xscale("log")
                axis.xaxis.set_minor_locator(NullLocator())
                label = f"{mine[0].label} (log scale)"
            else:
                label = mine[0].label
            # A tick at each value the variants took: they are what the reader compares.
            axis.xaxis.set_major_locator(FixedLocator(sorted(set(values))))
            axis.margins(x=0.08)
            axis.xaxis.set_major_formatter(FuncFormatter(_tick))
            axis.set_xlabel(label)
            axis.set_ylabel("test " + ACCURACY_LABEL)
            axis.set_ylim(low, high)
            fixed = "; ".join(dict.fromkeys(sweep.fixed for sweep in mine if sweep.fixed))
            if fixed:
                axis.set_title(f"others fixed: {fixed}", fontsize=7)
            if len(mine) > 1:
                axis.legend(loc="best", fontsize=7)
        for axis in flat[max(1, len(keys)) :]:
            axis.set_visible(False)
        alone = apart(summary, sweeps)
        if sweeps and alone:
            shown_apart = ", ".join(alone)
            figure.text(
                0.5,
                0.0,
                f"Not on any line (they change more than one setting): {shown_apart}",
                ha="center",
                va="top",
                fontsize=7,
                wrap=True,
            )
        figure.tight_layout()
    return figure, marks
