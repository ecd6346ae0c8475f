"""A training job on one Keras backend, run by tests/train/test_backends.py in a fresh interpreter.

    python tests/backend_job.py BACKEND WORKDIR [keras-seeding]

Trains two seeds of a small network with dropout on synthetic data, with the job's own code
(`train_variant`), into WORKDIR/runs, and writes WORKDIR/job.json: the seconds `import` took
and whether TensorFlow was imported. `with-tensorflow` lets Keras import TensorFlow, as it does
whenever it is installed, which the job otherwise keeps out (results must be the same).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

started = time.perf_counter()
from archstudy.train.runtime import configure_process, quick_imports  # noqa: E402

backend, workdir = sys.argv[1], Path(sys.argv[2])
configure_process(1, backend)
if sys.argv[3:] == ["with-tensorflow"]:
    del sys.modules["tensorflow"]
with quick_imports():
    from archstudy.train.variant_job import train_variant
imported = time.perf_counter() - started

import numpy as np  # noqa: E402
from factories import hyperparameters  # noqa: E402

rng = np.random.default_rng(0)
y_train, y_test = np.arange(400) % 10, np.arange(100) % 10
images = rng.integers(0, 256, (500, 28, 28), dtype=np.uint8)
for index, label in enumerate(np.concatenate([y_train, y_test])):
    images[index, 2 * label : 2 * label + 4, 4:24] = 255  # a bar whose row is the label
np.savez(
    workdir / "data.npz",
    x_train=images[:400],
    y_train=y_train.astype(np.uint8),
    x_test=images[400:],
    y_test=y_test.astype(np.uint8),
    class_names=np.array([str(digit) for digit in range(10)]),
)
settings = hyperparameters(
    dataset="tiny", hidden=(16,), dropout=0.2, learning_rate=0.01, batch_size=16, epochs=2
)
settings = dataclasses.replace(settings, backend=backend)
runs = workdir / "runs" / settings.variant_id / "runs.json"
lines: list[str] = []
train_variant(
    settings,
    [0, 1],
    workdir / "data.npz",
    runs,
    {"threads": 1},
    lines.append,
    learning_rate=0.01,
)
job = {
    "import_seconds": imported,
    "tensorflow": sys.modules.get("tensorflow") is not None,
    "log": lines,
}
(workdir / "job.json").write_text(json.dumps(job, indent=2))
