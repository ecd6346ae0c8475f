"""The benchmark's Markdown: the targets table, the dated section and the history it is
inserted into."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
from pathlib import Path

from archstudy.machine import cpu_model
from archstudy.provenance import git_state, software
from benchmarks.common import (
    AIM_SPEEDUP,
    HEADER,
    MARKER,
    MNIST_VALIDATION,
    NOTEBOOK_001,
    ROOT,
    TARGET_HAND_RATIO,
    TARGET_NOOP_SECONDS,
    TARGET_NOTEBOOK_001_MINUTES,
    TARGET_PARALLEL_RATIO,
    TARGET_PEAK_FRACTION,
    TARGET_SPEEDUP,
    Settings,
    seconds_per_epoch,
)
from benchmarks.levers import Levers, lever_tables
from benchmarks.per_step import (
    PerStep,
    per_step_table,
    products_epoch_seconds,
    products_table,
    roofline_table,
    trainer_vs_hand,
)
from benchmarks.study import Study, study_table

# ---------------------------------------------------------------------------------------------
# Targets and the Markdown section


def status(ok: bool | None) -> str:
    return "pending" if ok is None else ("met" if ok else "**missed**")


def targets_table(
    per_step: PerStep | None, study: Study | None, notebook_001: Study | None
) -> list[str]:
    lines = ["| target (issue #8) | measured | status |", "|---|---|---|"]
    rows = {
        (r["case"]["network"], r["case"]["batch_size"]): r
        for r in (per_step.rows if per_step else [])
    }
    row32 = rows.get(("784-300-100-10", 32))
    if row32:
        speedup = seconds_per_epoch(row32["notebook"]) / seconds_per_epoch(row32["trainer"])
        ceiling = (
            f" (ceiling with nothing but the step's products: "
            f"{seconds_per_epoch(row32['notebook']) / products_epoch_seconds(row32):.1f}x)"
            if row32["products"]
            else ""
        )
        lines.append(
            f"| batch 32, notebook 000 network: ≥ {TARGET_SPEEDUP:.0f}x faster per epoch "
            f"(aim {AIM_SPEEDUP:.0f}x) | {speedup:.1f}x{ceiling} "
            f"| {status(speedup >= TARGET_SPEEDUP)}"
            f"{' (aim reached)' if speedup >= AIM_SPEEDUP else ''} |"
        )
        hand = trainer_vs_hand(row32)
        if hand is not None:
            lines.append(
                f"| batch 32, notebook 000 network: trainer within {TARGET_HAND_RATIO}x of the "
                f"hand-written TensorFlow loop after epoch 1 | {hand:.2f}x "
                f"| {status(hand <= TARGET_HAND_RATIO)} |"
            )
        nb = [run["val_accuracy"] for run in row32["notebook"]]
        tr = [run["val_accuracy"] for run in row32["trainer"]]
        spread = max(max(nb) - min(nb), max(tr) - min(tr))
        gap = abs(statistics.mean(nb) - statistics.mean(tr))
        lines.append(
            f"| same validation accuracy within the spread over {len(nb)} seeds "
            f"| mean gap {gap:.4f}, spread {spread:.4f} | {status(gap <= spread)} |"
        )
    row1024 = rows.get(("784-300-100-10", 1024))
    if row1024:
        peak = row1024["trainer_peak"]
        steady, whole = row1024["trainer_steady_gflops"], row1024["trainer_gflops"]
        lines.append(
            f"| batch 1024, trainer: ≥ {TARGET_PEAK_FRACTION:.0%} of the matrix-product peak "
            f"| {steady / peak:.0%} after epoch 1 ({steady:.0f} of {peak:.0f} GFLOP/s); "
            f"{whole / peak:.0%} over the whole 2-epoch fit, tracing included "
            f"| {status(steady / peak >= TARGET_PEAK_FRACTION)} |"
        )
    if study:
        noop_ok = None if study.noop is None else study.noop < TARGET_NOOP_SECONDS
        lines.append(
            f"| no-op rebuild < {TARGET_NOOP_SECONDS:.0f} s "
            f"| {'failed' if study.noop is None else f'{study.noop:.1f} s'} | {status(noop_ok)} |"
        )
        if study.cores1 and study.cores_all:
            ratio = study.cores_all / study.cores1
            lines.append(
                f"| default study: `--cores all` ≤ {TARGET_PARALLEL_RATIO}x `--cores 1` "
                f"| {ratio:.2f}x ({study.cores_all:.0f} s vs {study.cores1:.0f} s) "
                f"| {status(ratio <= TARGET_PARALLEL_RATIO)} |"
            )
    target = "| notebook 001 study, 3 seeds, real MNIST: < 30 min with `--cores all` on 2 cores "
    if notebook_001 and notebook_001.cores_all:
        minutes = notebook_001.cores_all / 60
        lines.append(
            f"{target}| {minutes:.1f} min ({notebook_001.trained_variants} networks, "
            f"{notebook_001.runs} runs, {notebook_001.epochs} epochs) "
            f"| {status(minutes < TARGET_NOTEBOOK_001_MINUTES)} |"
        )
    elif notebook_001:
        lines.append(f"{target}| failed: {'; '.join(notebook_001.failures)} | **missed** |")
    elif NOTEBOOK_001.exists():
        lines.append(f"{target}| not in this run: add `--sections notebook-001` | pending |")
    else:
        lines.append(f"{target}| not measured: `{NOTEBOOK_001.name}` does not exist | pending |")
    lines.append(
        "| per-step benchmark on a GPU with KERAS_BACKEND=jax | not measured: no GPU here "
        "| pending |"
    )
    return lines


def git_revision() -> str:
    """The commit benchmarked, and whether it had uncommitted changes."""
    return git_state(ROOT)


def cpu_name() -> str:
    return cpu_model()


def versions() -> str:
    """The versions of the packages that set training speed."""
    installed = software()
    return ", ".join(
        f"{package} {installed[package]}"
        for package in ("tensorflow", "keras", "numpy", "snakemake")
        if installed.get(package, "not installed") != "not installed"
    )


def render_section(
    settings: Settings,
    started: datetime.datetime,
    seconds: float,
    per_step: PerStep | None,
    levers: Levers | None,
    study: Study | None,
    notebook_001: Study | None,
    n_fit: int,
) -> str:
    mode = (
        "quick (smoke test: synthetic data, numbers not meaningful)" if settings.quick else "full"
    )
    data = (
        "synthetic"
        if settings.quick
        else f"MNIST ({n_fit} training, {MNIST_VALIDATION} validation images)"
    )
    lines = [
        f"## {started:%Y-%m-%d %H:%M} UTC · {mode}",
        "",
        f"- Machine: {cpu_name()}, {os.cpu_count()} logical CPUs, {platform.platform()}; "
        f"Python {platform.python_version()}, {versions()}.",
        f"- Commit {git_revision()}; data: {data}; trainer threads per job: {settings.threads}; "
        f"benchmark wall time {seconds / 60:.1f} min; sections 1 and 3 keep the fastest of "
        f"{settings.repeats} repeat(s) of each measurement.",
        f"- Command: `{' '.join(['python', 'benchmarks/run.py', *sys.argv[1:]])}`",
    ]
    loads = [
        (name, part.load)
        for name, part in (
            ("per-step", per_step),
            ("levers", levers),
            ("study", study),
            ("notebook 001", notebook_001),
        )
        if part
    ]
    if loads:
        lines.append(
            "- Load average (1 min) at start → end of each section, other users' jobs included: "
            + "; ".join(f"{name} {a} → {b}" for name, (a, b) in loads)
            + ". Values far above 0 mean other processes shared the cores: repeat and compare."
        )
    if per_step or study or notebook_001:
        lines += ["", "### Targets", "", *targets_table(per_step, study, notebook_001)]
    if per_step:
        lines += [
            "",
            "### 1. Per-step efficiency",
            "",
            "Seconds per epoch = `fit` wall time / epochs (median over seeds; the first epoch, "
            "with graph tracing, and validation included). CPU seconds add up all threads: a "
            "1-thread run whose wall time is well above its CPU time was kept waiting by other "
            "processes. Notebook: float64 arrays, Keras defaults (progress bar), TensorFlow's "
            "default threads. Trainer: `archstudy.train.training.train_seed` on float32 arrays, "
            "the thread count of a workflow job. Same seeds, same initial weights, the same "
            "batches in the first epoch; after it the trainer draws a new order each epoch, "
            "where Keras' seeded `fit` on TensorFlow repeats the first one.",
            "",
            *per_step_table(per_step),
            "",
            "### 2. Roofline",
            "",
            "Training FLOPs = the matrix products of a training step per example "
            "(`archstudy.train.models.training_flops_per_example`: 3 × the forward products, less "
            "the first layer's input gradient, which is never computed) × training examples "
            "× epochs, over the `fit` wall time; the peak is the best of 3 "
            f"float32 {settings.peak_size}×{settings.peak_size} matrix products in the same "
            "process, with the same threads.",
            "",
            *roofline_table(per_step),
            "",
            "The peak of one large product flatters skinny ones. Each matrix product of Keras' "
            "traced training step for the network, timed alone at its own shapes and "
            "transposes (one thread, a compiled loop, best of 5, less the loop's own cost per "
            "turn), gives how fast an epoch could be if nothing but those products ran: the "
            "trainer's epoch after the first (validation included) against it, and the "
            "notebook's seconds per epoch over it, the most any trainer could gain here "
            "without changing what is computed.",
            "",
            *products_table(per_step),
        ]
    if levers:
        lines += [
            "",
            "### 3. Levers",
            "",
            f"Notebook 000's network, batch 32, {levers.rows[0][1]['epochs']} epoch(s), seed 0, "
            f"{settings.threads} thread(s), one process; each row changes one setting of the "
            "notebook recipe.",
            "",
            *lever_tables(levers, per_step.trainer_settings if per_step else {}),
        ]
    if study:
        lines += ["", "### 4. Whole study", "", *study_table(study)]
        if levers and study.cores1:
            # Every training job is a new process that imports TensorFlow before training.
            each = statistics.median(levers.import_seconds)
            share = study.trained_variants * each
            lines.append(
                f"\nEach of the {study.trained_variants} training jobs starts a process that "
                f"imports TensorFlow (median {each:.1f} s in section 3): about {share:.0f} s, "
                f"{share / study.cores1:.0%} of the `--cores 1` time, before any training."
            )
    if notebook_001:
        lines += ["", "### 5. Notebook 001 study", "", *study_table(notebook_001)]
    return "\n".join(lines) + "\n"


def write_results(path: Path, section: str) -> None:
    """Insert the new section at the top of the history, keeping every earlier run."""
    text = path.read_text() if path.exists() else HEADER
    if MARKER not in text:
        text = text.rstrip("\n") + "\n\n" + MARKER + "\n"
    head, tail = text.split(MARKER, 1)
    tail = tail.strip("\n")
    path.write_text(f"{head}{MARKER}\n\n{section}" + (f"\n{tail}\n" if tail else ""))
