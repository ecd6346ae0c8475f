"""What the report adds around a study's figures: the figures copied beside it, the
hyperparameter view when the study has a sweep, CSV downloads of its tables, marks on settings
that differ from the study's defaults, and one drill-down per variant."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from archstudy.aggregate.study_files import FIGURES, VARIANT_FIGURES, read_table
from archstudy.plots.sweeps import NUMERIC, apart, find_sweeps

# The report's download links: the tables a reader may want to analyse further.
DOWNLOADS = ("summary", "epochs", "per_class", "confusion", "pairwise")
# Config keys as the variant table names its columns (row keys of study_rows.variant_rows).
COLUMNS = {
    "hidden": "hidden",
    "activation": "activations",
    "kernel_initializer": "initializer",
    "optimizer": "optimizer",
    "learning_rate": "learning_rate",
    "batch_size": "batch_size",
    "validation_split": "validation_split",
}


def copy_figures(figures_dir: Path, target: Path, report_dir: Path) -> dict[str, str]:
    """Copy a study's figures beside the report; their paths relative to it, by figure name."""
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in FIGURES:
        shutil.copyfile(figures_dir / name, target / name)
        paths[name.rsplit(".", 1)[0]] = (target / name).relative_to(report_dir).as_posix()
    variants = figures_dir / VARIANT_FIGURES
    if variants.is_dir():  # tables of an earlier version have no drill-down figures
        shutil.copytree(variants, target / VARIANT_FIGURES, dirs_exist_ok=True)
        paths["variants"] = (target / VARIANT_FIGURES).relative_to(report_dir).as_posix()
    return paths


def sweep_context(summary: pd.DataFrame) -> dict[str, Any] | None:
    """What the hyperparameter figure shows, in words; None when the study has no sweep."""
    sweeps = find_sweeps(summary)
    if not sweeps:
        return None
    return {
        "settings": ", ".join(dict.fromkeys(NUMERIC[sweep.key].split(" (")[0] for sweep in sweeps)),
        "lines": [
            f"{NUMERIC[sweep.key].split(' (')[0]}: {', '.join(sweep.variants)}" for sweep in sweeps
        ],
        "apart": ", ".join(apart(summary, sweeps)),
    }


def csv_links(tables_dir: Path, study: str) -> str:
    """One HTML paragraph of links that download the study's tables as CSV (data: URIs, so the
    report stays one file)."""
    links = []
    for name in DOWNLOADS:
        path = tables_dir / f"{name}.csv"
        if not path.is_file():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        filename = escape(f"{study}-{name}.csv")
        links.append(
            f'<a download="{filename}" href="data:text/csv;base64,{data}">{escape(name)}.csv</a>'
        )
    return '<p class="downloads">Download this study\'s tables: ' + " · ".join(links) + "</p>"


def changed_settings(config: Mapping[str, Any], study: str) -> dict[str, list[str]]:
    """Per variant, the config keys it sets to something other than the study's defaults."""
    # Config side only (the workflow calls it); the report job gets the lists.
    from archstudy.config.plan import expand_grid
    from archstudy.config.schema import load_schema, schema_defaults

    section = config["studies"][study]
    builtin = schema_defaults(load_schema()["$defs"]["hyperparameters"])
    defaults = {**builtin, **config.get("defaults", {}), **section.get("defaults", {})}
    declared = {**expand_grid(section.get("grid", {})), **section.get("variants", {})}
    return {
        name: [key for key, value in (overrides or {}).items() if defaults.get(key) != value]
        for name, overrides in declared.items()
    }


def mark_changed(rows: list[dict[str, Any]], changed: Mapping[str, Sequence[str]]) -> None:
    """Give each variant table row the columns whose setting differs from the defaults."""
    for row in rows:
        keys = changed.get(str(row["variant"]), ())
        row["changed"] = sorted(COLUMNS[key] for key in keys if key in COLUMNS)


def detail_anchor(study_anchor: str, index: int) -> str:
    return f"{study_anchor}-variant-{index + 1}"


def _per_seed(epochs: pd.DataFrame, pairwise: pd.DataFrame, variant: str) -> list[dict[str, str]]:
    """Each seed's last epoch (train and validation) and its test accuracy where a McNemar
    comparison recorded it."""
    test: dict[int, float] = {}
    mcnemar = pairwise[pairwise["test"] == "mcnemar"] if "test" in pairwise else pairwise
    for record in mcnemar.to_dict(orient="records"):
        if record["best_variant"] == variant:
            test[int(record["seed"])] = float(record["best_accuracy"])
        elif record["other"] == variant:
            test[int(record["seed"])] = float(record["other_accuracy"])
    rows = []
    mine = epochs[epochs["variant"] == variant]
    for seed, runs in mine.groupby("seed"):
        last = runs.sort_values("epoch").iloc[-1]
        diverged = bool(last["diverged"])
        rows.append(
            {
                "seed": str(seed),
                "epochs": str(int(last["epoch"])),
                "train_accuracy": "n/a" if diverged else f"{last['accuracy']:.4f}",
                "val_accuracy": "n/a" if diverged else f"{last['val_accuracy']:.4f}",
                "val_loss": "n/a" if diverged else f"{last['val_loss']:.4f}",
                "test_accuracy": f"{test[int(seed)]:.4f}" if int(seed) in test else "n/a",
                "status": "diverged" if diverged else "completed",
            }
        )
    return rows


def variant_details(
    tables_dir: Path, rows: list[dict[str, Any]], study_anchor: str, figures: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One drill-down per variant: its settings (changed ones marked), its seeds' numbers and
    where its colour is in the figures. Also links each table row to its drill-down."""
    epochs = read_table(tables_dir / "epochs.csv")
    pairwise = read_table(tables_dir / "pairwise.csv")
    details = []
    for index, row in enumerate(rows):
        row["detail"] = detail_anchor(study_anchor, index)
        settings = [
            (label, str(row[column]), column in row.get("changed", ()))
            for label, column in (
                ("hidden layers", "hidden"),
                ("activations", "activations"),
                ("initialiser", "initializer"),
                ("optimizer", "optimizer"),
                ("learning rate", "learning_rate"),
                ("batch size", "batch_size"),
                ("validation split", "validation_split"),
                ("epochs run", "epochs"),
            )
        ]
        details.append(
            {
                "anchor": row["detail"],
                "variant": row["variant"],
                "summary_html": escape(str(row["variant"])) + (" ★" if row["mark"] else ""),
                "settings": settings,
                "seeds": _per_seed(epochs, pairwise, str(row["variant"])),
                "colour": index,
                "curves": f"{figures['variants']}/{index + 1}.svg"
                if "variants" in figures
                else None,
            }
        )
    return details
