"""Tests for archstudy.plots: every figure is drawn whatever the runs, and is legible: one
colour per variant, the chosen variant highlighted, no overlapping or degenerate axes, numbers
at least 7 pt where the PDF prints them."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from paths import ROOT
from PIL import Image
from report_fixture import FixtureVariant, write_dataset, write_run

from archstudy.aggregate.runs import Member
from archstudy.aggregate.study_files import FIGURES, VARIANT_FIGURES, read_table
from archstudy.aggregate.study_tables import aggregate_study
from archstudy.config.plan import build_plan
from archstudy.config.reader import load_config_file
from archstudy.data.prepared import load_prepared
from archstudy.plots import hparams, points
from archstudy.plots.figures import plot_study
from archstudy.plots.galleries import class_samples
from archstudy.plots.style import PALETTE
from archstudy.plots.sweeps import apart, find_sweeps
from archstudy.reporting.figure_embed import sweep_context

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_TEXT_WIDTH_PT = 470  # A4 less the template's margins: wider figures would be shrunk
SVG = "{http://www.w3.org/2000/svg}"
STUDY_003 = ROOT / "config" / "studies" / "003_width_depth_batch_lr.yaml"


def draw(tmp_path: Path, variants: list[FixtureVariant]) -> Path:
    """Fake runs of `variants`, aggregated and plotted; return the figures folder."""
    npz, _ = write_dataset(tmp_path / "data")
    seeds = tuple(range(len(variants[0].accuracies)))
    for variant in variants:
        for seed, accuracy in zip(seeds, variant.accuracies, strict=True):
            write_run(tmp_path / "runs", variant, seed, accuracy)
    members = [Member(v.name, v.variant_id, seeds) for v in variants]
    tables = aggregate_study(members, tmp_path / "runs", npz, tmp_path / "tables")
    tables = {name: read_table(tmp_path / "tables" / f"{name}.csv") for name in tables}
    plot_study(tables, load_prepared(npz), tmp_path / "figures")
    return tmp_path / "figures"


def assert_every_figure(folder: Path) -> None:
    for name in FIGURES:
        data = (folder / name).read_bytes()
        if name.endswith(".png"):
            assert data[:8] == PNG_SIGNATURE, name
            with Image.open(folder / name) as image:
                assert image.mode == "L", name  # galleries are greyscale
        else:
            svg = data.decode()
            assert 'class="archstudy-chart"' in svg, name
            # Printed at its own size in the PDF, so its font sizes are points on paper.
            width = float(re.search(r'<svg [^>]*width="([\d.]+)pt"', svg).group(1))
            assert width <= PDF_TEXT_WIDTH_PT, name
            sizes = [float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg)]
            assert sizes and min(sizes) >= 7, name


@pytest.mark.parametrize(
    "variants",
    [
        # Every seed of every variant diverged: no best variant, nothing to plot but messages.
        [FixtureVariant("a", (8,), (None, None)), FixtureVariant("b", (16,), (None, None))],
        # One variant, one seed: no spread, no interval, nothing to compare.
        [FixtureVariant("alone", (8,), (0.9,))],
        # Names that matplotlib would read as mathematics, and a degenerate variant.
        [
            FixtureVariant("cost $5", (8,), (0.9, 0.92)),
            FixtureVariant("$x^2$", (16,), (0.1, 0.1), degenerate=True),
        ],
    ],
    ids=["all-diverged", "one-seed", "dollar-names"],
)
def test_every_figure_is_drawn(tmp_path: Path, variants: list[FixtureVariant]) -> None:
    folder = draw(tmp_path, variants)
    assert_every_figure(folder)
    # One drill-down figure per variant, numbered in the study's order.
    drilled = sorted(path.name for path in (folder / VARIANT_FIGURES).iterdir())
    assert drilled == [f"{index}.svg" for index in range(1, len(variants) + 1)]


def series_groups(svg: str) -> list[tuple[int, str]]:
    """(variant key, the group's markup) of each series group of a chart."""
    root = ElementTree.fromstring(svg)
    return [
        (int(group.get("data-variant", "-1")), ElementTree.tostring(group, encoding="unicode"))
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "series"
    ]


def series_colours(svg: str) -> dict[int, set[str]]:
    """Per variant key, the palette colours its series are drawn in."""
    palette = {colour.lower() for colour in PALETTE[:7]}
    colours: dict[int, set[str]] = {}
    for key, markup in series_groups(svg):
        found = {colour.lower() for colour in re.findall(r"#[0-9a-fA-F]{6}", markup)}
        colours.setdefault(key, set()).update(found & palette)
    return colours


def test_each_variant_keeps_its_colour_and_the_chosen_one_stands_out(tmp_path: Path) -> None:
    variants = [
        FixtureVariant("w32", (32,), (0.80, 0.82, 0.81)),
        FixtureVariant("w128", (128,), (0.93, 0.94, 0.95)),
        FixtureVariant("w256", (256,), (0.85, 0.86, 0.84)),
    ]
    folder = draw(tmp_path, variants)
    for name in ("learning_curves.svg", "comparison.svg", "tradeoffs.svg", "hyperparameters.svg"):
        colours = series_colours((folder / name).read_text())
        assert set(colours) == {0, 1, 2}, name
        for key, found in colours.items():
            assert found == {PALETTE[key].lower()}, (name, key, found)
    curves = (folder / "learning_curves.svg").read_text()
    # w128 is best by validation: its lines are heavier, its legend entry starred.
    widths = {
        key: re.findall(r"stroke-width: ([\d.]+)", markup) for key, markup in series_groups(curves)
    }
    assert float(widths[1][0]) > max(float(widths[0][0]), float(widths[2][0]))
    assert "★ w128" in curves
    assert 'class="legend" data-variant="2"' in curves
    assert "<title>w256: validation accuracy per epoch" in curves


def summary_frame(names: list[str], parameters: list[int], accuracies: list[float]) -> pd.DataFrame:
    """A summary table with what the cost and comparison charts read."""
    accuracy = np.array(accuracies)
    return pd.DataFrame(
        {
            "variant": names,
            "status": "ok",
            "diverged": 0,
            "seeds": 3,
            "best": accuracy == accuracy.max(),
            "test_accuracy_mean": accuracy,
            "test_accuracy_ci_low": accuracy - 0.01,
            "test_accuracy_ci_high": accuracy + 0.01,
            "val_accuracy_mean": accuracy - 0.005,
            "parameters": parameters,
            "train_seconds_mean": np.linspace(10.0, 11.5, len(names)),
            "pareto_parameters": True,
            "pareto_seconds": True,
        }
    )


def assert_apart(texts: list) -> None:
    """No two of these (drawn, visible, non-empty) text artists overlap."""
    boxes = [text.get_window_extent() for text in texts if text.get_visible() and text.get_text()]
    for first, second in combinations(boxes, 2):
        assert not first.overlaps(second), (first, second)


def drawn(figure: Figure) -> Figure:
    figure.canvas.draw()
    return figure


@pytest.mark.parametrize(
    "parameters",
    [
        [101_770, 118_282, 134_794],  # the depth study: a narrow linear range
        [101_770, 101_770, 101_770],  # activation study: every variant the same size
        [25_450, 101_770, 407_050],  # the width study: a log range
    ],
    ids=["narrow", "equal", "decades"],
)
def test_cost_axes_are_readable(parameters: list[int]) -> None:
    names = ["a-very-long-variant-name-that-goes-on-and-on", "relu", "tanh"]
    figure, _ = points.tradeoffs(summary_frame(names, parameters, [0.90, 0.93, 0.91]))
    left = drawn(figure).axes[0]
    assert_apart(left.get_xticklabels())
    assert_apart([text for legend in figure.legends for text in legend.get_texts()])
    low, high = left.get_xlim()
    for value in parameters:  # every point well inside the axis, none squeezed at an edge
        fraction = (
            (np.log(value) - np.log(low)) / (np.log(high) - np.log(low))
            if left.get_xscale() == "log"
            else (value - low) / (high - low)
        )
        assert 0.02 < fraction < 0.98
    if len(set(parameters)) == 1:
        assert left.get_xscale() == "linear"
        assert [label.get_text() for label in left.get_xticklabels()] == ["101,770"]


def test_comparison_of_one_variant_and_of_long_names() -> None:
    figure, _ = points.comparison(summary_frame(["alone"], [10], [0.9]))
    axis = drawn(figure).axes[0]
    assert [label.get_text() for label in axis.get_yticklabels()] == ["★ alone"]
    assert_apart([axis.xaxis.label, *axis.get_xticklabels(), *figure.legends[0].get_texts()])
    # A validation mean far below every test interval is still on the axis.
    far = summary_frame(["a", "b"], [10, 10], [0.90, 0.91]).assign(val_accuracy_mean=[0.80, 0.9])
    figure, _ = points.comparison(far)
    assert drawn(figure).axes[0].get_xlim()[0] < 0.80
    names = [f"variant-with-a-rather-long-name-{index}" for index in range(6)]
    figure, _ = points.comparison(summary_frame(names, [10] * 6, list(np.linspace(0.8, 0.9, 6))))
    assert_apart(drawn(figure).axes[0].get_yticklabels())


def study_003_summary() -> pd.DataFrame:
    """Notebook 003's variants as the plan resolves them, with made-up accuracies."""
    plan = build_plan(load_config_file(STUDY_003))
    rows = []
    for variant in plan.studies["exercises"].variants:
        settings = plan.hyperparameters[variant.variant_id]
        rows.append(
            {
                "variant": variant.name,
                "hidden": "-".join(str(size) for size in settings.hidden) or "none",
                "activations": "-".join(settings.activations),
                "kernel_initializer": settings.kernel_initializer,
                "optimizer": settings.optimizer,
                "learning_rate": settings.learning_rate,
                "batch_size": settings.batch_size,
                "epochs": settings.epochs,
                "validation_split": settings.validation_split,
            }
        )
    frame = pd.DataFrame(rows)
    accuracy = 0.9 + 0.005 * np.arange(len(frame))
    extra = summary_frame(list(frame["variant"]), [1] * len(frame), list(accuracy))
    summary = frame.merge(extra, on="variant")
    # The learning rate typed as 0.2 stalls at chance, as in the notebook.
    stalled = summary["variant"] == "lr0.2"
    summary.loc[stalled, "status"] = "degenerate"
    summary.loc[
        stalled, ["test_accuracy_mean", "test_accuracy_ci_low", "test_accuracy_ci_high"]
    ] = (
        0.10,
        0.09,
        0.11,
    )
    return summary


def test_notebook_003_gets_its_batch_size_and_learning_rate_views() -> None:
    summary = study_003_summary()
    sweeps = {sweep.key: sweep for sweep in find_sweeps(summary)}
    assert sweeps["batch_size"].variants == ("batch1", "w200x2", "batch10000")
    assert sweeps["batch_size"].logarithmic
    assert sweeps["learning_rate"].variants == ("lr0.0001", "w200x2", "lr0.02", "lr0.2")
    assert sweeps["learning_rate"].logarithmic
    # Two lines of depth: ReLU (as the notebook's sections 1-2) and sigmoid (its section 4).
    depth = {sweep.variants for sweep in find_sweeps(summary) if sweep.key == "depth"}
    assert depth == {("w200x2", "w200x3"), ("sigmoid_one_layer", "sigmoid_both")}
    assert not sweeps["depth"].logarithmic
    # `mixed` changes four settings at once: it is on no line.
    assert "mixed" in apart(summary, list(sweeps.values()))
    figure, _ = hparams.hyperparameters(summary)
    panels = [axis for axis in drawn(figure).axes if axis.get_visible()]
    labels = [axis.get_xlabel() for axis in panels]
    assert labels[0].startswith("batch size") and "log scale" in labels[0]
    assert labels[1].startswith("learning rate") and "log scale" in labels[1]
    assert labels[2].startswith("depth") and "log" not in labels[2]
    for axis in panels:
        assert_apart(axis.get_xticklabels())
    assert [label.get_text() for label in panels[0].get_xticklabels()] == ["1", "100", "10000"]
    assert panels[1].get_ylim()[0] < 0.10  # the stalled rate is on the axis, not cut off
    # The report says so beside the figure (figure_embed decides whether it is shown).
    words = sweep_context(summary)
    assert words is not None
    assert words["settings"] == "batch size, learning rate, depth"
    assert "mixed" in words["apart"]


def test_no_sweep_in_a_study_of_one_variant_or_of_unrelated_variants() -> None:
    summary = study_003_summary()
    assert find_sweeps(summary[summary["variant"] == "w200x2"]) == []
    unrelated = summary[summary["variant"].isin(["mixed", "five_layers", "sigmoid_one_layer"])]
    assert find_sweeps(unrelated) == []


def test_class_samples(tmp_path: Path) -> None:
    npz, _ = write_dataset(tmp_path / "data")
    class_samples(load_prepared(npz), tmp_path / "samples.png", per_class=3)
    assert (tmp_path / "samples.png").read_bytes()[:8] == PNG_SIGNATURE
