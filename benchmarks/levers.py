"""Section 3 of the benchmark: one speed setting changed at a time."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import Settings, job, load_average, run_workers, say, spec, steady_epoch
from benchmarks.per_step import PerStep, per_step_row, trainer_settings

# ---------------------------------------------------------------------------------------------
# Section 3: levers


LEVERS: list[tuple[str, dict[str, Any]]] = [
    ("notebook: float64, defaults, progress bar", {}),
    ("no progress bar (verbose=0)", {"verbose": 0}),
    ("float32 inputs prepared once", {"verbose": 0, "float32": True}),
    ("steps_per_execution=8", {"verbose": 0, "float32": True, "steps_per_execution": 8}),
    ("steps_per_execution=64", {"verbose": 0, "float32": True, "steps_per_execution": 64}),
    ("steps_per_execution=512", {"verbose": 0, "float32": True, "steps_per_execution": 512}),
    ("XLA (jit_compile=True)", {"verbose": 0, "float32": True, "jit_compile": True}),
    (
        "XLA + steps_per_execution=64",
        {"verbose": 0, "float32": True, "jit_compile": True, "steps_per_execution": 64},
    ),
    (
        "cached tf.data pipeline + steps_per_execution=64",
        {"verbose": 0, "float32": True, "tf_data": True, "steps_per_execution": 64},
    ),
    (
        "validation batch 1024 + steps_per_execution=64",
        {"verbose": 0, "float32": True, "steps_per_execution": 64, "validation_batch_size": 1024},
    ),
    (
        "StepLoop: 64 Keras steps per call, metrics once per call (archstudy.train.step_loop)",
        {"verbose": 0, "float32": True, "step_loop": 64},
    ),
]


@dataclass
class Levers:
    rows: list[tuple[str, dict[str, Any]]]
    threads: list[tuple[str, float, float, float]]
    import_seconds: list[float]
    load: tuple[str, str]


def lever_jobs(recipe: dict[str, Any], levers: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [job("notebook", recipe, 0, **lever) | {"label": name} for name, lever in levers]


def measure_levers(settings: Settings, data: Path, recipe: dict[str, Any]) -> Levers:
    start_load = load_average()
    # A first, discarded run pays the process's one-time start-up (oneDNN, allocator). Each
    # setting keeps its fastest repeat.
    warm_up = lever_jobs(recipe, [("warm-up", {"verbose": 0})])
    best: dict[str, dict[str, Any]] = {}
    imports = []
    for repeat in range(settings.repeats):
        say(settings, f"levers: one setting at a time (repeat {repeat + 1})")
        (result,) = run_workers(
            settings,
            [spec(settings, data, warm_up + lever_jobs(recipe, LEVERS), settings.threads, False)],
            f"levers-{repeat}",
        )
        imports.append(result["import_seconds"])
        for run in result["runs"][1:]:
            if run["label"] not in best or run["wall"] < best[run["label"]]["wall"]:
                best[run["label"]] = run
    rows = [(label, best[label]) for label, _ in LEVERS]
    fastest: dict[str, tuple[float, float]] = {}
    for repeat in range(settings.repeats):
        for batch in (32, 1024):
            recipe_b = recipe | {"batch_size": batch, "name": f"{recipe['network']}-b{batch}"}
            say(settings, f"levers: threads and parallel jobs at batch {batch} ({repeat + 1})")
            pair = [job("trainer", recipe_b, seed) for seed in (0, 1)]
            one, two = (
                run_workers(
                    settings,
                    [spec(settings, data, pair, count, peak=False)],
                    f"threads{count}-b{batch}-{repeat}",
                )[0]
                for count in (1, 2)
            )
            parallel = run_workers(
                settings,
                [spec(settings, data, [run], 1, peak=False) for run in pair],
                f"parallel-b{batch}-{repeat}",
                together=True,
            )
            imports += [one["import_seconds"], two["import_seconds"]]
            for label, runs, concurrent in (
                ("1 job, 1 thread, 2 runs one after the other", one["runs"], False),
                ("1 job, 2 threads, 2 runs one after the other", two["runs"], False),
                (
                    "2 jobs of 1 thread side by side, 1 run each",
                    [p["runs"][0] for p in parallel],
                    True,
                ),
            ):
                walls = [run["wall"] for run in runs]
                elapsed = max(walls) if concurrent else sum(walls)
                per_epoch = statistics.mean(run["wall"] / run["epochs"] for run in runs)
                key = f"batch {batch}: {label}"
                if key not in fastest or elapsed < fastest[key][1]:
                    fastest[key] = (per_epoch, elapsed)
    threads = [
        (key, per_epoch, elapsed, 2 / elapsed) for key, (per_epoch, elapsed) in fastest.items()
    ]
    return Levers(rows, threads, imports, (start_load, load_average()))


def measure_quick(settings: Settings, data: Path, recipe: dict[str, Any]) -> tuple[PerStep, Levers]:
    """CI smoke test: every section's code path in one worker process (one TensorFlow import)."""
    start_load = load_average()
    say(settings, "quick: notebook, trainer, hand-written loop and three levers in one process")
    jobs = [job("notebook", recipe, 0), job("trainer", recipe, 0), job("hand", recipe, 0)]
    jobs += lever_jobs(recipe, [LEVERS[1], LEVERS[4], LEVERS[-1]])
    quick = spec(settings, data, jobs, settings.threads, products_alone=True)
    (result,) = run_workers(settings, [quick], "quick")
    row = per_step_row(recipe, result, result, result)
    loads = (start_load, load_average())
    levers = [(run["label"], run) for run in result["runs"] if run["label"]]
    return (
        PerStep([row], trainer_settings(row), loads),
        Levers(levers, [], [result["import_seconds"]], loads),
    )


def lever_tables(result: Levers, trainer: dict[str, Any]) -> list[str]:
    baseline = result.rows[0][1]
    lines = [
        "| setting (each row changes one thing) | s/epoch | s/epoch after epoch 1 "
        "| CPU s/epoch | vs notebook | vs notebook after epoch 1 | val acc |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, run in result.rows:
        per_epoch = run["wall"] / run["epochs"]
        lines.append(
            f"| {label} | {per_epoch:.2f} | {steady_epoch(run):.2f} "
            f"| {run['cpu'] / run['epochs']:.2f} | {baseline['wall'] / run['wall']:.1f}x "
            f"| {steady_epoch(baseline) / steady_epoch(run):.1f}x | {run['val_accuracy']:.4f} |"
        )
    used = ", ".join(f"{key}={value}" for key, value in trainer.items())
    lines += ["", f"The trainer (`archstudy.train.training`) runs with: {used}."]
    if result.threads:
        lines += [
            "",
            "| threads and jobs | s/epoch per run | seconds for 2 runs | runs per second |",
            "|---|---:|---:|---:|",
        ]
        for label, per_epoch, elapsed, rate in result.threads:
            lines.append(f"| {label} | {per_epoch:.2f} | {elapsed:.2f} | {rate:.2f} |")
    imports = ", ".join(f"{seconds:.1f}" for seconds in result.import_seconds)
    lines += ["", f"`import keras` (TensorFlow backend) per process: {imports} s."]
    return lines
