"""A whole report rendered from fixture results, without training anything.

Two studies on a synthetic 10-class dataset. The first has three seeds and every kind of
trouble: a title and a variant name with markup in them, a variant with one diverged seed, one
whose every seed diverged and a degenerate one (always predicts class 0). The second has two
seeds (so no paired test across seeds). Runs are written exactly as training writes them, then
the real aggregate, plot and render functions build the report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import factories
import numpy as np
from factories import REPORT_ASSETS, REPOSITORY

from archstudy.aggregate.runs import Member
from archstudy.aggregate.study_files import read_table
from archstudy.aggregate.study_tables import aggregate_study
from archstudy.data.prepared import load_prepared
from archstudy.plots.figures import plot_study
from archstudy.plots.galleries import class_samples
from archstudy.reporting.document import StudyInput, build_context, write_markdown
from archstudy.reporting.render import PANDOC_TYPST, render_report

CLASS_NAMES = tuple(f"class {digit}" for digit in range(10))
TEST_SIZE = 200
EPOCHS = 4
XSS_TITLE = "Width <script>window.xssTitle = 1</script> & more"
XSS_VARIANT = "w&<script>window.xssVariant=1</script>"


@dataclass(frozen=True)
class FixtureVariant:
    """A variant to fake: its name, hidden layers, and per-seed test accuracy (None: diverged)."""

    name: str
    hidden: tuple[int, ...]
    accuracies: tuple[float | None, ...]
    degenerate: bool = False

    @property
    def variant_id(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()[:12]


STUDIES = {
    "width": (
        XSS_TITLE,
        (
            FixtureVariant("w32", (32,), (0.80, 0.82, 0.81)),
            FixtureVariant(XSS_VARIANT, (128,), (0.93, 0.94, 0.95)),
            FixtureVariant("unstable", (256,), (0.85, 0.86, None)),
            FixtureVariant("exploded", (512,), (None, None, None)),
            FixtureVariant("zeros", (64,), (0.1, 0.1, 0.1), degenerate=True),
        ),
    ),
    "depth": (
        "Depth at constant width",
        (
            FixtureVariant("one", (64,), (0.90, 0.91)),
            FixtureVariant("two", (64, 64), (0.905, 0.912)),
        ),
    ),
}


def y_test() -> np.ndarray:
    return np.arange(TEST_SIZE, dtype=np.uint8) % len(CLASS_NAMES)


def write_dataset(data_dir: Path) -> tuple[Path, Path]:
    """A prepared dataset (blobs whose position depends on the class) and its description."""
    rng = np.random.default_rng(0)

    def images(labels: np.ndarray) -> np.ndarray:
        x = rng.integers(0, 40, (len(labels), 28, 28)).astype(np.uint8)
        for index, label in enumerate(labels):
            row, column = 4 + 2 * int(label), 4 + int(label)
            x[index, row : row + 6, column : column + 10] = 255
        return x

    y_train = np.arange(100, dtype=np.uint8) % len(CLASS_NAMES)
    data_dir.mkdir(parents=True, exist_ok=True)
    npz = data_dir / "synthetic.npz"
    x_train, x_test = images(y_train), images(y_test())
    factories.write_prepared(npz, y_train, y_test(), CLASS_NAMES, x_train, x_test)
    counts = {name: TEST_SIZE // len(CLASS_NAMES) for name in CLASS_NAMES}
    info = {
        "dataset": "synthetic",
        "sizes": {"train": len(y_train), "test": TEST_SIZE},
        "class_names": list(CLASS_NAMES),
        "class_counts": {"train": {name: 10 for name in CLASS_NAMES}, "test": counts},
        "train_pixel_mean": 0.13,
        "train_pixel_std": 0.31,
        "files": {"synthetic.csv.gz": "0123456789abcdef0123456789abcdef"},
    }
    info_path = data_dir / "synthetic.json"
    info_path.write_text(json.dumps(info))
    return npz, info_path


def write_run(runs_root: Path, variant: FixtureVariant, seed: int, accuracy: float | None) -> None:
    """One seed's files as training writes them."""
    rng = np.random.default_rng(1000 * seed + len(variant.name))
    labels = y_test()
    diverged = accuracy is None
    if diverged:
        probabilities = np.full((TEST_SIZE, len(CLASS_NAMES)), np.nan, dtype=np.float32)
        predicted = labels
    elif variant.degenerate:
        predicted = np.zeros_like(labels)
    else:
        right = rng.permutation(TEST_SIZE) < round(accuracy * TEST_SIZE)
        predicted = np.where(right, labels, (labels + 1 + rng.integers(0, 9, TEST_SIZE)) % 10)
    if not diverged:
        probabilities = rng.uniform(0.0, 0.1, (TEST_SIZE, len(CLASS_NAMES))).astype(np.float32)
        probabilities[np.arange(TEST_SIZE), predicted] = rng.uniform(0.4, 1.0, TEST_SIZE)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
    test_accuracy = float(np.mean(predicted == labels)) if not diverged else 0.1
    epochs = 1 if diverged else EPOCHS
    epoch = np.arange(1, epochs + 1)
    loss = np.full(epochs, np.nan) if diverged else 1.5 / epoch + 0.1 * seed
    accuracy_curve = np.full(epochs, 0.1) if diverged else test_accuracy - 0.2 / epoch
    history = {
        "epoch": epoch,
        "loss": loss,
        "accuracy": accuracy_curve + 0.03,
        "val_loss": loss + 0.1,
        "val_accuracy": accuracy_curve,
        "seconds": np.full(epochs, 0.5),
    }
    final = np.nan if diverged else test_accuracy
    metrics = {
        "hyperparameters": {
            "dataset": "synthetic",
            "hidden": list(variant.hidden),
            "activations": ["relu"] * len(variant.hidden),
            "kernel_initializer": "zeros" if variant.degenerate else "glorot_uniform",
            "optimizer": "adam",
            "learning_rate": 0.001,
            "batch_size": 32,
            "epochs": EPOCHS,
            "validation_split": 0.1,
        },
        "parameters": 784 * variant.hidden[0] + 10 * variant.hidden[-1] + 1000,
        "flops_per_example": 2 * 784 * variant.hidden[0],
        "train_loss": float(loss[-1]),
        "train_accuracy": final + 0.03,
        "val_loss": float(loss[-1]) + 0.1,
        "val_accuracy": final - 0.01 * seed,
        "test_loss": float(loss[-1]) + 0.2,
        "test_accuracy": test_accuracy if not diverged else np.nan,
        "train_seconds": 1.0 + variant.hidden[0] / 100 + seed / 10,
        "epochs_run": epochs,
        "epochs_planned": EPOCHS,
        "stopped": "diverged" if diverged else "completed",
        "examples": {"fit": 90, "validation": 10, "test": TEST_SIZE},
        "runtime": {
            "host": "fixture-host",
            "platform": "Linux",
            "backend": "tensorflow",
            "device": "cpu",
            "threads": 1,
        },
    }
    factories.write_run(runs_root, variant.variant_id, seed, metrics, history, probabilities)


def build_report(root: Path) -> Path:
    """Write fixture runs, aggregate and plot them, and render the report; return its folder."""
    npz, info = write_dataset(root / "data")
    samples = root / "data" / "synthetic.samples.png"
    class_samples(load_prepared(npz), samples)
    studies = []
    for name, (title, variants) in STUDIES.items():
        seeds = tuple(range(len(variants[0].accuracies)))
        for variant in variants:
            for seed, accuracy in zip(seeds, variant.accuracies, strict=True):
                write_run(root / "runs", variant, seed, accuracy)
        members = [Member(v.name, v.variant_id, seeds) for v in variants]
        tables_dir = root / "studies" / name
        tables = aggregate_study(members, root / "runs", npz, tables_dir)
        tables = {key: read_table(tables_dir / f"{key}.csv") for key in tables}
        plot_study(tables, load_prepared(npz), tables_dir / "figures")
        studies.append(
            StudyInput(
                name,
                title,
                "A fixture study & its <i>description</i>.",
                "synthetic",
                seeds,
                tables_dir,
                tables_dir / "figures",
            )
        )
    report_dir = root / "report"
    context = build_context(
        "Fixture report <b>&</b>",
        None,
        studies,
        {"synthetic": info},
        "studies: {}\n",
        PANDOC_TYPST,
        report_dir,
        "snakemake --cores all",
        dataset_samples={"synthetic": samples},
        repository=REPOSITORY,
    )
    write_markdown(context, report_dir / "report.md", REPORT_ASSETS)
    render_report(
        report_dir / "report.md",
        report_dir / "report.html",
        report_dir / "report.pdf",
        PANDOC_TYPST,
        assets=REPORT_ASSETS,
        log=lambda message: None,
    )
    return report_dir
