"""The cost model: each variant's parameters, memory, data, training work and rough time.

One owner for the arithmetic: the config refuses plans over `limits` with it, `archstudy
check` prints a plan's totals, the workflow orders training jobs longest first and estimates
the time a study has left. It imports neither Keras nor TensorFlow, so it costs nothing to
ask before anything runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.data.registry import DATASETS

# MNIST-like images are flattened to 28 x 28 = 784 inputs and classified into 10 classes.
INPUT_SIZE = 784
NUM_CLASSES = 10
BYTES_PER_VALUE = 4  # float32 everywhere: data, weights, gradients, activations
MNIST_TEST_SIZE = 10_000  # the test split of the IDX datasets

# Calibrated on BENCHMARKS.md's 2026-11-30 runs (AMD EPYC, one thread per training job, the
# trainer's seconds per epoch for 784-300-100-10 and 784-2048-10 at batch 32, 128 and 1024,
# and 784-32-10's time per step at batch 128): a least-squares fit of
#   seconds per epoch = steps x STEP_SECONDS + FLOPs x (batch + HALF_SPEED_BATCH) / batch / RATE
# is within a factor 1.25 of five of the seven points and 1.8 of all (784-32-10 at batch 128
# runs slower than it says, 784-300-100-10 at batch 32 faster). Products of a small batch run
# slower (HALF_SPEED_BATCH); small networks are bound by Keras' own work per step
# (STEP_SECONDS). On whole studies (BENCHMARKS.md, notebook studies on real data) it gives
# notebook 004 10 CPU minutes against 13.1 measured, notebook 000 4 against 5.5, and notebook
# 001's 237 TFLOP of products, the count issue #21 made by hand.
# Another machine runs faster or slower by a constant factor: the time left is recalibrated
# from the seeds a study has already trained (`calibration`).
RATE_FLOPS = 60e9
HALF_SPEED_BATCH = 32
STEP_SECONDS = 0.5e-3
SEED_SECONDS = 2.0  # tracing the first epoch, final evaluation, writing the seed's files
JOB_SECONDS = 10.0  # a training job's start: Python, TensorFlow and scikit-learn, the data
RUNTIME_BYTES = 700e6  # a training process at rest (Python, TensorFlow), before any data
EVALUATION_BATCH = 1024  # examples per evaluation step (archstudy.train.training)
# Extra slots per parameter an optimizer keeps (Keras 3): Adam two moments, RMSprop one
# average (plus a momentum with momentum), SGD none (one momentum with momentum).
_OPTIMIZER_SLOTS = {"adam": 2, "rmsprop": 1, "sgd": 0}


def layer_sizes(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> list[int]:
    """Widths from input to output, e.g. [784, 32, 10]."""
    return [input_size, *hidden, num_classes]


def count_parameters(
    hidden: Sequence[int],
    input_size: int = INPUT_SIZE,
    num_classes: int = NUM_CLASSES,
    batch_norm: bool = False,
) -> int:
    """Weights plus biases of every dense layer: 784-32-10 has 784*32+32 + 32*10+10 = 25,450.

    Batch normalisation adds four per hidden unit (scale and shift, trained; mean and
    variance, tracked), as Keras' own count does.
    """
    sizes = layer_sizes(hidden, input_size, num_classes)
    dense = sum(
        fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False)
    )
    return dense + (4 * sum(hidden) if batch_norm else 0)


def flops_per_example(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> int:
    """Forward-pass FLOPs for one example: a multiply and an add per weight (2 * fan_in * fan_out).

    Bias additions and activations are ignored, as is usual for dense-layer cost tables.
    """
    sizes = layer_sizes(hidden, input_size, num_classes)
    return sum(2 * fan_in * fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False))


def training_flops_per_example(
    hidden: Sequence[int], input_size: int = INPUT_SIZE, num_classes: int = NUM_CLASSES
) -> int:
    """Matrix-product FLOPs of one training step per example: 784-32-10 has 3 * 50,816 - 50,176.

    Backward, every layer needs the product for its weights' gradient, and every layer but
    the first the product for its input's gradient: nothing asks for the gradient with
    respect to the data, and TensorFlow skips that product (a test counts the products in
    Keras' traced training step). So three times the forward FLOPs, less the first layer's.
    """
    first_layer = 2 * input_size * (list(hidden)[0] if hidden else num_classes)
    return 3 * flops_per_example(hidden, input_size, num_classes) - first_layer


@dataclass(frozen=True)
class Cost:
    """What one training job (a variant, all its seeds) needs, by the model above."""

    parameters: int
    memory_bytes: float  # peak of the job: runtime, data, weights and state, activations
    data_bytes: float  # the prepared arrays the job loads, as float32
    runs: int  # seeds
    epochs: int  # per seed, at most (early stopping may end sooner)
    examples: int  # training examples per epoch
    flops: float  # the job's matrix products: training, validation, evaluation
    seconds: float  # rough time on one core of the calibration machine

    @property
    def memory_gb(self) -> float:
        return self.memory_bytes / 1e9

    @property
    def hours(self) -> float:
        return self.seconds / 3600


def split_sizes(hyperparameters: Hyperparameters) -> tuple[int, int, int]:
    """Training, validation and test examples of the variant (the trainer's own split)."""
    spec = DATASETS[hyperparameters.dataset]
    train = hyperparameters.train_subset or spec.train_size
    validation = math.ceil(train * hyperparameters.validation_split)
    return train - validation, validation, spec.test_size or MNIST_TEST_SIZE


def estimate(hyperparameters: Hyperparameters, seeds: int) -> Cost:
    """The cost of training `hyperparameters` once per seed, `seeds` times, in one job."""
    hp = hyperparameters
    fit, validation, test = split_sizes(hp)
    spec = DATASETS[hp.dataset]
    hidden = list(hp.hidden)
    parameters = count_parameters(hidden, batch_norm=hp.batch_norm)
    forward = flops_per_example(hidden)
    training = training_flops_per_example(hidden)
    steps = math.ceil(fit / hp.batch_size)
    slots = _OPTIMIZER_SLOTS[hp.optimizer] + (1 if hp.momentum else 0)

    epoch_flops = fit * training + validation * forward
    final_flops = (fit + validation + 2 * test) * forward  # evaluate three splits, predict test
    range_epochs = hp.lr_range_test.epochs if hp.lr_range_test is not None else 0
    flops = seeds * (hp.epochs * epoch_flops + final_flops) + range_epochs * fit * training
    slowdown = (hp.batch_size + HALF_SPEED_BATCH) / hp.batch_size  # small batches run slower
    epoch_seconds = steps * STEP_SECONDS + (fit * training * slowdown + validation * forward) / (
        RATE_FLOPS
    )
    seconds = (
        JOB_SECONDS
        + seeds * (hp.epochs * epoch_seconds + SEED_SECONDS + final_flops / RATE_FLOPS)
        + range_epochs * epoch_seconds
    )

    images = spec.train_size + (spec.test_size or MNIST_TEST_SIZE)
    data_bytes = images * INPUT_SIZE * BYTES_PER_VALUE
    # Forward outputs and their gradients per unit and example, twice more with batch
    # normalisation (its normalised values), once more with dropout (its mask).
    per_unit = 2 + (2 if hp.batch_norm else 0) + (1 if hp.dropout else 0)
    units = sum(layer_sizes(hidden)[1:])
    activations = max(hp.batch_size * per_unit, EVALUATION_BATCH) * units * BYTES_PER_VALUE
    state = parameters * (2 + slots) * BYTES_PER_VALUE  # weights, gradients, optimizer slots
    memory = RUNTIME_BYTES + data_bytes + state + activations
    return Cost(
        parameters=parameters,
        memory_bytes=memory,
        data_bytes=data_bytes,
        runs=seeds,
        epochs=hp.epochs,
        examples=fit,
        flops=flops,
        seconds=seconds,
    )


def estimate_all(
    hyperparameters: Mapping[str, Hyperparameters], seeds: Mapping[str, Sequence[int]]
) -> dict[str, Cost]:
    """Each variant's cost (by variant id) for the seeds the plan trains it with."""
    return {
        variant_id: estimate(hp, len(seeds[variant_id]))
        for variant_id, hp in hyperparameters.items()
    }


def calibration(finished: Sequence[tuple[Cost, float]]) -> float:
    """How much slower (over 1) or faster this machine is than the model, from finished seeds.

    `finished` pairs the model's cost of one seed with the seconds it took here; the ratio of
    the sums weighs long seeds most, whose times the job's start-up disturbs least.
    """
    estimated = sum(cost.seconds - JOB_SECONDS for cost, _ in finished)
    measured = sum(seconds for _, seconds in finished)
    return measured / estimated if finished and estimated > 0 and measured > 0 else 1.0


def wall_seconds(costs: Sequence[Cost], cores: int) -> float:
    """The study's rough wall time with `cores` jobs side by side, longest first.

    Jobs are dealt to the core that frees first (what the longest-first order gives), so the
    wall time is at least the longest job and about the total over the cores.
    """
    finish = [0.0] * max(1, cores)
    for cost in sorted(costs, key=lambda cost: cost.seconds, reverse=True):
        finish[finish.index(min(finish))] += cost.seconds
    return max(finish)


def format_duration(seconds: float) -> str:
    """`45 s`, `12 min`, `3.4 h`: as precise as a rough estimate deserves."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
