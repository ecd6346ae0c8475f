"""Keras backends: part of a run's identity, chosen per job, deterministic, no TensorFlow."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from needs import need
from paths import ROOT, TESTS
from workflow_support import copy_workflow, run_snakemake, tiny_config

from archstudy.config import hyperparameters as hyperparameters_module
from archstudy.config.plan import build_plan
from archstudy.errors import ConfigError

STUDY = {"studies": {"s": {"variants": {"v": {"hidden": [8]}}}}}


def variant(config=STUDY):
    (settings,) = build_plan(config).hyperparameters.values()
    return settings


def test_the_backend_is_part_of_a_runs_identity(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    default = variant()
    assert default.backend == "tensorflow"
    jax = variant({**STUDY, "backend": "jax"})
    torch = variant({**STUDY, "backend": "torch"})
    assert len({default.variant_id, jax.variant_id, torch.variant_id}) == 3
    # TensorFlow, the default, is left out of the id: runs trained before backends were part of
    # it keep their folders.
    assert variant({**STUDY, "backend": "tensorflow"}).variant_id == default.variant_id
    values = default.to_json()
    del values["backend"]
    assert type(default).from_json(values).variant_id == default.variant_id


def test_keras_backend_variable_chooses_unless_the_config_does(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert variant().backend == "jax"
    assert variant({**STUDY, "backend": "torch"}).backend == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    with pytest.raises(ConfigError, match="backend: 'theano' .from KERAS_BACKEND. is not a Keras"):
        variant()


def test_bumping_the_trainer_version_renames_every_run(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    before = {variant().variant_id, variant({**STUDY, "backend": "jax"}).variant_id}
    monkeypatch.setattr(
        hyperparameters_module, "TRAINER_VERSION", hyperparameters_module.TRAINER_VERSION + 1
    )
    after = {variant().variant_id, variant({**STUDY, "backend": "jax"}).variant_id}
    assert len(after) == 2 and not before & after


def run_job(backend: str, workdir: Path, *mode: str) -> dict:
    workdir.mkdir()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(TESTS)]),
    }
    environment.pop("KERAS_BACKEND", None)
    result = subprocess.run(
        [sys.executable, str(TESTS / "backend_job.py"), backend, str(workdir), *mode],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((workdir / "job.json").read_text())


def results(workdir: Path) -> dict[str, object]:
    """Everything a run computed: metrics but wall time and host, history but seconds."""
    found: dict[str, object] = {}
    for seed_dir in sorted(workdir.glob("runs/*/seed*")):
        metrics = json.loads((seed_dir / "metrics.json").read_text())
        del metrics["train_seconds"], metrics["runtime"]
        history = (seed_dir / "history.csv").read_text().splitlines()
        found[seed_dir.name] = (
            metrics,
            [line.rsplit(",", 1)[0] for line in history],
            (seed_dir / "test_probabilities.npy").read_bytes(),
        )
    return found


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_job_on_another_backend_is_deterministic_and_leaves_tensorflow_out(backend, tmp_path):
    need(
        importlib.util.find_spec(backend) is not None,
        f"Keras backend {backend} is not installed (make setup BACKEND={backend})",
    )
    alone = run_job(backend, tmp_path / "alone")
    assert not alone["tensorflow"]
    # In another process, and with TensorFlow imported and seeded as Keras does wherever it is
    # installed: the same bytes.
    beside = run_job(backend, tmp_path / "beside", "with-tensorflow")
    assert beside["tensorflow"] == (importlib.util.find_spec("tensorflow") is not None)
    first, second = results(tmp_path / "alone"), results(tmp_path / "beside")
    assert set(first) == {"seed0", "seed1"} and first == second
    (metrics, _, seed0), (_, _, seed1) = first["seed0"], first["seed1"]
    assert metrics["hyperparameters"]["backend"] == backend
    assert seed0 != seed1  # the seed matters
    probabilities = np.load(next((tmp_path / "alone").glob("runs/*/seed0/test_probabilities.npy")))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    # Progress: seed k of n (the time left, shown only past half a second, depends on the
    # machine's speed: tests/train/test_progress.py checks its arithmetic).
    assert any("seed 1 (2 of 2) epoch 1/2" in line for line in alone["log"])


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_tiny_workflow_trains_and_reports_on_the_backend(backend, tmp_path):
    need(
        importlib.util.find_spec(backend) is not None,
        f"Keras backend {backend} is not installed (make setup BACKEND={backend})",
    )
    config = tiny_config(backend=backend)
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / "results/report/report.html").is_file()
    # The runs are this backend's own: ids of its plan, not those of the TensorFlow runs.
    planned = set(build_plan(config).hyperparameters)
    assert {path.name for path in (workdir / "results/runs").iterdir()} == planned
    assert not planned & set(build_plan(tiny_config(backend="tensorflow")).hyperparameters)
    for metrics_file in (workdir / "results/runs").glob("*/seed*/metrics.json"):
        metrics = json.loads(metrics_file.read_text())
        assert metrics["runtime"]["backend"] == metrics["hyperparameters"]["backend"] == backend
    # Each training job says which seed of how many it trains (the time left depends on the
    # machine's speed: tests/train/test_progress.py checks its arithmetic).
    for log in (workdir / "logs/train_variant").glob("*.log"):
        text = log.read_text()
        assert "seed 0 (1 of 2) epoch 1/1" in text and "seed 1 (2 of 2) epoch 1/1" in text


def test_gpu_check_runs_anywhere_with_quick(tmp_path):
    """benchmarks/gpu_check.py, meant for a GPU machine, runs on this CPU in its quick form."""
    need(
        importlib.util.find_spec("jax") is not None, "JAX is not installed (make setup BACKEND=jax)"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    environment.pop("KERAS_BACKEND", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "backend jax" in out and "| per-step 784-300-100-10, synthetic | 1024 |" in out
    assert "| w32 (32), synthetic | 2 | 1 |" in out
    assert "GPU used: NO" in out  # no GPU here, and the check says so
