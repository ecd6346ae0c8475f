"""Faults injected into the real workflow: bad configs, a diverging net, a killed job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from workflow_support import copy_workflow, run_snakemake, snakemake_command, tiny_config

pytestmark = pytest.mark.e2e


def _study(variants: dict[str, Any], **study: Any) -> dict[str, Any]:
    return {"tiny": {"title": "Faults", "variants": variants, **study}}


BAD_CONFIGS = {
    "typo in defaults": (
        tiny_config(defaults={"epoch": 1}),
        "defaults: unknown key 'epoch'",
    ),
    "negative layer size": (
        tiny_config(studies=_study({"v": {"hidden": [32, -1]}})),
        "studies.tiny.variants.v.hidden[1]: -1",
    ),
    "zero epochs": (
        tiny_config(studies=_study({"v": {"epochs": 0}})),
        "studies.tiny.variants.v.epochs: 0",
    ),
    "negative learning rate": (
        tiny_config(studies=_study({"v": {"learning_rate": -0.1}})),
        "studies.tiny.variants.v.learning_rate: -0.1",
    ),
    "batch larger than the training set": (
        tiny_config(studies=_study({"v": {"batch_size": 5000}})),
        "studies.tiny.variants.v.batch_size: 5000 is larger than",
    ),
    "unknown optimizer": (
        tiny_config(studies=_study({"v": {"optimizer": "adamw"}})),
        "studies.tiny.variants.v.optimizer: 'adamw' is not accepted (accepted: sgd, adam, rmsprop)",
    ),
    "unknown dataset": (
        tiny_config(studies=_study({"v": {"dataset": "cifar10"}})),
        "studies.tiny.variants.v.dataset: 'cifar10' is not accepted",
    ),
    "activations do not match layers": (
        tiny_config(studies=_study({"v": {"hidden": [8, 8], "activation": ["relu"]}})),
        "studies.tiny.variants.v.activation: 1 activations",
    ),
    "empty study": (
        tiny_config(studies={"tiny": {"title": "Empty"}}),
        "studies.tiny: the study has no variants",
    ),
    "grid over the limit": (
        tiny_config(
            studies={"tiny": {"grid": {"hidden": [[8], [16], [32]]}}}, limits={"max_variants": 2}
        ),
        "3 variants exceed limits.max_variants = 2",
    ),
    "unsafe variant name": (
        tiny_config(studies=_study({"../escape": {}})),
        "'../escape' is not an accepted name",
    ),
    "non-integer seed": (
        tiny_config(studies=_study({"v": {"seeds": [0, 1.5]}})),
        "studies.tiny.variants.v.seeds[1]: 1.5 is not of type 'integer'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_stops_with_one_line_and_writes_nothing(case: str, tmp_path: Path):
    config, expected = BAD_CONFIGS[case]
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if line.startswith("archstudy:")]
    assert len(messages) == 1, result.stderr
    assert expected in messages[0]
    assert not (workdir / "results").exists()


def test_repeated_yaml_key_is_named_with_its_line(tmp_path: Path):
    workdir = copy_workflow(tmp_path)
    (workdir / "study.yaml").write_text(
        "studies:\n  tiny:\n    variants:\n      w16: {hidden: [16]}\n      w16: {hidden: [32]}\n"
    )
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode != 0
    assert (
        "study.yaml: line 5, column 7: duplicate key 'w16' (first defined on line 4)"
        in result.stderr
    )
    assert not (workdir / "results").exists()


def test_unparsable_default_config_names_line_and_column(tmp_path: Path):
    workdir = copy_workflow(tmp_path)
    (workdir / "config" / "config.yaml").write_text("studies:\n  a: {variants: {v: {}}\n")
    result = run_snakemake(workdir)
    assert result.returncode != 0
    assert "config/config.yaml: line 3, column 1: expected ',' or '}'" in result.stderr
    assert not (workdir / "results").exists()


def test_diverging_variant_is_recorded_and_the_report_carries_on(tmp_path: Path):
    # A linear network under SGD at learning rate 10 overflows to NaN within a few batches.
    config = tiny_config(
        defaults={"dataset": "mnist_5k", "epochs": 2, "batch_size": 64, "seeds": [0]},
        studies=_study(
            {
                "ok": {"hidden": [16]},
                "exploding": {
                    "hidden": [16, 16],
                    "activation": "linear",
                    "optimizer": "sgd",
                    "learning_rate": 10.0,
                },
            }
        ),
    )
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = pd.read_csv(workdir / "results/studies/tiny/summary.csv").set_index("variant")
    assert summary.loc["exploding", "diverged"] == 1
    assert np.isnan(summary.loc["exploding", "test_accuracy_mean"])
    assert bool(summary.loc["ok", "best"])
    assert "diverged in epoch 1" in result.stderr
    assert (workdir / "results/report/report.pdf").stat().st_size > 0


# Killing a job mid-run, then rerunning, must give what an uninterrupted run gives.
KILL_CONFIG = tiny_config(
    defaults={"dataset": "mnist_5k", "epochs": 2, "batch_size": 64, "seeds": [0, 1, 2]}
)
VOLATILE_METRICS = ("train_seconds", "runtime")  # wall time and host: the only fields that vary


def _seed_results(workdir: Path) -> dict[str, tuple[dict[str, Any], bytes]]:
    results = {}
    for run in sorted((workdir / "results/runs").glob("*/seed*")):
        metrics = json.loads((run / "metrics.json").read_text())
        for key in VOLATILE_METRICS:
            metrics.pop(key)
        results[f"{run.parent.name}/{run.name}"] = (
            metrics,
            (run / "test_probabilities.npy").read_bytes(),
        )
    return results


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("uninterrupted"), KILL_CONFIG)
    result = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


@pytest.fixture(scope="module")
def killed_then_resumed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("killed"), KILL_CONFIG)
    process = subprocess.Popen(
        snakemake_command("--configfile", "study.yaml", cores=1),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Kill everything as soon as the first seed of the first network is finished.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((workdir / "results/runs").glob("*/seed0")):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert list((workdir / "results/runs").glob("*/seed0")), "no seed finished before the kill"
    # Nothing Snakemake would take as complete: no variant's runs.json, no report.
    assert not list((workdir / "results/runs").glob("*/runs.json"))
    assert not (workdir / "results/report").exists()
    # As after a power loss, Snakemake's lock stays behind; the user unlocks, then reruns.
    unlocked = run_snakemake(workdir, "--configfile", "study.yaml", "--unlock")
    assert unlocked.returncode == 0, unlocked.stderr[-3000:]
    result = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "already trained, kept" in result.stderr  # the finished seed was not redone
    return workdir


def test_killed_run_finishes_on_rerun_with_the_same_metrics(
    uninterrupted: Path, killed_then_resumed: Path
):
    expected = _seed_results(uninterrupted)
    assert len(expected) == 6
    assert _seed_results(killed_then_resumed) == expected
    assert (killed_then_resumed / "results/report/report.html").exists()


def test_same_config_and_seed_give_byte_identical_results(uninterrupted: Path, tmp_path: Path):
    again = copy_workflow(tmp_path, KILL_CONFIG)
    result = run_snakemake(again, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = _seed_results(uninterrupted), _seed_results(again)
    assert first == second  # metrics (bar wall time and host) and prediction bytes
