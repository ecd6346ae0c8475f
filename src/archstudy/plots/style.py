"""One matplotlib style for every figure of the report: colour-blind-safe, small, PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on clusters or CI

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from archstudy.atomic import atomic_path  # noqa: E402

# Okabe & Ito's palette stays distinguishable under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TRAIN_COLOUR, VALIDATION_COLOUR = PALETTE[0], PALETTE[1]
BEST_COLOUR, OTHER_COLOUR, FLAGGED_COLOUR = PALETTE[3], PALETTE[0], "#8C8C8C"
# Line styles repeat the palette's distinctions for readers who cannot rely on colour at all.
LINESTYLES = ("-", "--", ":", "-.")
MATRIX_COLOURMAP = "cividis"  # perceptually uniform and colour-blind-safe
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


def line_style(index: int) -> dict[str, Any]:
    """Colour and dash pattern of the `index`-th series; no two of the first 32 look alike."""
    return {
        "color": PALETTE[index % len(PALETTE)],
        "linestyle": LINESTYLES[(index // len(PALETTE)) % len(LINESTYLES)],
    }


def plain(text: object) -> str:
    """`text` as matplotlib should print it: a `$` in a name must not start mathematics."""
    return str(text).replace("$", r"\$")


def variant_label(row: Mapping[str, Any]) -> str:
    """A summary row's variant name with its flags, e.g. 'zeros [degenerate]'."""
    flags = flag_text(str(row["status"]), int(row["diverged"]), int(row["seeds"]))
    return plain(row["variant"]) + flags


def flag_text(status: str, diverged: int, seeds: int) -> str:
    """The marker a variant's label carries in figures: '' when nothing is wrong."""
    flags = []
    if status == "degenerate":
        flags.append("degenerate")
    if status == "diverged":
        flags.append("diverged")
    elif diverged:
        flags.append(f"{diverged}/{seeds} diverged")
    return f" [{', '.join(flags)}]" if flags else ""


def message(axis: Axes, text: str) -> None:
    """Write `text` in the middle of an empty panel (instead of a plot that cannot be drawn)."""
    axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes, wrap=True)
    axis.set_xticks([])
    axis.set_yticks([])
    axis.grid(False)


def hide_unused(axes: Sequence[Axes]) -> None:
    for axis in axes:
        axis.set_visible(False)


def save(figure: Figure, path: Path) -> None:
    """Save atomically as PNG (sharp in HTML and PDF alike) and free the figure's memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as temporary:
        figure.savefig(temporary, bbox_inches="tight", format="png")
    plt.close(figure)
