"""Checks of every recorded run and study table, without retraining anything.

A retrained sample cannot see an edit to a run outside it. These checks can: each run must
agree with its own folder name and hyperparameters (a changed hyperparameter changes the
variant id), its predictions must give its recorded test accuracy, and every study table is
recomputed from the runs by the workflow's own aggregation code and compared cell by cell,
so a changed metric, history row, prediction or table is named with its file and value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archstudy.aggregate.runs import Member
from archstudy.aggregate.study_files import TABLES, read_table, table_file
from archstudy.aggregate.study_tables import aggregate_study
from archstudy.config.hyperparameters import Hyperparameters
from archstudy.config.plan import build_plan
from archstudy.config.reader import load_config_file
from archstudy.layout import RUNS_ROOT, STUDY_DIR, TRAINING_RESOURCES, fill, under
from archstudy.review.results import RECORDED_FILES, RunRef, read_run
from archstudy.train.run_files import (
    HISTORY_FILE,
    HYPERPARAMETERS_FILE,
    METRICS_FILE,
    PROBABILITIES_FILE,
    SEED_FOLDERS,
    seed_dir,
    variant_dir,
)

# Keras' accuracy is a float32 mean: allow its rounding, not one example's worth.
_ACCURACY_ROUNDING = 1e-6
# Columns that identify a table row in messages, in the order they are shown.
_ROW_KEYS = ("variant", "seed", "epoch", "other", "class_name", "true_name", "rank")
_SHOWN_PER_TABLE = 5


def check_run(run: RunRef, y_test: np.ndarray | None) -> list[str]:
    """What is wrong with one recorded run, each as 'file: what'."""
    missing = [name for name in RECORDED_FILES if not (run.folder / name).is_file()]
    if missing:
        return [f"{run.folder}: missing {', '.join(missing)}"]
    recorded = read_run(run.folder)
    metrics, problems = recorded.metrics, []
    where = run.folder / METRICS_FILE
    if metrics.get("variant_id") != run.variant_id or metrics.get("seed") != run.seed:
        problems.append(
            f"{where}: variant_id {metrics.get('variant_id')!r}, seed {metrics.get('seed')!r} "
            f"do not match the folder ({seed_dir(Path(run.variant_id), run.seed).as_posix()})"
        )
    try:
        computed = Hyperparameters.from_json(metrics["hyperparameters"]).variant_id
    except (KeyError, TypeError, ValueError) as error:
        return [*problems, f"{where}: unreadable hyperparameters ({error})"]
    if computed != run.variant_id:
        problems.append(
            f"{where}: the recorded hyperparameters hash to {computed}, not {run.variant_id}: "
            "a hyperparameter was changed after training"
        )
    shared = run.folder.parent / HYPERPARAMETERS_FILE
    if shared.is_file() and json.loads(shared.read_text()) != metrics["hyperparameters"]:
        problems.append(f"{shared}: differs from the hyperparameters in {where}")
    if len(recorded.history) != metrics.get("epochs_run"):
        problems.append(
            f"{run.folder / HISTORY_FILE}: {len(recorded.history)} epochs, but {where} "
            f"records epochs_run {metrics.get('epochs_run')!r}"
        )
    if y_test is not None:
        problems += _check_predictions(run, recorded.probabilities, metrics, y_test)
    return problems


def _check_predictions(
    run: RunRef, probabilities: np.ndarray, metrics: Mapping[str, Any], y_test: np.ndarray
) -> list[str]:
    where = run.folder / PROBABILITIES_FILE
    if probabilities.ndim != 2 or len(probabilities) != len(y_test):
        return [f"{where}: shape {probabilities.shape}, expected ({len(y_test)}, classes)"]
    if metrics.get("stopped") == "diverged":
        return []  # a diverged network's predictions are arbitrary (NaN probabilities)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
    recorded = metrics.get("test_accuracy")
    if not isinstance(recorded, float) or abs(accuracy - recorded) > _ACCURACY_ROUNDING:
        return [
            f"{where}: the predictions give test accuracy {accuracy:.6g}, but "
            f"{run.folder / METRICS_FILE} records {recorded!r}"
        ]
    return []


def check_tables(
    results_dir: Path, study: str, members: Sequence[Member], data: Path, scratch: Path
) -> list[str]:
    """Recompute the study's tables from the runs into `scratch`; name every mismatch."""
    recomputed = under(scratch, STUDY_DIR, study=study)
    members = [_with_resources(results_dir, member) for member in members]
    aggregate_study(members, under(results_dir, RUNS_ROOT), data, recomputed)
    ids = {member.name: member.variant_id for member in members}
    problems = []
    for table in TABLES:
        recorded_path = table_file(under(results_dir, STUDY_DIR, study=study), table)
        if not recorded_path.is_file():
            problems.append(f"{recorded_path}: missing")
            continue
        fresh_path = table_file(recomputed, table)
        if recorded_path.read_bytes() == fresh_path.read_bytes():
            continue
        problems += _table_differences(
            recorded_path, read_table(recorded_path), read_table(fresh_path), ids
        )
    return problems


def _with_resources(results_dir: Path, member: Member) -> Member:
    """The member with its training job's record in `results_dir`, as the workflow passes it
    (the summary's job_* columns are read from it; they are NaN when it is absent)."""
    record = under(results_dir, TRAINING_RESOURCES, variant_id=member.variant_id)
    return replace(member, resources=record if record.is_file() else None)


def _table_differences(
    path: Path, recorded: pd.DataFrame, recomputed: pd.DataFrame, ids: Mapping[str, str]
) -> list[str]:
    if recorded.shape != recomputed.shape or list(recorded.columns) != list(recomputed.columns):
        return [
            f"{path}: {recorded.shape[0]} rows x {recorded.shape[1]} columns, but the runs give "
            f"{recomputed.shape[0]} x {recomputed.shape[1]}"
        ]
    found = []
    for column in recorded.columns:
        old, new = recorded[column], recomputed[column]
        equal = (old == new) | (old.isna() & new.isna())
        for index in np.flatnonzero(~equal.to_numpy()):
            found.append(_cell_text(path, recorded.iloc[index], column, old.iloc[index], new, ids))
    if not found:  # same values, other bytes (e.g. number formatting)
        return [f"{path}: its bytes differ from the table recomputed from the runs"]
    extra = len(found) - _SHOWN_PER_TABLE
    return found[:_SHOWN_PER_TABLE] + ([f"{path}: and {extra} more cells"] if extra > 0 else [])


def _cell_text(
    path: Path, row: pd.Series, column: str, old: Any, new: pd.Series, ids: Mapping[str, str]
) -> str:
    keys = ", ".join(f"{key} {row[key]}" for key in _ROW_KEYS if key in row and key != column)
    value = new.loc[row.name]
    source = ""
    variant_id = ids.get(str(row.get("variant")))
    if variant_id is not None:
        seed = row.get("seed")
        seeds = variant_dir(fill(RUNS_ROOT), variant_id)
        known = seed is not None and not pd.isna(seed)
        folder = seed_dir(seeds, int(seed)) if known else seeds / SEED_FOLDERS
        source = f" (recomputed from {folder.as_posix()}/)"
    return f"{path}: {keys}: {column} is {old!r} in the table but {value!r} from the runs{source}"


def plan_members(config_paths: Sequence[Path]) -> dict[str, list[Member]]:
    """Each study's members as the config files (merged in order, as Snakemake does) plan."""
    config: dict[str, Any] = {}
    for path in config_paths:
        _merge(config, load_config_file(str(path)))
    plan = build_plan(config)
    return {
        name: [Member(v.name, v.variant_id, tuple(v.seeds)) for v in study.variants]
        for name, study in plan.studies.items()
    }


def _merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def check_config(config_paths: Sequence[Path], tables: Mapping[str, Sequence[Member]]) -> list[str]:
    """Whether the config plans exactly the studies, variants and seeds the tables show."""
    planned = plan_members(config_paths)
    names = ", ".join(str(path) for path in config_paths)
    if set(planned) != set(tables):
        return [
            f"{names} plans studies {sorted(planned)}, the results hold {sorted(tables)}: "
            "pass the config the results were built with (--configfile)"
        ]
    return [
        f"{names}: study {study} plans {_describe(planned[study])}, its tables show "
        f"{_describe(tables[study])}"
        for study in sorted(planned)
        if list(planned[study]) != list(tables[study])
    ]


def _describe(members: Sequence[Member]) -> str:
    return "; ".join(f"{m.name}={m.variant_id} seeds {list(m.seeds)}" for m in members)
