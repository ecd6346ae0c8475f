"""Training-speed benchmark of archstudy (issue #8): one command, results into BENCHMARKS.md.

    .venv/bin/python benchmarks/run.py              # full run, about 35 minutes on 2 cores
    .venv/bin/python benchmarks/run.py --quick --output /tmp/bench.md   # smoke test, seconds

Sections, all measured in this process tree on this machine, one after the other:

1. Per-step efficiency: notebook 000's network (784-300-100-10, ReLU, SGD 0.4) and notebook
   001's widest one (784-2048-10, sigmoid, SGD 0.01), 2 epochs on MNIST at batch 32, 128 and
   1024, trained notebook style (float64 arrays, every Keras default, TensorFlow's default
   threads) and by the project's trainer (`archstudy.train.training.train_seed`, float32 arrays
   prepared once, the thread count a workflow job gets). Seconds per epoch, the ratio, the
   final validation accuracy (3 seeds at batch 32 for notebook 000's network).
2. Roofline: the training GFLOP/s of those runs next to the peak of a large float32 matrix
   product measured in the same process, and next to the products of each network's own
   training step timed alone (the speed-up ceiling without changing what is computed).
3. Levers: one speed setting changed at a time on notebook 000's network at batch 32.
4. Whole study: the default study from a clean copy of the workflow with --cores 1 and
   --cores all, and the no-op rebuild.

The driver never imports TensorFlow: each measurement runs in a fresh worker process
(benchmarks/worker.py) that sets its own thread pools, as a notebook kernel or a job does.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import backends  # noqa: E402  (benchmarks/backends.py: per-backend rows)

WORKER = Path(__file__).resolve().parent / "worker.py"
DEFAULT_OUTPUT = ROOT / "BENCHMARKS.md"
DEFAULT_DATA = ROOT.parent / "shared" / "data"
# A self-contained copy: the workflow imports the package from src/ (scripts/archstudy links it).
WORKFLOW_FILES = (
    "Snakefile", "rules", "scripts", "config", "profiles", "report", "environment.yml", "src",
)  # fmt: skip
MARKER = "<!-- benchmark results: newest first; benchmarks/run.py inserts each run below -->"
HEADER = f"""# Benchmarks

Training speed of archstudy, written by `benchmarks/run.py` (see its docstring).

{MARKER}
"""

# Targets of issue #8.
TARGET_SPEEDUP, AIM_SPEEDUP = 3.0, 8.0
TARGET_PEAK_FRACTION = 0.40
TARGET_NOOP_SECONDS = 5.0
TARGET_PARALLEL_RATIO = 0.6
TARGET_NOTEBOOK_001_MINUTES = 30.0
NOTEBOOK_001 = ROOT / "config" / "studies" / "001_sigmoid_depth_width_l2.yaml"

# Notebook 000 holds out the first 5,000 of MNIST's 60,000 training images for validation.
MNIST_VALIDATION = 5000


def case(
    name: str,
    hidden: list[int],
    activation: str,
    learning_rate: float,
    batch: int,
    epochs: int = 2,
    dataset: str = "mnist",
    validation_count: int = MNIST_VALIDATION,
) -> dict[str, Any]:
    """One training recipe, identical for the notebook and the trainer."""
    return {
        "name": f"{name}-b{batch}",
        "network": name,
        "hidden": hidden,
        "activation": activation,
        "optimizer": "sgd",
        "learning_rate": learning_rate,
        "batch_size": batch,
        "epochs": epochs,
        "dataset": dataset,
        "validation_count": validation_count,
    }


def full_cases() -> list[dict[str, Any]]:
    """Notebook 000's network with its optimizer, and notebook 001's 2048-unit network."""
    cases = [case("784-300-100-10", [300, 100], "relu", 0.4, batch) for batch in (32, 128, 1024)]
    cases += [case("784-2048-10", [2048], "sigmoid", 0.01, batch) for batch in (32, 128, 1024)]
    return cases


@dataclass
class Settings:
    """What one invocation measures."""

    quick: bool
    output: Path
    data_dir: Path
    workdir: Path
    threads: int
    seeds: int
    repeats: int
    peak_size: int
    sections: set[str]
    study_config: str | None


# ---------------------------------------------------------------------------------------------
# Data


def prepare_mnist(settings: Settings) -> Path:
    """MNIST from the local mirror (or the canonical sources), prepared as the workflow does."""
    from archstudy.data.datasets import fetch_dataset, prepare_dataset

    raw_dir = settings.workdir / "raw" / "mnist"
    npz = settings.workdir / "mnist.npz"
    local_dir = settings.data_dir if settings.data_dir.is_dir() else None
    fetch_dataset("mnist", raw_dir, local_dir=local_dir, log=lambda message: None)
    prepare_dataset("mnist", raw_dir, npz, settings.workdir / "mnist.json")
    return npz


def synthetic_data(path: Path, n_train: int = 1200, n_test: int = 200) -> Path:
    """Quick mode: noise with a bright block whose position encodes the label (learnable)."""
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        for index, label in enumerate(labels):
            row, column = divmod(int(label), 5)
            images[index, 3 + 12 * row : 8 + 12 * row, 2 + 5 * column : 7 + 5 * column] = 255
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images, labels
    class_names = np.array([str(digit) for digit in range(10)], dtype=np.str_)
    np.savez_compressed(path, class_names=class_names, **arrays)
    return path


# ---------------------------------------------------------------------------------------------
# Workers


def run_workers(
    settings: Settings, specs: Sequence[dict[str, Any]], label: str, together: bool = False
) -> list[dict[str, Any]]:
    """Run one worker process per spec (concurrently, starting their jobs together, if asked)."""
    processes = []
    for index, spec in enumerate(specs):
        stem = settings.workdir / f"{label}-{index}"
        spec = {"workdir": str(settings.workdir / "runs"), **spec}
        if together:
            spec["barrier"] = {
                "ready": f"{stem}.ready",
                "go": str(settings.workdir / f"{label}.go"),
            }
        spec_path = stem.with_suffix(".spec.json")
        spec_path.write_text(json.dumps(spec))
        log = stem.with_suffix(".log").open("w")
        command = [sys.executable, str(WORKER), str(spec_path), f"{stem}.result.json"]
        processes.append((subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), stem))
    if together:
        while not all(Path(f"{stem}.ready").exists() for _, stem in processes):
            if any(process.poll() is not None for process, _ in processes):
                break
            time.sleep(0.01)
        (settings.workdir / f"{label}.go").write_text("go\n")
    results = []
    for process, stem in processes:
        if process.wait(timeout=3600) != 0:
            tail = Path(f"{stem}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"benchmark worker {stem.name} failed:\n{tail}")
        results.append(json.loads(Path(f"{stem}.result.json").read_text()))
    return results


def job(style: str, case: dict[str, Any], seed: int, **lever: Any) -> dict[str, Any]:
    return {"style": style, "case": case, "seed": seed, "lever": lever}


def spec(
    settings: Settings,
    data: Path,
    jobs: list[dict[str, Any]],
    threads: int | None,
    peak: bool = True,
    products_alone: bool = False,
) -> dict[str, Any]:
    return {
        "data": str(data),
        "threads": threads,
        "peak_size": settings.peak_size if peak else None,
        "jobs": jobs,
        # Seconds to time each product of the training step alone (worker.products_per_step).
        "products_alone": (0.01 if settings.quick else 0.2) if products_alone else None,
    }


# ---------------------------------------------------------------------------------------------
# Arithmetic


def steady_epoch(run: dict[str, Any]) -> float:
    """Median wall seconds of the epochs after the first (which also traces the graphs)."""
    later = run["epoch_wall"][1:] or run["epoch_wall"]
    return statistics.median(later)


def training_gflops(run: dict[str, Any], steady: bool = False) -> float:
    """Training GFLOP/s: training FLOPs per example x examples per epoch / epoch seconds.

    Training FLOPs come from `archstudy.train.models.training_flops_per_example`, evaluated by the
    worker. `steady`: over the epochs after the first; otherwise over the whole `fit` call.
    """
    seconds = steady_epoch(run) if steady else run["wall"] / run["epochs"]
    return run["training_flops"] * run["examples"] / seconds / 1e9


def seconds_per_epoch(runs: list[dict[str, Any]]) -> float:
    """Median over seeds of fit seconds / epochs (first epoch, with tracing, included)."""
    return statistics.median(run["wall"] / run["epochs"] for run in runs)


def cpu_per_epoch(runs: list[dict[str, Any]]) -> float:
    """CPU seconds (all threads) per epoch: what a run costs, however busy the machine was."""
    return statistics.median(run["cpu"] / run["epochs"] for run in runs)


def steady_per_epoch(runs: list[dict[str, Any]]) -> float:
    return statistics.median(steady_epoch(run) for run in runs)


def accuracy_text(runs: list[dict[str, Any]]) -> str:
    values = [run["val_accuracy"] for run in runs]
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ({min(values):.4f}–{max(values):.4f})"


def threads_text(worker: dict[str, Any]) -> str:
    if worker["threads"] is None:
        return f"TF default ({os.cpu_count()})"
    return str(worker["threads"])


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


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
    recipe: dict[str, Any], notebook: dict[str, Any], trainer: dict[str, Any]
) -> dict[str, Any]:
    """One case's notebook and trainer runs, side by side."""
    # Lever runs (labelled) share the quick mode's process; they are not the notebook recipe.
    nb_runs = [
        run | recipe for run in notebook["runs"] if run["style"] == "notebook" and not run["label"]
    ]
    tr_runs = [run | recipe for run in trainer["runs"] if run["style"] == "trainer"]
    return {
        "case": recipe,
        "seeds": len(nb_runs),
        "notebook": nb_runs,
        "trainer": tr_runs,
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
        for repeat in range(settings.repeats):
            for style, threads in (("notebook", None), ("trainer", settings.threads)):
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
        row = per_step_row(recipe, best["notebook"], best["trainer"])
        # The products timed alone are a measurement of their own: their fastest repeat too.
        row["products"] = min(products, key=lambda measured: measured["seconds_per_step"])
        rows.append(row)
    return PerStep(rows, trainer_settings(rows[0]), (start_load, load_average()), imports)


def fit_seconds(worker: dict[str, Any]) -> float:
    return float(sum(run["wall"] for run in worker["runs"]))


def per_step_table(result: PerStep) -> list[str]:
    lines = [
        "| network | batch | seeds | notebook s/epoch | trainer s/epoch | speed-up "
        "| speed-up after epoch 1 | notebook CPU s/epoch | trainer CPU s/epoch "
        "| notebook val acc | trainer val acc | same model & optimizer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in result.rows:
        nb, tr = seconds_per_epoch(row["notebook"]), seconds_per_epoch(row["trainer"])
        steady = steady_per_epoch(row["notebook"]) / steady_per_epoch(row["trainer"])
        same = "yes" if row["same_optimizer"] and row["same_parameters"] else "**no**"
        lines.append(
            f"| {row['case']['network']} | {row['case']['batch_size']} | {row['seeds']} "
            f"| {nb:.2f} | {tr:.2f} | {nb / tr:.1f}x | {steady:.1f}x "
            f"| {cpu_per_epoch(row['notebook']):.2f} | {cpu_per_epoch(row['trainer']):.2f} "
            f"| {accuracy_text(row['notebook'])} | {accuracy_text(row['trainer'])} | {same} |"
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
    say(settings, "quick: notebook, trainer and three levers in one process")
    jobs = [job("notebook", recipe, 0), job("trainer", recipe, 0)]
    jobs += lever_jobs(recipe, [LEVERS[1], LEVERS[4], LEVERS[-1]])
    quick = spec(settings, data, jobs, settings.threads, products_alone=True)
    (result,) = run_workers(settings, [quick], "quick")
    row = per_step_row(recipe, result, result)
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


# ---------------------------------------------------------------------------------------------
# Section 4: whole study


@dataclass
class Study:
    config: str
    cores1: float | None
    cores_all: float | None
    noop: float | None
    named_variants: int
    trained_variants: int
    runs: int
    epochs: int
    failures: list[str]
    load: tuple[str, str]


def snakemake_command() -> list[str]:
    beside = Path(sys.executable).with_name("snakemake")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "snakemake"]


def copy_workflow(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(source, target / name, symlinks=True, ignore=ignore)
        elif source.exists():
            shutil.copy(source, target / name)
    return target


def timed_snakemake(
    settings: Settings,
    workdir: Path,
    config: Path | None,
    cores: str,
    label: str,
    failures: list[str],
) -> float | None:
    command = [*snakemake_command(), "--cores", cores]
    if config is not None:
        command += ["--configfile", str(config.resolve())]
        if settings.data_dir.is_dir():
            # MNIST and Fashion-MNIST come from the local mirror first. The default study (the
            # bundled mnist_5k, no config given) runs exactly as a user types it.
            command += ["--config", f"data={{local_dir: {settings.data_dir.resolve()}}}"]
    log = settings.workdir / f"study-{label}.log"
    started = time.perf_counter()
    with log.open("w") as stream:
        code = subprocess.call(command, cwd=workdir, stdout=stream, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    if code != 0:
        failures.append(f"{label}: snakemake exited {code} (log: {log})")
        return None
    return elapsed


def measure_study(
    settings: Settings, config: Path | None, label: str, cores: Sequence[str] = ("1", "all")
) -> Study:
    """Clean runs of a study with each core count, then (after `--cores all`) the no-op rebuild.

    `config` None is the default study, run with no --configfile, as a user would.
    """
    import yaml

    from archstudy.config.plan import build_plan

    start_load = load_average()
    config_path = config or ROOT / "config" / "config.yaml"
    plan = build_plan(yaml.safe_load(config_path.read_text()))
    failures: list[str] = []
    seconds: dict[str, float | None] = {}
    for count in cores:
        say(settings, f"{label}: --cores {count} from a clean copy")
        built = copy_workflow(settings.workdir / f"{label}-{count}")
        seconds[count] = timed_snakemake(
            settings, built, config, count, f"{label}-cores-{count}", failures
        )
    noop = None
    if seconds.get("all"):
        say(settings, f"{label}: no-op rebuild (median of 3)")
        noops = [
            timed_snakemake(settings, built, config, "all", f"{label}-noop-{n}", failures)
            for n in range(3)
        ]
        noop = statistics.median(t for t in noops if t is not None) if all(noops) else None
    return Study(
        str(config_path.relative_to(ROOT) if config_path.is_relative_to(ROOT) else config_path),
        seconds.get("1"),
        seconds.get("all"),
        noop,
        sum(len(study.variants) for study in plan.studies.values()),
        len(plan.hyperparameters),
        sum(len(seeds) for seeds in plan.seeds.values()),
        sum(plan.hyperparameters[key].epochs * len(plan.seeds[key]) for key in plan.seeds),
        failures,
        (start_load, load_average()),
    )


def study_table(study: Study) -> list[str]:
    def seconds(value: float | None) -> str:
        return "failed" if value is None else f"{value:.1f}"

    ratio = (
        f"{study.cores_all / study.cores1:.2f}x of --cores 1"
        if study.cores1 and study.cores_all
        else ""
    )
    lines = [
        f"Study `{study.config}`: {study.named_variants} named variants resolve to "
        f"{study.trained_variants} unique networks (trained once each): {study.runs} "
        f"training runs, {study.epochs} epochs in all.",
        "",
        "| measurement | seconds | note |",
        "|---|---:|---|",
        *([f"| clean run, `--cores 1` | {seconds(study.cores1)} | |"] if study.cores1 else []),
        f"| clean run, `--cores all` | {seconds(study.cores_all)} | {ratio} |",
        f"| no-op rebuild (`--cores all`, nothing to do) | {seconds(study.noop)} | |",
    ]
    lines += [f"\nFailure: {failure}" for failure in study.failures]
    return lines


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
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("tensorflow", "keras", "numpy", "snakemake"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{package} {version(package)}")
    return ", ".join(parts)


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
            "the thread count of a workflow job. Same seeds, same initial weights, same batches.",
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


def say(settings: Settings, message: str) -> None:
    print(f"[benchmark {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="seconds-long smoke test on synthetic data (CI); no study section",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Markdown file that collects the results (default: BENCHMARKS.md)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help="local MNIST mirror ({dir}/mnist/*.gz; default: ../shared/data)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="trainer threads, as the workflow gives a training job (default 1)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="seeds at batch 32 for notebook 000's network (default 3)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="repeat sections 1 and 3, keeping each measurement's fastest run (default 2)",
    )
    parser.add_argument(
        "--sections",
        default="per-step,backends,levers,study",
        help="comma-separated sections: per-step, backends, levers, study (the default), and "
        "notebook-001 (the notebook 001 study on real MNIST, about 25 min more)",
    )
    parser.add_argument(
        "--study-config",
        default=None,
        help="study config for section 4 (default: config/config.yaml)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the work files (data, logs, runs) in this new folder",
    )
    args = parser.parse_args(argv)
    sections = {part.strip() for part in args.sections.split(",") if part.strip()}
    unknown = sections - {"per-step", "backends", "levers", "study", "notebook-001"}
    if unknown:
        parser.error(
            f"unknown section(s) {sorted(unknown)}; accepted: per-step, backends, levers, "
            "study, notebook-001"
        )
    if args.quick:
        sections -= {"study", "notebook-001"}
        if args.sections == parser.get_default("sections"):
            sections.discard("backends")  # a smoke test: backends only when asked for
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="archstudy-benchmark-"))
    workdir.mkdir(parents=True, exist_ok=True)
    return Settings(
        quick=args.quick,
        output=args.output,
        data_dir=args.data_dir,
        workdir=workdir.resolve(),
        threads=args.threads,
        seeds=1 if args.quick else args.seeds,
        repeats=1 if args.quick else max(1, args.repeats),
        peak_size=512 if args.quick else 4096,
        sections=sections,
        study_config=args.study_config,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_arguments(argv)
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    try:
        if settings.quick:
            data = synthetic_data(settings.workdir / "synthetic.npz")
            n_train, validation = 1200, 200
            cases = [
                case(
                    "784-300-100-10",
                    [300, 100],
                    "relu",
                    0.1,
                    32,
                    epochs=2,
                    validation_count=validation,
                )
            ]
        else:
            say(settings, "preparing MNIST")
            data = prepare_mnist(settings)
            n_train, validation = 60000, MNIST_VALIDATION
            cases = full_cases()
        n_fit = n_train - validation
        per_step: PerStep | None = None
        levers: Levers | None = None
        if settings.quick:
            per_step, levers = measure_quick(settings, data, cases[0])
        else:
            if "per-step" in settings.sections:
                per_step = measure_per_step(settings, data, cases)
            if "levers" in settings.sections:
                levers = measure_levers(settings, data, cases[0])
        study = notebook_001 = None
        if "study" in settings.sections:
            config = Path(settings.study_config) if settings.study_config else None
            study = measure_study(settings, config, "study")
        if "notebook-001" in settings.sections:
            notebook_001 = measure_study(settings, NOTEBOOK_001, "notebook-001", cores=("all",))
        backend_rows = None
        if "backends" in settings.sections:
            # Per-backend rows (benchmarks/backends.py); in quick mode only when asked for.
            chosen = cases[:1] if settings.quick else cases[:3]
            backend_rows = backends.measure(
                settings.workdir, data, chosen, settings.threads, settings.repeats,
                lambda message: say(settings, message),
            )  # fmt: skip
        section = render_section(
            settings,
            started,
            time.perf_counter() - clock,
            per_step,
            levers,
            study,
            notebook_001,
            n_fit,
        )
        if backend_rows is not None:
            section += backends.render(backend_rows, settings.threads)
        write_results(settings.output, section)
        print(section)
        say(settings, f"results added to {settings.output}")
    finally:
        if not any(arg.startswith("--keep") for arg in (argv or sys.argv[1:])):
            shutil.rmtree(settings.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
