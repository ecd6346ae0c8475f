"""The appendix of every variant's per-seed values, as display text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from archstudy.aggregate.study_files import read_table
from archstudy.reporting.findings import format_number


def seed_rows_of(tables_dir: Path) -> tuple[pd.DataFrame | None, list[dict[str, str]]]:
    """The per-seed table (when the study has one) and its rows as display text."""
    path = tables_dir / "seeds.csv"
    if not path.exists():  # tables written before per-seed values were kept
        return None, []
    seeds = read_table(path)
    rows = [
        {
            "variant": str(record["variant"]),
            "seed": str(int(record["seed"])),
            "stopped": str(record["stopped"]),
            "val_accuracy": format_number(record["val_accuracy"]),
            "test_accuracy": format_number(record["test_accuracy"]),
            "test_loss": format_number(record["test_loss"]),
            "first_epoch": format_number(record["first_epoch_seconds"], 2),
            "later_epoch": format_number(record["later_epoch_seconds"], 2),
            "seconds": format_number(record["train_seconds"], 2),
        }
        for record in seeds.to_dict(orient="records")
    ]
    return seeds, rows
