"""One measuring process of the benchmark: `python benchmarks/worker.py SPEC.json RESULT.json`.

The driver (benchmarks/run.py) starts one worker per measurement, so each one sets its own
thread pools before TensorFlow is imported (TensorFlow reads them once, at import) and pays
its own import, exactly as a notebook kernel or a Snakemake job does.

Styles (each job's "style"):

- "notebook": what the notebooks do. TensorFlow's default thread pools, float64 NumPy arrays
  (`X / 255.`), a Sequential model with a Flatten layer, `compile`/`fit` with every default
  (progress bar included; the driver sends this process's output to a log file).
- "trainer": the project's real code path. `archstudy.config.build_plan` resolves the
  hyperparameters, `archstudy.train.inputs.load_inputs` prepares float32 arrays once, and
  `archstudy.train.training.train_seed` trains, evaluates and saves exactly as the workflow does.
  Its fit (`SeededModel.fit`) is wrapped (not replaced) to time the call train_seed makes.
- levers: "notebook" jobs with a "lever" mapping, one speed setting changed at a time.
- "hand": the reference for the trainer's step (SGD cases only): a hand-written TensorFlow
  loop with nothing but the step's own operations (the products forward, the gradients, the
  SGD update), one graph loop per epoch over minibatches gathered from arrays held once,
  and the validation accuracy after each epoch. What Keras adds on top of TensorFlow.

Every worker also times a large float32 matrix product with its own thread pools: the
hardware peak its training throughput is compared with.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _set_threads(threads: int | None) -> None:
    """Threads as the workflow sets them (archstudy.train.runtime), or TensorFlow's own defaults."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if threads is not None:
        from archstudy.train.runtime import configure_process

        configure_process(threads)


def _importing(quick: bool) -> Any:
    """archstudy.train.runtime.quick_imports for trainer workers; nothing for notebook ones."""
    from contextlib import nullcontext

    from archstudy.train.runtime import quick_imports

    return quick_imports() if quick else nullcontext()


# This file only runs as a script. The thread pools are fixed when TensorFlow starts, so they
# are set before Keras is imported, and the import itself is timed.
SPEC: dict[str, Any] = json.loads(Path(sys.argv[1]).read_text())
_set_threads(SPEC.get("threads"))
# A worker of trainer jobs imports as a workflow training job does; a notebook imports plainly.
QUICK_IMPORTS = all(job["style"] == "trainer" for job in SPEC["jobs"])
_started = time.perf_counter()
with _importing(QUICK_IMPORTS):
    import keras  # noqa: E402
    import numpy as np  # noqa: E402
    import tensorflow as tf  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _started


class _EpochTimer(keras.callbacks.Callback):  # type: ignore[misc]
    """Wall and CPU seconds of each epoch (the first one includes tracing the graphs)."""

    def __init__(self) -> None:
        super().__init__()
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.wall.append(time.perf_counter() - self._started[0])
        self.cpu.append(time.process_time() - self._started[1])


class _FitTimer:
    """Wraps the fit calls: wall and CPU seconds of each call, and the settings it ran with.

    The trainer trains through `SeededModel.fit` (on TensorFlow without Keras' `fit`), the
    notebook style through `keras.Model.fit`; both are wrapped, and a call inside a timed
    call (Keras' `fit` under `SeededModel.fit` on other backends) is not timed twice.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._timing = False

    def install(self) -> None:
        from archstudy.train.seeded_model import SeededModel

        keras_fit, seeded_fit = keras.Model.fit, SeededModel.fit

        def timed_keras_fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            if self._timing:
                return keras_fit(model, *args, **kwargs)
            x = args[0] if args else kwargs.get("x")
            return self._timed(
                model,
                x,
                kwargs.get("batch_size"),
                kwargs,
                lambda **kw: keras_fit(model, *args, **kw),
            )

        def timed_seeded_fit(models: Any, model: Any, x: Any, y: Any, **kwargs: Any) -> Any:
            return self._timed(
                model,
                x,
                models.fit_batch_size,
                kwargs,
                lambda **kw: seeded_fit(models, model, x, y, **kw),
            )

        keras.Model.fit = timed_keras_fit
        SeededModel.fit = timed_seeded_fit

    def _timed(
        self, model: Any, x: Any, batch_size: int | None, kwargs: dict[str, Any], fit: Any
    ) -> Any:
        # An epoch-level timer joins the caller's callbacks; it changes nothing computed.
        epochs = _EpochTimer()
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), epochs]
        wall, cpu = time.perf_counter(), time.process_time()
        self._timing = True
        try:
            history = fit(**kwargs)
        finally:
            self._timing = False
        self.calls.append(
            {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "epochs": len(history.history.get("loss", [])),
                "epoch_wall": epochs.wall,
                "epoch_cpu": epochs.cpu,
                "val_accuracy": _last(history.history.get("val_accuracy")),
                "batch_size": batch_size,
                "validation_batch_size": kwargs.get("validation_batch_size"),
                "steps_per_execution": int(model.steps_per_execution),
                # A StepLoop (archstudy.train.step_loop) trains several minibatches per call.
                "step_loop_minibatches": _step_loop_minibatches(model, batch_size),
                "jit_compile": bool(model.jit_compile),
                "input_dtype": _dtype(x),
                "optimizer": _optimizer_summary(model.optimizer),
                "parameters": int(model.count_params()),
                "examples": _examples(x),
            }
        )
        return history


def _step_loop_minibatches(model: Any, batch_size: int | None) -> int | None:
    """Minibatches per train_step call of a StepLoop model; None for a plain Keras model."""
    minibatch = getattr(model, "minibatch_size", None)
    return batch_size // minibatch if minibatch and batch_size else None


def _dtype(x: Any) -> str:
    return "tf.data" if isinstance(x, tf.data.Dataset) else str(np.asarray(x).dtype)


def _examples(x: Any) -> int:
    if isinstance(x, tf.data.Dataset):
        return int(sum(int(tf.shape(batch[0])[0]) for batch in x))
    return len(x)


def _last(values: list[float] | None) -> float | None:
    return float(values[-1]) if values else None


def _optimizer_summary(optimizer: Any) -> dict[str, Any]:
    """The settings that decide what an optimizer computes (for the same-optimizer check)."""
    config = optimizer.get_config()
    keep = ("name", "learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho")
    summary = {key: config[key] for key in keep if key in config}
    summary["name"] = type(optimizer).__name__.lower()
    if "learning_rate" in summary:
        summary["learning_rate"] = round(float(summary["learning_rate"]), 10)
    return summary


def matmul_peak(size: int, repeats: int = 3) -> float:
    """Best GFLOP/s of a size x size float32 matrix product (2 n^3 FLOPs) on this process."""
    a = tf.random.normal((size, size), dtype=tf.float32)
    b = tf.random.normal((size, size), dtype=tf.float32)

    @tf.function
    def product(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(tf.linalg.matmul(a, b))

    product(a, b).numpy()  # trace and warm up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        product(a, b).numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


def products_per_step(
    hidden: list[int], batch_size: int, seconds_each: float = 0.2
) -> dict[str, float]:
    """The matrix products of Keras' training step for this network, each timed alone.

    Traces the step of a plain Dense stack (the products do not depend on activations, loss
    or optimizer) and times every product in it, at its own shapes and transposes, in a
    compiled loop with this process's threads: how fast a step could be if nothing but its
    products ran. Each product keeps the best of 5 loops of about `seconds_each`, less the
    loop's own cost per turn (a 1x1 product's loop, about 15 us here: as long as the
    smallest products themselves).
    """
    dense = [keras.layers.Dense(units) for units in [*hidden, 10]]
    model = keras.Sequential([keras.Input((784,)), *dense])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    step = tf.function(model.train_step)
    batch = (tf.zeros((batch_size, 784)), tf.zeros((batch_size,), tf.int64))
    graph = step.get_concrete_function(batch).graph

    @tf.function(reduce_retracing=True)
    def loop(a: tf.Tensor, b: tf.Tensor, count: tf.Tensor, ta: bool, tb: bool) -> tf.Tensor:
        total = tf.zeros(())
        for _ in tf.range(count):
            # One element of each product is kept, so none of them is optimised away.
            total += tf.linalg.matmul(a, b, transpose_a=ta, transpose_b=tb)[0, 0]
        return total

    def timed(a_shape: tuple[int, ...], b_shape: tuple[int, ...], ta: bool, tb: bool) -> float:
        """Best seconds per turn of the loop over this product."""
        a, b = tf.random.normal(a_shape), tf.random.normal(b_shape)

        def turn(count: int) -> float:
            started = time.perf_counter()
            loop(a, b, tf.constant(count), ta, tb).numpy()
            return (time.perf_counter() - started) / count

        turn(1)  # traces the loop for these shapes
        count = max(3, min(20_000, int(seconds_each / turn(3))))
        return min(turn(count) for _ in range(5))

    loop_turn = timed((1, 1), (1, 1), False, False)
    seconds = flops = 0.0
    products = [op for op in graph.get_operations() if op.type == "MatMul"]
    for op in products:
        (a_shape, b_shape) = (tuple(tensor.shape) for tensor in op.inputs)
        ta, tb = bool(op.get_attr("transpose_a")), bool(op.get_attr("transpose_b"))
        seconds += max(timed(a_shape, b_shape, ta, tb) - loop_turn, 0.0)
        rows = a_shape[1] if ta else a_shape[0]
        inner = a_shape[0] if ta else a_shape[1]
        columns = b_shape[0] if tb else b_shape[1]
        flops += 2 * rows * inner * columns
    return {
        "seconds_per_step": seconds,
        "flops_per_step": flops,
        "products": len(products),
        "loop_turn_seconds": loop_turn,
    }


def load_arrays(path: str) -> dict[str, Any]:
    """The prepared dataset as the workflow writes it (uint8 images, integer labels)."""
    with np.load(path) as archive:
        return {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}


NOTEBOOK_OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}


def notebook_run(case: dict[str, Any], seed: int, arrays: dict[str, Any], **lever: Any) -> None:
    """Notebook 000's recipe, with the case's network, optimizer and batch size.

    `lever` changes one setting at a time (levers section): float32 inputs, compile's
    steps_per_execution or jit_compile, a tf.data pipeline, the validation batch size, the
    progress bar, or training in the project's StepLoop. With no lever this is the notebook
    exactly.
    """
    holdout = case["validation_count"]
    x_full, y_full = arrays["x_train"], arrays["y_train"]
    x_valid, x_train = x_full[:holdout] / 255.0, x_full[holdout:] / 255.0  # float64, as typed
    y_valid, y_train = y_full[:holdout], y_full[holdout:]
    if lever.get("float32"):
        x_valid, x_train = x_valid.astype(np.float32), x_train.astype(np.float32)

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=x_train.shape[1:]),
            keras.layers.Flatten(),
            *[keras.layers.Dense(units, activation=case["activation"]) for units in case["hidden"]],
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    compile_options = {
        key: lever[key] for key in ("steps_per_execution", "jit_compile") if key in lever
    }
    steps_per_call = lever.get("step_loop", 1)
    if steps_per_call > 1:
        from archstudy.train.step_loop import StepLoop

        model = StepLoop(model, case["batch_size"])
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=NOTEBOOK_OPTIMIZERS[case["optimizer"]](learning_rate=case["learning_rate"]),
        metrics=["accuracy"],
        **compile_options,
    )
    fit_options: dict[str, Any] = {"epochs": case["epochs"]}
    if "verbose" in lever:
        fit_options["verbose"] = lever["verbose"]
    if lever.get("tf_data"):
        # Cached tensors, reshuffled every epoch, batched and prefetched.
        train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).cache()
        train = train.shuffle(len(y_train), seed=seed).batch(case["batch_size"]).prefetch(2)
        valid = tf.data.Dataset.from_tensor_slices((x_valid, y_valid)).batch(1024).cache()
        model.fit(train, validation_data=valid, **fit_options)
        return
    if steps_per_call > 1:  # chunks of consecutive minibatches; validation keeps its batch
        fit_options["batch_size"] = case["batch_size"] * steps_per_call
        fit_options["validation_batch_size"] = case["batch_size"]
    elif case["batch_size"] != 32:  # the notebooks leave Keras' default of 32 implicit
        fit_options["batch_size"] = case["batch_size"]
    if "validation_batch_size" in lever:
        fit_options["validation_batch_size"] = lever["validation_batch_size"]
    model.fit(x_train, y_train, validation_data=(x_valid, y_valid), **fit_options)


def hand_run(case: dict[str, Any], seed: int, arrays: dict[str, Any]) -> dict[str, Any]:
    """The hand-written loop (module docstring): its timings, shaped like a timed fit call."""
    holdout, size, rate = case["validation_count"], case["batch_size"], case["learning_rate"]
    if case["optimizer"] != "sgd":
        raise ValueError(f"the hand-written loop trains with SGD only, not {case['optimizer']}")
    images = arrays["x_train"].reshape(len(arrays["x_train"]), -1).astype(np.float32) / 255
    x_valid, x_fit = tf.constant(images[:holdout]), tf.constant(images[holdout:])
    labels = arrays["y_train"].astype(np.int64)
    y_valid, y_fit = tf.constant(labels[:holdout]), tf.constant(labels[holdout:])
    keras.utils.set_random_seed(seed)
    sizes = [images.shape[1], *case["hidden"], 10]
    initial = keras.initializers.GlorotUniform()
    weights = [
        tf.Variable(value)
        for fan_in, fan_out in zip(sizes, sizes[1:], strict=False)
        for value in (initial((fan_in, fan_out)), tf.zeros(fan_out))
    ]
    activation = {"relu": tf.nn.relu, "sigmoid": tf.math.sigmoid}[case["activation"]]

    def logits(x: tf.Tensor) -> tf.Tensor:
        for kernel, bias in zip(weights[:-2:2], weights[1:-2:2], strict=True):
            x = activation(tf.matmul(x, kernel) + bias)
        return tf.matmul(x, weights[-2]) + weights[-1]

    @tf.function
    def epoch(order: tf.Tensor) -> tf.Tensor:
        steps = (tf.size(order) + size - 1) // size

        def step(index: tf.Tensor) -> tf.Tensor:
            rows = order[index * size : (index + 1) * size]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(
                        tf.gather(y_fit, rows), logits(tf.gather(x_fit, rows))
                    )
                )
            for weight, gradient in zip(weights, tape.gradient(loss, weights), strict=True):
                weight.assign_sub(rate * gradient)
            return index + 1

        tf.while_loop(lambda index: index < steps, step, [0], parallel_iterations=1)
        right = tf.argmax(logits(x_valid), axis=1) == y_valid
        return tf.reduce_mean(tf.cast(right, tf.float32))

    epoch_wall: list[float] = []
    epoch_cpu: list[float] = []
    accuracy = 0.0
    for _ in range(case["epochs"]):
        wall, cpu = time.perf_counter(), time.process_time()
        accuracy = float(epoch(tf.random.shuffle(tf.range(len(labels) - holdout))))
        epoch_wall.append(time.perf_counter() - wall)
        epoch_cpu.append(time.process_time() - cpu)
    return {
        "wall": sum(epoch_wall),
        "cpu": sum(epoch_cpu),
        "epochs": case["epochs"],
        "epoch_wall": epoch_wall,
        "epoch_cpu": epoch_cpu,
        "val_accuracy": accuracy,
        "batch_size": size,
        "examples": len(labels) - holdout,
        "parameters": int(sum(np.prod(weight.shape) for weight in weights)),
    }


def trainer_hyperparameters(case: dict[str, Any], n_train: int) -> Any:
    """The case as a study config, resolved by the project's own config code."""
    from archstudy.config.plan import build_plan

    settings = {
        "dataset": case["dataset"],
        "hidden": list(case["hidden"]),
        "activation": case["activation"],
        "optimizer": case["optimizer"],
        "learning_rate": case["learning_rate"],
        "batch_size": case["batch_size"],
        "epochs": case["epochs"],
        # The notebook holds out the first examples: the "head" split cuts exactly there.
        "validation_split": case["validation_count"] / n_train,
        "validation_method": "head",
        "seeds": [0],
    }
    plan = build_plan({"defaults": settings, "studies": {"benchmark": {"variants": {"v": {}}}}})
    (hyperparameters,) = plan.hyperparameters.values()
    return hyperparameters


def trainer_run(case: dict[str, Any], seed: int, data_path: str, workdir: Path) -> None:
    """train_seed on the prepared dataset: the code path every workflow job runs."""
    from archstudy.train.inputs import load_inputs
    from archstudy.train.runtime import describe_runtime
    from archstudy.train.training import train_seed

    n_train = len(np.load(data_path)["y_train"])
    hyperparameters = trainer_hyperparameters(case, n_train)
    inputs = load_inputs(hyperparameters, Path(data_path))
    run_dir = workdir / f"{case['name']}-seed{seed}"
    runtime = describe_runtime(SPEC.get("threads") or 0)
    lines: list[str] = []
    train_seed(
        hyperparameters,
        inputs,
        seed,
        run_dir,
        runtime,
        log=lines.append,
        learning_rate=hyperparameters.learning_rate,
    )


def _wait_for_start(barrier: dict[str, str] | None) -> None:
    """Jobs run concurrently start together: say ready, then wait for the driver's go."""
    if not barrier:
        return
    Path(barrier["ready"]).write_text("ready\n")
    deadline = time.monotonic() + 600
    while not Path(barrier["go"]).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the driver never said go")
        time.sleep(0.01)


def main() -> None:
    from archstudy.train.models import training_flops_per_example

    result_path = Path(sys.argv[2])
    workdir = Path(SPEC["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    timer = _FitTimer()
    timer.install()
    result: dict[str, Any] = {
        "threads": SPEC.get("threads"),
        "import_seconds": IMPORT_SECONDS,
        "quick_imports": QUICK_IMPORTS,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "runs": [],
    }
    result["peak_gflops"] = matmul_peak(SPEC["peak_size"]) if SPEC.get("peak_size") else None
    jobs = SPEC["jobs"]
    arrays = load_arrays(SPEC["data"]) if any(job["style"] != "trainer" for job in jobs) else {}
    _wait_for_start(SPEC.get("barrier"))
    for job in jobs:
        case, seed = job["case"], job["seed"]
        before = len(timer.calls)
        started = time.perf_counter()
        hand = [hand_run(case, seed, arrays)] if job["style"] == "hand" else []
        if job["style"] == "trainer":
            trainer_run(case, seed, SPEC["data"], workdir)
        elif job["style"] == "notebook":
            notebook_run(case, seed, arrays, **job.get("lever", {}))
        total = time.perf_counter() - started
        calls = hand or timer.calls[before:]
        if len(calls) != 1:
            raise RuntimeError(f"expected one fit call per run, saw {len(calls)}")
        result["runs"].append(
            {
                "style": job["style"],
                "case": case["name"],
                "seed": seed,
                "lever": job.get("lever", {}),
                "label": job.get("label", ""),
                "total": total,
            }
            | calls[0]
            | {"training_flops": training_flops_per_example(case["hidden"])}
        )
    if SPEC.get("products_alone"):
        case = jobs[0]["case"]
        result["products"] = products_per_step(
            case["hidden"], case["batch_size"], SPEC["products_alone"]
        )
    result_path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
