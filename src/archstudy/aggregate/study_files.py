"""What a study's steps write: the names of its tables and figures, and the tables' CSV format.

Kept free of scipy, scikit-learn and matplotlib so that the steps which only read the tables
(figures, report) start without importing what only building them needs; pandas is imported
when a table is read or written, so the workflow (rules/common.smk) imports the names for free.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archstudy.atomic import atomic_path

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("summary", "epochs", "per_class", "confusion", "pairwise", "misclassified", "seeds")
# Charts are SVG (vector, explorable in the HTML); the image gallery is a greyscale PNG.
FIGURES = (
    "learning_curves.svg",
    "overfitting_gap.svg",
    "comparison.svg",
    "tradeoffs.svg",
    "hyperparameters.svg",
    "confusion_best.svg",
    "confusion_variants.svg",
    "misclassified.png",
)
# A folder beside them with one figure per variant (its seeds' curves), `{n}.svg` from 1.
VARIANT_FIGURES = "variants"

# The tables the figures are drawn from (the rule plot_study's inputs).
PLOTTED_TABLES = ("summary", "epochs", "confusion", "misclassified")

# How many of the best variant's most confident mistakes the misclassified table (and its
# gallery) shows.
GALLERY_SIZE = 16

# A variant whose mean test accuracy is within this margin of always predicting the most
# common class has learned nothing useful (all-zero initialisation, for example); the summary
# table's status column says "degenerate".
DEGENERATE_MARGIN = 0.05

RUNTIME_KEYS = ("host", "platform", "cpu", "backend", "device", "threads")
# Columns that hold names: a variant or class called "128" must stay text when read back.
TEXT_COLUMNS = (
    "variant",
    "variant_id",
    "best_variant",
    "other",
    "hidden",
    "activations",
    "class_name",
    "true_name",
    "predicted_name",
    "stopped",
    "status",
    "test_accuracy_ci_covers",
    "val_accuracy_ci_covers",
    "learning_rate_chosen_by",
    *RUNTIME_KEYS,
)


def table_file(folder: Path, table: str) -> Path:
    """Where table `table` of a study is, in the study's folder."""
    return folder / f"{table}.csv"


def figure_file(folder: Path, figure: str) -> Path:
    """Where figure `figure` (a name in FIGURES, which says its format) of a study is."""
    return folder / figure


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write a table atomically with full float precision."""
    with atomic_path(path, suffix=".csv") as temporary:
        table.to_csv(temporary, index=False)


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by `write_csv`, keeping name columns as text."""
    import pandas as pd

    return pd.read_csv(
        path, dtype=dict.fromkeys(TEXT_COLUMNS, str), keep_default_na=False, na_values=[""]
    )
