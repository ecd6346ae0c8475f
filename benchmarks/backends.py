"""Per-step rows per Keras backend: the project's trainer on TensorFlow, JAX and PyTorch.

benchmarks/run.py measures them (section "backends", `measure` and `table`), one worker
process per measurement, as a workflow job runs:

    python benchmarks/backends.py --worker SPEC.json RESULT.json

benchmarks/gpu_check.py calls `train_case` in its own process. Everything here needs only
Keras, the backend, NumPy and the archstudy package (no Snakemake, pandas or scikit-learn).
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BACKENDS = ("tensorflow", "jax", "torch")


def installed() -> list[str]:
    """The backends this environment can train on."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def case_hyperparameters(case: dict[str, Any], n_train: int, backend: str) -> Any:
    """A benchmark case (benchmarks/run.py `case`) as the trainer's hyperparameters."""
    from archstudy.config.hyperparameters import Hyperparameters

    hidden = tuple(case["hidden"])
    return Hyperparameters(
        dataset=case["dataset"],
        hidden=hidden,
        activations=(case["activation"],) * len(hidden),
        kernel_initializer="glorot_uniform",
        optimizer=case["optimizer"],
        learning_rate=case["learning_rate"],
        batch_size=case["batch_size"],
        epochs=case["epochs"],
        # The notebook holds out the first examples: the "head" split cuts exactly there.
        validation_split=case["validation_count"] / n_train,
        validation_method="head",
        validation_seed=0,
        backend=backend,
    )


def train_case(
    case: dict[str, Any],
    seed: int,
    data: Path,
    workdir: Path,
    runtime: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one case with `train_seed` on the running backend; its epoch times and accuracy.

    `runtime` describes the device (default: `describe_runtime`, which needs pandas).
    """
    import keras
    import numpy as np

    from archstudy.train.inputs import load_inputs
    from archstudy.train.training import train_seed

    with np.load(data) as arrays:
        n_train = len(arrays["y_train"])
    hyperparameters = case_hyperparameters(case, n_train, keras.backend.backend())
    inputs = load_inputs(hyperparameters, data)
    run_dir = workdir / f"{case['name']}-{hyperparameters.backend}-seed{seed}"
    if runtime is None:
        from archstudy.train.runtime import describe_runtime

        runtime = describe_runtime(1)
    wall, cpu = time.perf_counter(), time.process_time()
    metrics = train_seed(
        hyperparameters,
        inputs,
        seed,
        run_dir,
        runtime,
        log=lambda line: None,
        learning_rate=case["learning_rate"],
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    history = (run_dir / "history.csv").read_text().splitlines()[1:]
    epochs = [float(line.rsplit(",", 1)[1]) for line in history]
    return {
        "case": case["name"],
        "backend": hyperparameters.backend,
        "device": runtime["device"],
        "epoch_wall": epochs,
        "cpu": cpu,
        "wall": wall,
        "train_seconds": metrics["train_seconds"],
        "val_accuracy": metrics["val_accuracy"],
        "test_accuracy": metrics["test_accuracy"],
    }


def worker(spec_path: Path, result_path: Path) -> None:
    """One measuring process: set up as a workflow job does, time the import, train."""
    spec = json.loads(spec_path.read_text())
    started = time.perf_counter()
    from archstudy.train.runtime import configure_process, quick_imports

    configure_process(spec["threads"], spec["backend"])
    with quick_imports():
        import keras  # noqa: F401

        import archstudy.train.training  # noqa: F401
    imported = time.perf_counter() - started
    runs = [
        train_case(spec["case"], seed, Path(spec["data"]), Path(spec["workdir"]))
        for seed in spec["seeds"]
    ]
    result = {
        "import_seconds": imported,
        "tensorflow_imported": sys.modules.get("tensorflow") is not None,
        "runs": runs,
    }
    result_path.write_text(json.dumps(result, indent=2) + "\n")


def steady(run: dict[str, Any]) -> float:
    """Median seconds of the epochs after the first (which also compiles the step)."""
    return statistics.median(run["epoch_wall"][1:] or run["epoch_wall"])


def measure(
    workdir: Path,
    data: Path,
    cases: list[dict[str, Any]],
    threads: int,
    repeats: int,
    say: Any = print,
) -> list[dict[str, Any]]:
    """Every case on every installed backend; each keeps its fastest of `repeats` workers.

    The backends take turns, never side by side, so a busy machine slows them alike;
    compare them within one run.
    """
    rows = []
    for index, case in enumerate(cases):
        best: dict[str, dict[str, Any]] = {}
        for repeat in range(repeats):
            for backend in installed():
                say(f"backends: {case['name']} on {backend}")
                stem = workdir / f"backends-{index}-{backend}-{repeat}"
                spec = {
                    "backend": backend,
                    "threads": threads,
                    "case": case,
                    "seeds": [0],
                    "data": str(data),
                    "workdir": str(workdir / "runs"),
                }
                stem.with_suffix(".spec.json").write_text(json.dumps(spec))
                with stem.with_suffix(".log").open("w") as log:
                    subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--worker",
                            str(stem.with_suffix(".spec.json")),
                            str(stem.with_suffix(".result.json")),
                        ],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        check=True,
                        timeout=3600,
                    )
                result = json.loads(stem.with_suffix(".result.json").read_text())
                wall = sum(run["wall"] for run in result["runs"])
                if backend not in best or wall < sum(r["wall"] for r in best[backend]["runs"]):
                    best[backend] = result
        rows.append({"case": case, "workers": best})
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The per-backend rows, with each backend's ratio to TensorFlow in the same run."""
    lines = [
        "| network | batch | backend | s/epoch | s/epoch after epoch 1 | CPU s/epoch "
        "| TensorFlow time / this, after epoch 1 | val acc | job start-up s | TF imported |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        case, workers = row["case"], row["workers"]
        reference = workers.get("tensorflow")
        for backend, worker in workers.items():
            (run,) = worker["runs"]
            epochs = len(run["epoch_wall"])
            ratio = f"{steady(reference['runs'][0]) / steady(run):.2f}x" if reference else "n/a"
            lines.append(
                f"| {case['network']} | {case['batch_size']} | {backend} "
                f"| {run['train_seconds'] / epochs:.2f} | {steady(run):.2f} "
                f"| {run['cpu'] / epochs:.2f} | {ratio} | {run['val_accuracy']:.4f} "
                f"| {worker['import_seconds']:.1f} "
                f"| {'yes' if worker['tensorflow_imported'] else 'no'} |"
            )
    return lines


def render(rows: list[dict[str, Any]], threads: int) -> str:
    """The section benchmarks/run.py appends to its results."""
    lines = [
        "",
        "### Per-step rows per Keras backend",
        "",
        "The project's trainer (`archstudy.train.training.train_seed`) on each installed "
        f"backend, {threads} thread(s), one worker process per backend and measurement, set "
        "up as a workflow job (`configure_process`, `quick_imports`): TensorFlow with its "
        "StepLoop, JAX with `steps_per_execution`, PyTorch one step per call. Seconds per "
        "epoch include validation; the first epoch also compiles. CPU seconds: the whole "
        "`train_seed` call (compilation, evaluation and saving included, all threads) per "
        "epoch. Job start-up: seconds to import Keras and the trainer on that backend. "
        "Backends took turns in one run on a machine that other processes may share: "
        "compare the ratios within this run.",
        "",
        *table(rows),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:2] != ["--worker"] or len(sys.argv) != 4:
        sys.exit("usage: python benchmarks/backends.py --worker SPEC.json RESULT.json")
    worker(Path(sys.argv[2]), Path(sys.argv[3]))
