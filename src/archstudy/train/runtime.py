"""Process set-up before Keras is imported: thread pools, log noise, device description."""

from __future__ import annotations

import gc
import os
import platform
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def configure_process(threads: int) -> None:
    """Size the math thread pools and quiet TensorFlow's start-up chatter.

    Must run before `import keras`: TensorFlow reads these variables once, when it starts.
    """
    threads = max(1, int(threads))
    for variable in (
        "TF_NUM_INTRAOP_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):
        os.environ[variable] = str(threads)
    # Inter-op parallelism only helps graphs with independent branches; ours are chains.
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault(
        "TF_CPP_MIN_LOG_LEVEL", "2"
    )  # errors only, unless the user says otherwise
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


# Keras imports scikit-learn (and with it SciPy) for its scikit-learn wrappers only, which
# archstudy does not use: 2-3 s of a training job's start-up, unless the job's validation
# split (stratified or random) needs scikit-learn itself (BENCHMARKS.md).
SKIPPED_BY_KERAS = ("sklearn",)


@contextmanager
def quick_imports() -> Iterator[None]:
    """Import Keras (TensorFlow) faster, for the start-up of training jobs (BENCHMARKS.md).

    Inside, the modules of SKIPPED_BY_KERAS are marked missing (Python's `sys.modules[name] =
    None`), so Keras' optional import of them fails quietly, as it does where they are not
    installed; afterwards they import normally. Python's cyclic garbage collector is paused:
    an import creates millions of long-lived objects and next to no garbage, so its repeated
    full passes over them are wasted (about a tenth of `import keras`).
    """
    skipped = [name for name in SKIPPED_BY_KERAS if name not in sys.modules]
    for name in skipped:
        sys.modules[name] = None  # type: ignore[assignment]
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        for name in skipped:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def describe_runtime(threads: int) -> dict[str, Any]:
    """Where a run happened, for the metrics and the reproducibility appendix."""
    import keras

    from archstudy.machine import cpu_model

    devices = "cpu"
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        devices = ", ".join(gpu.name for gpu in gpus) if gpus else "cpu"
    elif backend == "jax":
        import jax

        devices = ", ".join(str(device) for device in jax.devices())
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "backend": backend,
        "keras": keras.__version__,
        "device": devices,
        "threads": threads,
    }
