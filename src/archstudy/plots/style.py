"""One matplotlib style for every figure of the report: colour-blind-safe, vector charts (SVG)
that the HTML makes explorable and the PDF prints sharp, small greyscale PNG galleries."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on clusters or CI

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from archstudy.atomic import atomic_path, write_text  # noqa: E402

# Okabe & Ito's palette stays distinguishable under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FLAGGED_COLOUR, NEUTRAL_COLOUR = "#8C8C8C", "#4D4D4D"
# Line styles repeat the palette's distinctions for readers who cannot rely on colour at all.
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D")  # and marker shapes, for points (which have no dashes)
MATRIX_COLOURMAP = "Reds"  # errors only: white is none, dark red the most
BEST_WIDTH, OTHER_WIDTH = 2.6, 1.2  # the chosen variant's line stands out in every figure
WIDTH = 6.1  # inches: within the PDF's text column (6.5 in) with the legend, so printed 1:1
STYLE: dict[Any, Any] = {  # matplotlib types rc keys as literals; these are all valid
    "figure.dpi": 110,
    "savefig.dpi": 110,  # galleries only; charts are vectors
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    # Text as text: a tenth of the bytes of glyph outlines. Browsers and Typst draw it in
    # DejaVu Sans (matplotlib's own font, whose widths it laid out with) where installed,
    # else in a similar sans-serif.
    "svg.fonttype": "none",
    "svg.hashsalt": "archstudy",  # stable element ids: the same figure gives the same bytes
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
}
_GID = re.compile(r'<g id="archstudy-(\d+)">')
_LONG_NUMBER = re.compile(r"(\d\.\d\d)\d{3,}")  # coordinates: 1/100 px is plenty
_FONT = re.compile(r"font-family: [^;\"]*;? ?")
FONTS = "'DejaVu Sans', Verdana, Arial, sans-serif"


def variant_colours(summary: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Colour and dash pattern per variant, in the study's order: the same in every figure."""
    return {str(name): line_style(index) for index, name in enumerate(summary["variant"])}


def line_style(index: int) -> dict[str, Any]:
    """Colour and dash pattern of the `index`-th series; no two of the first 32 look alike."""
    return {
        "color": PALETTE[index % len(PALETTE)],
        "linestyle": LINESTYLES[(index // len(PALETTE)) % len(LINESTYLES)],
    }


def marker_of(index: int) -> str:
    """The marker shape of the `index`-th variant: a new shape each time the palette repeats."""
    return MARKERS[(index // len(PALETTE)) % len(MARKERS)]


def plain(text: object) -> str:
    """`text` as matplotlib should print it: a `$` in a name must not start mathematics."""
    return str(text).replace("$", r"\$")


def shorten(text: str, limit: int = 28) -> str:
    """A long name cut to `limit` characters with an ellipsis (the HTML hover has it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def variant_label(row: Mapping[str, Any], limit: int = 28) -> str:
    """A summary row's variant name with its flags, e.g. 'zeros [degenerate]'; ★ marks the
    chosen variant (best by validation accuracy)."""
    flags = flag_text(str(row["status"]), int(row["diverged"]), int(row["seeds"]))
    star = "★ " if bool(row.get("best", False)) else ""
    return star + plain(shorten(str(row["variant"]), limit)) + flags


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


class Marks:
    """What the HTML's script needs to know about a figure's artists: which variant each series
    and legend entry belongs to (to hide and show it) and the exact values to show on hover.

    Artists get a numbered gid; `svg_text` turns each into data attributes and a <title>."""

    def __init__(self) -> None:
        self._marks: list[tuple[str, int, str]] = []

    def _tag(self, artist: Artist, role: str, key: int, title: str) -> None:
        artist.set_gid(f"archstudy-{len(self._marks)}")
        self._marks.append((role, key, title))

    def series(self, artists: Sequence[Artist] | Artist, key: int, title: str = "") -> None:
        for artist in artists if isinstance(artists, Sequence) else [artists]:
            self._tag(artist, "series", key, title)

    def hover(self, artist: Artist, title: str) -> None:
        """Exact values shown when the pointer rests on `artist` (not tied to a variant)."""
        self._tag(artist, "hover", -1, title)

    def legend(self, axis_or_figure: Axes | Figure, keys: Sequence[int]) -> None:
        """Tag the entries of the legend just drawn on `axis_or_figure`, in order of `keys`."""
        if isinstance(axis_or_figure, Figure):
            legend = axis_or_figure.legends[-1] if axis_or_figure.legends else None
        else:
            legend = axis_or_figure.get_legend()
        if legend is None:
            return
        handles = legend.legend_handles
        for handle, text, key in zip(handles, legend.get_texts(), keys, strict=False):
            if handle is not None:
                self._tag(handle, "legend", key, "click: hide or show this variant")
            self._tag(text, "legend", key, "click: hide or show this variant")

    def svg_text(self, svg: str) -> str:
        """The SVG with each tagged group's id replaced by its role, variant and <title>."""

        def replace(match: re.Match[str]) -> str:
            role, key, title = self._marks[int(match.group(1))]
            tooltip = f"<title>{escape(title)}</title>" if title else ""
            return f'<g class="{role}" data-variant="{key}">{tooltip}'

        return _GID.sub(replace, svg)


def save_svg(figure: Figure, marks: Marks | None, path: Path) -> None:
    """Save a chart atomically as SVG (vector: sharp at any zoom, small) and free its memory."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):  # the svg.* settings are read when saving
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = minify(buffer.getvalue())
    # The root element says the figure is ours: the report's script makes it explorable.
    text = text.replace("<svg ", '<svg class="archstudy-chart" ', 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, marks.svg_text(text) if marks else text)


def minify(svg: str) -> str:
    """matplotlib's SVG without its indentation, six-decimal coordinates and long font lists:
    about half the bytes, the same picture."""
    svg = re.sub(r"\s*\n\s*", " ", svg)
    svg = re.sub(r">\s+<", "><", svg)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg)  # matplotlib's name and version
    svg = svg.replace(' transform="rotate(-0 ', ' data-r="')  # no rotation: nothing to say
    svg = re.sub(r' data-r="[^"]*"', "", svg)
    # matplotlib names every group (xtick_3, text_12); nothing refers to those names.
    svg = re.sub(r'<g id="[A-Za-z0-9_.]+">', "<g>", svg)
    # One font list on the root element, inherited by every text, instead of one per text.
    svg = _FONT.sub("", svg).replace("<svg ", f'<svg font-family="{FONTS}" ', 1)
    return _LONG_NUMBER.sub(r"\1", svg)


def save(figure: Figure, path: Path, *, grey: bool = False) -> None:
    """Save atomically as PNG on opaque white, greyscale if `grey` (image galleries), and free
    the figure's memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as temporary:
        # Opaque white, 8-bit grey: a quarter of an RGBA PNG's bytes for the same picture.
        figure.savefig(
            temporary,
            bbox_inches="tight",
            format="png",
            facecolor="white",
            pil_kwargs={"optimize": True},
            metadata={"Software": None},
        )
    plt.close(figure)
    if grey:
        _to_grey(path)


def _to_grey(path: Path) -> None:
    """Rewrite a PNG as 8-bit greyscale (galleries are greyscale images on white)."""
    from PIL import Image

    with Image.open(path) as image:
        grey = image.convert("L")
    with atomic_path(path, suffix=path.suffix) as temporary:
        grey.save(temporary, format="png", optimize=True)
