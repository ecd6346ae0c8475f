"""Process set-up before Keras is imported: thread pools, log noise, device description."""

from __future__ import annotations

import os
import platform
import socket
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


def describe_runtime(threads: int) -> dict[str, Any]:
    """Where a run happened, for the metrics and the reproducibility appendix."""
    import keras

    from archstudy.provenance import cpu_model

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
