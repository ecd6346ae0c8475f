"""`archstudy verify`: check every recorded run and table, retrain a sample, keep a record."""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archstudy.layout import RAW_DIR, VERIFICATION_DIR, fill, under, workflow_of
from archstudy.reporting.verification import write_record
from archstudy.review.data import prepare_data
from archstudy.review.differences import DEFAULT_TOLERANCE, SPREAD_FACTOR
from archstudy.review.integrity import check_config, check_run, check_tables
from archstudy.review.results import (
    RunRef,
    check_results_dir,
    find_run,
    list_runs,
    read_run,
    study_dataset,
    study_members,
    study_names,
)
from archstudy.review.retrain import Verdict, describe_machine, judge, retrain, seed_spread
from archstudy.train.run_files import HYPERPARAMETERS_FILE, METRICS_FILE

Log = Callable[[str], None]
DEFAULT_SAMPLE = 3


@dataclass
class Source:
    """What is checked: a results folder, with where its data and records live."""

    results_dir: Path
    label: str
    workflow_dir: Path  # whose downloads (layout.RAW_DIR) are used when present
    config_paths: list[Path]
    record_dir: Path
    record_prefix: str = ""
    problems: list[str] = field(default_factory=list)  # found before the check (checksums)
    shown_as: tuple[str, str] | None = None  # (unpacked folder/, how messages name it)


@dataclass(frozen=True)
class Selection:
    """Which runs to retrain: a sample of N (drawn with a seed), one named run, or all."""

    sample: int | None = DEFAULT_SAMPLE
    run: str | None = None
    all: bool = False
    seed: int | None = None
    threads: int | None = None  # None: the thread count the runs recorded


def results_source(results_dir: Path, config_paths: Sequence[Path]) -> Source:
    """A results folder of a build in its workflow folder (resources/ beside results/)."""
    check_results_dir(results_dir)
    return Source(
        results_dir,
        str(results_dir),
        workflow_of(results_dir),
        list(config_paths),
        under(results_dir, VERIFICATION_DIR),
    )


def choose(runs: list[RunRef], selection: Selection, log: Log) -> tuple[list[RunRef], str]:
    """The runs to retrain and a sentence saying how they were chosen (with the seed)."""
    if selection.all:
        return runs, f"all {len(runs)} runs"
    if selection.run is not None:
        return [find_run(runs, selection.run)], f"run {selection.run}"
    count = min(selection.sample or 0, len(runs))
    if count == 0:
        return [], "no run retrained (--sample 0)"
    seed = selection.seed if selection.seed is not None else secrets.randbelow(10**6)
    chosen = sorted(random.Random(seed).sample(runs, count), key=lambda r: (r.variant_id, r.seed))
    log(f"sample of {count} of {len(runs)} runs drawn with seed {seed} (repeat: --seed {seed})")
    return chosen, f"a random sample of {count} of {len(runs)} runs (seed {seed})"


def verify(
    source: Source,
    selection: Selection,
    tolerance: float = DEFAULT_TOLERANCE,
    data_dir: Path | None = None,
    log: Log = print,
) -> tuple[int, Path]:
    """Run every check; write the record; return the exit status (0: identical or
    equivalent, 1: anything else) and the record's path."""
    started = dt.datetime.now(dt.UTC)
    results = source.results_dir
    if source.shown_as is not None:
        log = _renaming(log, *source.shown_as)
    runs = list_runs(results)
    studies = {study: study_members(results, study) for study in study_names(results)}
    log(f"checking {source.label}: {len(runs)} runs, {len(studies)} studies")
    chosen, selection_text = choose(runs, selection, log)  # a bad run id fails before any work
    problems = list(source.problems)
    if source.config_paths:
        problems += check_config(source.config_paths, studies)
    with tempfile.TemporaryDirectory(prefix="archstudy-verify-") as folder:
        scratch = Path(folder)
        datasets = sorted({_dataset(run) for run in runs})
        data = {}
        for dataset in datasets:
            raw = source.workflow_dir / fill(RAW_DIR, dataset=dataset)
            data[dataset], found = prepare_data(dataset, scratch, results, raw, data_dir, log)
            problems += found
        problems += _check_runs(runs, data, log)
        tables = 0
        for study, members in studies.items():
            if members:
                dataset = study_dataset(results, members)
                problems += check_tables(results, study, members, data[dataset], scratch)
                tables += 1
        log(
            f"recomputed the tables of {tables} studies from the runs: "
            + (f"{len(problems)} problems" if problems else "all match")
        )
        for problem in problems:
            log(f"  {problem}")
        threads = selection.threads or _threads(chosen or runs)
        verdicts = _retrain_all(chosen, runs, studies, data, scratch, tolerance, threads, log)
    overall = _overall(verdicts, problems)
    if source.shown_as is not None:
        problems = [problem.replace(*source.shown_as) for problem in problems]
    record = {
        "archstudy_verification": 1,
        "source": source.label,
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
        "machine": describe_machine(threads) if chosen else _machine_light(),
        "selection": {**_selection_json(selection), "text": selection_text},
        "tolerance": tolerance,
        "spread_factor": SPREAD_FACTOR,
        "integrity": {
            "runs_checked": len(runs),
            "tables_checked": len(studies),
            "problems": problems,
        },
        "runs": [verdict.to_json() for verdict in verdicts],
        "counts": {
            name: sum(v.verdict == name for v in verdicts)
            for name in ("identical", "equivalent", "different")
        },
        "verdict": overall,
    }
    path = write_record(source.record_dir, record, source.record_prefix)
    log(f"verdict: {overall}; record written to {path}")
    return (0 if overall in ("identical", "equivalent") else 1), path


def _renaming(log: Log, folder: str, name: str) -> Log:
    """Name files of an unpacked bundle by their place in the bundle, not the scratch folder."""
    return lambda line: log(line.replace(folder, name))


def _dataset(run: RunRef) -> str:
    try:
        return str(
            json.loads((run.folder / METRICS_FILE).read_text())["hyperparameters"]["dataset"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        hyperparameters = run.folder.parent / HYPERPARAMETERS_FILE
        return str(json.loads(hyperparameters.read_text())["dataset"])


def _check_runs(runs: list[RunRef], data: dict[str, Path], log: Log) -> list[str]:
    from archstudy.data.prepared import load_prepared

    y_tests = {name: load_prepared(path).y_test for name, path in data.items()}
    problems = []
    for run in runs:
        problems += check_run(run, y_tests.get(_dataset(run)))
    log(f"checked {len(runs)} runs against their folders, hyperparameters and predictions")
    return problems


def _threads(runs: Sequence[RunRef]) -> int:
    """The thread count the runs were trained with: results depend on it."""
    runtime = read_run(runs[0].folder).metrics.get("runtime", {})
    return int(runtime.get("threads") or 1)


def _retrain_all(
    chosen: list[RunRef],
    runs: list[RunRef],
    studies: dict[str, Any],
    data: dict[str, Path],
    scratch: Path,
    tolerance: float,
    threads: int,
    log: Log,
) -> list[Verdict]:
    if not chosen:
        return []
    from archstudy.train.runtime import configure_process

    configure_process(threads)  # before Keras starts TensorFlow
    log(f"retraining {len(chosen)} runs from scratch with {threads} thread(s)")
    runtime = describe_machine(threads)
    names = {
        member.variant_id: f"{study}: {member.name}"
        for study, members in studies.items()
        for member in members
    }
    verdicts = []
    for number, run in enumerate(chosen, start=1):
        started = time.perf_counter()
        found = retrain(run, data[_dataset(run)], scratch, runtime, log)
        siblings = [other for other in runs if other.variant_id == run.variant_id]
        verdict = judge(run.name, read_run(run.folder), found, tolerance, seed_spread(siblings))
        verdict.seconds = time.perf_counter() - started
        label = names.get(run.variant_id, "in no study")
        log(
            f"[{number}/{len(chosen)}] {run.name} ({label}): {verdict.verdict} "
            f"({verdict.seconds:.1f} s)"
        )
        for difference in verdict.differences:
            log(f"    {difference.text()}")
        for key, (then, now) in verdict.environment.items():
            log(f"    environment {key}: recorded {then!r}, here {now!r}")
        verdicts.append(verdict)
    return verdicts


def _overall(verdicts: list[Verdict], problems: list[str]) -> str:
    if problems:
        return "failed"
    kinds = {verdict.verdict for verdict in verdicts}
    for kind in ("different", "equivalent"):
        if kind in kinds:
            return kind
    return "identical"


def _selection_json(selection: Selection) -> dict[str, Any]:
    return {
        "sample": selection.sample,
        "run": selection.run,
        "all": selection.all,
        "threads": selection.threads,
    }


def _machine_light() -> dict[str, Any]:
    """This machine, without starting Keras (when nothing was retrained)."""
    import os
    import platform
    import socket

    from archstudy.machine import cpu_model

    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "threads": os.cpu_count(),
        "backend": "not started",
    }


def main_verify(
    source: Source, selection: Selection, tolerance: float, data_dir: Path | None
) -> int:
    """The command's body: progress on stdout, flushed line by line."""

    def log(line: str) -> None:
        print(line, flush=True)

    status, _ = verify(source, selection, tolerance, data_dir, log)
    sys.stdout.flush()
    return status
