"""What every benchmark section shares: settings, training recipes, data, worker processes and
the arithmetic on their results."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
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
# The trainer's epoch after the first against the hand-written TensorFlow loop's (issue #21).
TARGET_HAND_RATIO = 1.3
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
    """Notebook 000's network with its optimizer, notebook 001's 2048-unit network, and its
    32-unit one at its batch size (small enough for the per-step overhead to set the pace)."""
    cases = [case("784-300-100-10", [300, 100], "relu", 0.4, batch) for batch in (32, 128, 1024)]
    cases += [case("784-2048-10", [2048], "sigmoid", 0.01, batch) for batch in (32, 128, 1024)]
    cases.append(case("784-32-10", [32], "sigmoid", 0.01, 128))
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
    from archstudy.data.download import fetch_dataset
    from archstudy.data.prepared import prepare_dataset

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


def say(settings: Settings, message: str) -> None:
    print(f"[benchmark {time.strftime('%H:%M:%S')}] {message}", flush=True)
