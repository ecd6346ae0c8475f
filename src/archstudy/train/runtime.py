"""Process set-up before Keras is imported: thread pools, log noise, device description."""

from __future__ import annotations

import gc
import importlib.util
import os
import platform
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from archstudy.errors import ArchstudyError

# What `make setup` installs for each backend besides the default (pyproject.toml extras).
BACKEND_EXTRAS = {"jax": "jax", "torch": "torch"}


def configure_process(threads: int, backend: str | None = None) -> None:
    """Choose the Keras backend, size the math thread pools, quiet TensorFlow's chatter.

    Must run before `import keras`: Keras reads KERAS_BACKEND, and the backends read these
    variables once, when they start.
    """
    if backend is not None:
        # The run's own backend (part of its identity), whatever the job's environment says.
        os.environ["KERAS_BACKEND"] = backend
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        hide_tensorflow()
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
    if os.environ.get("KERAS_BACKEND") == "jax" and threads == 1:
        # XLA's CPU client otherwise runs its operations on a pool of one thread per core;
        # jobs run side by side, one core each (BENCHMARKS.md).
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (
            f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()
        )


def hide_tensorflow() -> None:
    """Keep TensorFlow out of a job on another backend: seconds of start-up it never uses.

    Keras imports TensorFlow whenever it is installed, whatever the backend, to seed it
    (`keras.utils.set_random_seed`) and to recognise its types when saving a model. Marked
    missing (`sys.modules["tensorflow"] = None`), it is skipped as where it is not installed;
    nothing a JAX or PyTorch run computes comes from it, so results are the same
    (tests/train/test_backends.py trains both ways).
    """
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]


def require_backend(backend: str) -> None:
    """Fail with one line when the run's backend is not installed in this environment."""
    if importlib.util.find_spec(backend) is None:
        extra = BACKEND_EXTRAS.get(backend, backend)
        raise ArchstudyError(
            f"backend {backend!r} is not installed in this environment (install it with "
            f"`make setup BACKEND={extra}` or `pip install -c constraints.txt -e '.[{extra}]'`, "
            f"or choose another backend: tensorflow, jax, torch)"
        )


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
    elif backend == "torch":
        import torch

        devices = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
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
