"""Tests for archstudy.plots (figures, galleries): every figure is drawn, whatever the runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixture import FixtureVariant, write_dataset, write_run

from archstudy.aggregate.runs import Member
from archstudy.aggregate.study_files import FIGURES, read_table
from archstudy.aggregate.study_tables import aggregate_study
from archstudy.data.prepared import load_prepared
from archstudy.plots.figures import plot_study
from archstudy.plots.galleries import class_samples

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
        assert (folder / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE, name


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
    assert_every_figure(draw(tmp_path, variants))


def test_class_samples(tmp_path: Path) -> None:
    npz, _ = write_dataset(tmp_path / "data")
    class_samples(load_prepared(npz), tmp_path / "samples.png", per_class=3)
    assert (tmp_path / "samples.png").read_bytes()[:8] == PNG_SIGNATURE
