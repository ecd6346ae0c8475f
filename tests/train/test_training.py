"""Tests for archstudy.train.training and variant_job: per-seed files, resuming, determinism."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
import pytest
from factories import N_TEST, N_TRAIN, hyperparameters, write_learnable

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.train import run_files
from archstudy.train.models import count_parameters, flops_per_example

HYPERPARAMETERS = hyperparameters(dataset="tiny", hidden=(16,), learning_rate=0.01, epochs=2)
RUNTIME = {"device": "cpu", "threads": 1}


class Log(list):
    """Collects log lines."""

    def __call__(self, message: str) -> None:
        self.append(message)


def train(variant_dir: Path, data_path: Path, seeds: list[int], log: Log | None = None) -> Log:
    from archstudy.train.variant_job import train_variant

    log = Log() if log is None else log
    train_variant(
        HYPERPARAMETERS,
        seeds,
        data_path,
        variant_dir / "runs.json",
        RUNTIME,
        log,
        learning_rate=HYPERPARAMETERS.learning_rate,
    )
    return log


@pytest.fixture(scope="module")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_learnable(tmp_path_factory.mktemp("data") / "tiny.npz")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, data_path: Path) -> Path:
    """A variant trained once for seeds 0 and 1; tests must not modify it."""
    variant_dir = tmp_path_factory.mktemp("runs") / HYPERPARAMETERS.variant_id
    train(variant_dir, data_path, [0, 1])
    return variant_dir


def test_runs_file_lists_variant_and_seeds(trained):
    runs = json.loads((trained / "runs.json").read_text())
    assert runs["variant_id"] == HYPERPARAMETERS.variant_id
    assert runs["seeds"] == [0, 1]
    assert Hyperparameters.from_json(runs["hyperparameters"]) == HYPERPARAMETERS
    saved = json.loads((trained / "hyperparameters.json").read_text())
    assert Hyperparameters.from_json(saved) == HYPERPARAMETERS


@pytest.mark.parametrize("seed", [0, 1])
def test_each_seed_has_all_run_files(trained, seed):
    run_dir = trained / f"seed{seed}"
    for name in ("model.keras", "history.csv", "metrics.json", "test_probabilities.npy"):
        assert (run_dir / name).is_file()
    assert not (trained / f".seed{seed}.partial").exists()


def test_history_has_one_row_per_epoch(trained):
    history = pd.read_csv(trained / "seed0" / "history.csv")
    assert list(history.columns) == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "seconds",
    ]
    assert list(history["epoch"]) == list(range(1, HYPERPARAMETERS.epochs + 1))
    assert history.notna().all().all()
    assert (history["seconds"] >= 0).all()
    assert history[["accuracy", "val_accuracy"]].apply(lambda c: c.between(0, 1)).all().all()


def test_metrics_hold_every_key_and_consistent_counts(trained):
    metrics = json.loads((trained / "seed0" / "metrics.json").read_text())
    # The list the fake runs of the aggregate and report tests are written with (factories).
    assert tuple(metrics) == run_files.METRICS_KEYS
    history = pd.read_csv(trained / "seed0" / run_files.HISTORY_FILE)
    assert tuple(history.columns) == run_files.HISTORY_COLUMNS
    assert metrics["variant_id"] == HYPERPARAMETERS.variant_id
    assert metrics["seed"] == 0
    assert metrics["parameters"] == count_parameters([16]) == 784 * 16 + 16 + 16 * 10 + 10
    assert metrics["flops_per_example"] == flops_per_example([16])
    examples = metrics["examples"]
    assert examples["fit"] + examples["validation"] == N_TRAIN
    assert examples["validation"] == math.ceil(0.1 * N_TRAIN)
    assert examples["test"] == N_TEST
    assert metrics["epochs_run"] == metrics["epochs_planned"] == HYPERPARAMETERS.epochs
    assert metrics["stopped"] == "completed"
    assert metrics["diverged_epoch"] is None
    assert metrics["runtime"] == RUNTIME
    assert metrics["train_seconds"] > 0
    for key in ("train_accuracy", "val_accuracy", "test_accuracy"):
        assert 0 <= metrics[key] <= 1


def test_test_probabilities_are_distributions_matching_test_accuracy(trained, data_path):
    probabilities = np.load(trained / "seed0" / "test_probabilities.npy")
    assert probabilities.shape == (N_TEST, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), np.ones(N_TEST), rtol=1e-5)
    y_test = np.load(data_path)["y_test"]
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
    metrics = json.loads((trained / "seed0" / "metrics.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    # The structure is easy: two epochs learn far better than chance (0.1).
    assert accuracy > 0.5


def test_saved_model_reproduces_test_probabilities(trained, data_path):
    import keras

    model = keras.saving.load_model(trained / "seed0" / "model.keras")
    x_test = np.load(data_path)["x_test"].reshape(N_TEST, -1).astype(np.float32) / 255.0
    probabilities = np.load(trained / "seed0" / "test_probabilities.npy")
    np.testing.assert_allclose(model.predict(x_test, verbose=0), probabilities, atol=1e-5)
    # The plain network is saved (not the StepLoop it trained in), with its trained optimizer.
    assert isinstance(model, keras.Sequential)
    assert int(model.optimizer.iterations.numpy()) > 0


def test_second_call_does_not_retrain(trained, data_path, tmp_path, monkeypatch):
    from archstudy.train import variant_job

    variant_dir = tmp_path / HYPERPARAMETERS.variant_id
    shutil.copytree(trained, variant_dir)
    before = {
        seed: (variant_dir / f"seed{seed}" / "metrics.json").stat().st_mtime_ns for seed in (0, 1)
    }

    def fail(*args, **kwargs):
        raise AssertionError("train_seed called for a seed already trained")

    monkeypatch.setattr(variant_job, "train_seed", fail)
    log = train(variant_dir, data_path, [0, 1])
    after = {
        seed: (variant_dir / f"seed{seed}" / "metrics.json").stat().st_mtime_ns for seed in (0, 1)
    }
    assert after == before
    assert sum("already trained" in line for line in log) == 2


def test_leftover_partial_directory_is_discarded_and_retrained(trained, data_path, tmp_path):
    variant_dir = tmp_path / HYPERPARAMETERS.variant_id
    partial = variant_dir / ".seed0.partial"
    partial.mkdir(parents=True)
    (partial / "model.keras").write_text("half written")
    (partial / "junk.txt").write_text("from the crashed run")
    log = train(variant_dir, data_path, [0])
    assert not partial.exists()
    assert not (variant_dir / "seed0" / "junk.txt").exists()
    assert not any("already trained" in line for line in log)
    np.testing.assert_array_equal(
        np.load(variant_dir / "seed0" / "test_probabilities.npy"),
        np.load(trained / "seed0" / "test_probabilities.npy"),
    )


def test_incomplete_seed_directory_is_retrained(trained, data_path, tmp_path):
    variant_dir = tmp_path / HYPERPARAMETERS.variant_id
    shutil.copytree(trained, variant_dir)
    (variant_dir / "seed1" / "metrics.json").unlink()
    log = train(variant_dir, data_path, [0, 1])
    assert sum("already trained" in line for line in log) == 1
    assert (variant_dir / "seed1" / "metrics.json").is_file()


def test_same_seed_in_fresh_directories_is_identical(trained, data_path, tmp_path):
    variant_dir = tmp_path / HYPERPARAMETERS.variant_id
    train(variant_dir, data_path, [1])
    for name in ("test_probabilities.npy",):
        np.testing.assert_array_equal(
            np.load(variant_dir / "seed1" / name), np.load(trained / "seed1" / name)
        )
    fresh = pd.read_csv(variant_dir / "seed1" / "history.csv")
    original = pd.read_csv(trained / "seed1" / "history.csv")
    columns = ["loss", "accuracy", "val_loss", "val_accuracy"]
    pd.testing.assert_frame_equal(fresh[columns], original[columns])


def test_different_seeds_give_different_predictions(trained):
    seed0 = np.load(trained / "seed0" / "test_probabilities.npy")
    seed1 = np.load(trained / "seed1" / "test_probabilities.npy")
    assert not np.allclose(seed0, seed1)


def test_diverging_run_is_stopped_and_marked(data_path, tmp_path):
    from archstudy.train.variant_job import train_variant

    exploding = dataclasses.replace(
        HYPERPARAMETERS,
        activations=("linear",),
        kernel_initializer="ones",
        optimizer="sgd",
        learning_rate=1e30,
        epochs=3,
    )
    variant_dir = tmp_path / exploding.variant_id
    train_variant(
        exploding, [0], data_path, variant_dir / "runs.json", RUNTIME, Log(), learning_rate=1e30
    )
    metrics = json.loads((variant_dir / "seed0" / "metrics.json").read_text())
    assert metrics["stopped"] == "diverged"
    assert metrics["diverged_epoch"] == 1  # the first epoch's loss is already non-finite
    assert metrics["epochs_run"] < metrics["epochs_planned"] == 3
    history = pd.read_csv(variant_dir / "seed0" / "history.csv")
    assert len(history) == metrics["epochs_run"]
    assert history["loss"].isna().any()


@pytest.mark.parametrize(
    "changes",
    [
        {"dropout": 0.3, "batch_norm": True},  # dropout seed states, batch-norm statistics, Adam
        {"optimizer": "sgd", "momentum": 0.9},  # SGD's momentum slots
        {"optimizer": "rmsprop", "learning_rate": 0.001},
    ],
    ids=["dropout-batchnorm-adam", "sgd-momentum", "rmsprop"],
)
def test_a_seed_trained_after_others_in_one_job_equals_it_trained_alone(
    data_path, tmp_path, changes
):
    """One compiled model serves a job's seeds; each seed still starts as a fresh model would."""
    from archstudy.train.variant_job import train_variant

    variant = dataclasses.replace(HYPERPARAMETERS, **changes)
    together, alone = tmp_path / "together", tmp_path / "alone"
    train_variant(
        variant,
        [0, 1],
        data_path,
        together / "runs.json",
        RUNTIME,
        Log(),
        learning_rate=variant.learning_rate,
    )
    train_variant(
        variant,
        [1],
        data_path,
        alone / "runs.json",
        RUNTIME,
        Log(),
        learning_rate=variant.learning_rate,
    )
    np.testing.assert_array_equal(
        np.load(together / "seed1" / "test_probabilities.npy"),
        np.load(alone / "seed1" / "test_probabilities.npy"),
    )
    metrics = [
        json.loads((folder / "seed1" / "metrics.json").read_text()) for folder in (together, alone)
    ]
    for values in metrics:
        values.pop("train_seconds")
    assert metrics[0] == metrics[1]
    seed0 = np.load(together / "seed0" / "test_probabilities.npy")
    assert not np.array_equal(seed0, np.load(together / "seed1" / "test_probabilities.npy"))


def test_one_compiled_model_serves_every_seed(data_path):
    from archstudy.train.inputs import load_inputs
    from archstudy.train.seeded_model import SeededModel

    inputs = load_inputs(HYPERPARAMETERS, data_path)
    models = SeededModel(HYPERPARAMETERS, inputs.x_fit.shape[1], inputs.num_classes, 0.01)
    first = models.for_seed(0)
    weights = [variable.numpy().copy() for variable in first.weights]
    second = models.for_seed(1)
    assert second is first
    assert not all(
        np.array_equal(before, variable.numpy())
        for before, variable in zip(weights, second.weights, strict=True)
    )
    assert int(second.optimizer.iterations.numpy()) == 0
    assert float(second.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
