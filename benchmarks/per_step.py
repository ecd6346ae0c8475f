"""Sections 1 and 2 of the benchmark: per-step efficiency of notebook-style Keras against the
project's trainer, and the roofline (training GFLOP/s against the matrix-product peak)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Settings,
    accuracy_text,
    cpu_per_epoch,
    job,
    load_average,
    run_workers,
    say,
    seconds_per_epoch,
    spec,
    steady_per_epoch,
    threads_text,
    training_gflops,
)

# ---------------------------------------------------------------------------------------------
# Section 1 and 2: per-step efficiency and roofline


@dataclass
class PerStep:
    rows: list[dict[str, Any]]
    trainer_settings: dict[str, Any]
    load: tuple[str, str]
    # `import keras` seconds of every worker, by style (a trainer imports as a workflow job).
    imports: dict[str, list[float]] = field(default_factory=dict)


def per_step_row(
    recipe: dict[str, Any],
    notebook: dict[str, Any],
    trainer: dict[str, Any],
    hand: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One case's notebook and trainer runs (and the hand-written loop's), side by side."""
    # Lever runs (labelled) share the quick mode's process; they are not the notebook recipe.
    nb_runs = [
        run | recipe for run in notebook["runs"] if run["style"] == "notebook" and not run["label"]
    ]
    tr_runs = [run | recipe for run in trainer["runs"] if run["style"] == "trainer"]
    hand_runs = [run | recipe for run in (hand or {}).get("runs", []) if run["style"] == "hand"]
    return {
        "case": recipe,
        "seeds": len(nb_runs),
        "notebook": nb_runs,
        "trainer": tr_runs,
        "hand": hand_runs,
        "notebook_threads": threads_text(notebook),
        "trainer_threads": threads_text(trainer),
        "notebook_peak": notebook["peak_gflops"],
        "trainer_peak": trainer["peak_gflops"],
        "notebook_gflops": statistics.median(map(training_gflops, nb_runs)),
        "trainer_gflops": statistics.median(map(training_gflops, tr_runs)),
        "notebook_steady_gflops": statistics.median(training_gflops(r, True) for r in nb_runs),
        "trainer_steady_gflops": statistics.median(training_gflops(r, True) for r in tr_runs),
        "same_optimizer": nb_runs[0]["optimizer"] == tr_runs[0]["optimizer"],
        "same_parameters": nb_runs[0]["parameters"] == tr_runs[0]["parameters"],
        "products": trainer.get("products"),
    }


def trainer_settings(row: dict[str, Any]) -> dict[str, Any]:
    """The speed settings the project's trainer actually ran with (read from its fit call)."""
    keys = (
        "step_loop_minibatches",
        "steps_per_execution",
        "jit_compile",
        "validation_batch_size",
        "input_dtype",
    )
    return {key: row["trainer"][0][key] for key in keys}


def measure_per_step(settings: Settings, data: Path, cases: list[dict[str, Any]]) -> PerStep:
    start_load = load_average()
    rows = []
    imports: dict[str, list[float]] = {}
    for index, recipe in enumerate(cases):
        seeds = range(settings.seeds if index == 0 else 1)
        say(settings, f"per-step: {recipe['name']} ({len(seeds)} seed(s))")
        # The notebook keeps TensorFlow's default thread pools (threads=None). The two styles
        # alternate, never side by side; each keeps its fastest repeat (the least disturbed
        # by other processes: results are identical, only the time differs).
        best: dict[str, dict[str, Any]] = {}
        products: list[dict[str, float]] = []
        styles = [("notebook", None), ("trainer", settings.threads)]
        if recipe["optimizer"] == "sgd":  # the hand-written reference loop trains with SGD
            styles.append(("hand", settings.threads))
        for repeat in range(settings.repeats):
            for style, threads in styles:
                jobs = [job(style, recipe, seed) for seed in seeds]
                trainer = style == "trainer"
                (worker,) = run_workers(
                    settings,
                    [spec(settings, data, jobs, threads, products_alone=trainer)],
                    f"perstep-{index}-{style}-{repeat}",
                )
                imports.setdefault(style, []).append(worker["import_seconds"])
                products += [worker["products"]] if trainer else []
                if style not in best or fit_seconds(worker) < fit_seconds(best[style]):
                    best[style] = worker
        row = per_step_row(recipe, best["notebook"], best["trainer"], best.get("hand"))
        # The products timed alone are a measurement of their own: their fastest repeat too.
        row["products"] = min(products, key=lambda measured: measured["seconds_per_step"])
        rows.append(row)
    return PerStep(rows, trainer_settings(rows[0]), (start_load, load_average()), imports)


def trainer_vs_hand(row: dict[str, Any]) -> float | None:
    """The trainer's epoch after the first over the hand-written loop's (None without one)."""
    if not row["hand"]:
        return None
    return steady_per_epoch(row["trainer"]) / steady_per_epoch(row["hand"])


def hand_text(row: dict[str, Any]) -> str:
    ratio = trainer_vs_hand(row)
    if ratio is None:
        return "– | –"
    return f"{steady_per_epoch(row['hand']):.2f} | {ratio:.2f}x"


def fit_seconds(worker: dict[str, Any]) -> float:
    return float(sum(run["wall"] for run in worker["runs"]))


def per_step_table(result: PerStep) -> list[str]:
    lines = [
        "| network | batch | seeds | notebook s/epoch | trainer s/epoch | speed-up "
        "| speed-up after epoch 1 | notebook CPU s/epoch | trainer CPU s/epoch "
        "| notebook val acc | trainer val acc | same model & optimizer "
        "| hand loop s/epoch after epoch 1 | trainer vs hand loop after epoch 1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for row in result.rows:
        nb, tr = seconds_per_epoch(row["notebook"]), seconds_per_epoch(row["trainer"])
        steady = steady_per_epoch(row["notebook"]) / steady_per_epoch(row["trainer"])
        same = "yes" if row["same_optimizer"] and row["same_parameters"] else "**no**"
        lines.append(
            f"| {row['case']['network']} | {row['case']['batch_size']} | {row['seeds']} "
            f"| {nb:.2f} | {tr:.2f} | {nb / tr:.1f}x | {steady:.1f}x "
            f"| {cpu_per_epoch(row['notebook']):.2f} | {cpu_per_epoch(row['trainer']):.2f} "
            f"| {accuracy_text(row['notebook'])} | {accuracy_text(row['trainer'])} | {same} "
            f"| {hand_text(row)} |"
        )
    if result.imports.get("notebook") and result.imports.get("trainer"):
        notebook = statistics.median(result.imports["notebook"])
        trainer = statistics.median(result.imports["trainer"])
        lines += [
            "",
            f"Start-up of each process, `import keras` (median of {len(result.imports['trainer'])}"
            f" processes per style): notebook {notebook:.1f} s; trainer {trainer:.1f} s "
            f"({trainer / notebook:.2f}x), imported inside `archstudy.train.runtime.quick_imports` "
            "as every training job does (no scikit-learn for Keras' unused wrappers, garbage "
            "collector paused).",
        ]
    return lines


def roofline_table(result: PerStep) -> list[str]:
    lines = [
        "| network | batch | style | threads | training GFLOP/s, whole fit "
        "| training GFLOP/s, after epoch 1 | matmul peak GFLOP/s | % of peak, whole fit "
        "| % of peak, after epoch 1 |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result.rows:
        for style in ("notebook", "trainer"):
            whole, steady = row[f"{style}_gflops"], row[f"{style}_steady_gflops"]
            peak = row[f"{style}_peak"]
            lines.append(
                f"| {row['case']['network']} | {row['case']['batch_size']} | {style} "
                f"| {row[f'{style}_threads']} | {whole:.1f} | {steady:.1f} | {peak:.1f} "
                f"| {100 * whole / peak:.0f}% | {100 * steady / peak:.0f}% |"
            )
    return lines


def products_epoch_seconds(row: dict[str, Any]) -> float:
    """Seconds per epoch if nothing but the training step's products ran (one thread)."""
    steps = math.ceil(row["trainer"][0]["examples"] / row["case"]["batch_size"])
    return float(row["products"]["seconds_per_step"] * steps)


def products_table(result: PerStep) -> list[str]:
    lines = [
        "| network | batch | products per step | ms per step, products alone "
        "| GFLOP/s, products alone | s/epoch, products alone | trainer s/epoch after epoch 1 "
        "| trainer vs products alone | speed-up ceiling vs notebook |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result.rows:
        products = row["products"]
        if not products:
            continue
        alone, trainer = products_epoch_seconds(row), steady_per_epoch(row["trainer"])
        ceiling = seconds_per_epoch(row["notebook"]) / alone
        lines.append(
            f"| {row['case']['network']} | {row['case']['batch_size']} | {products['products']} "
            f"| {1e3 * products['seconds_per_step']:.3f} "
            f"| {products['flops_per_step'] / products['seconds_per_step'] / 1e9:.1f} "
            f"| {alone:.2f} | {trainer:.2f} | {trainer / alone:.1f}x | {ceiling:.1f}x |"
        )
    return lines
