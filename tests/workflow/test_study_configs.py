"""The notebook study configs validate and plan the expected jobs; one runs on real data."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from needs import need
from paths import CONFIGS, ROOT
from workflow_support import copy_workflow, run_snakemake

from archstudy.config.plan import build_plan
from archstudy.config.reader import load_config_file

STUDIES = sorted((ROOT / "config" / "studies").glob("*.yaml"))
# The project's shared folder beside the checkout; .ci/run names CI's copy, relative to ROOT.
SHARED_DATA = ROOT / os.environ.get("ARCHSTUDY_REAL_DATA", "../shared/data")


def test_there_is_one_config_per_notebook():
    assert [path.name[:3] for path in STUDIES] == ["000", "001", "002", "003", "004"]


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.stem)
def test_study_config_dry_run_plans_one_training_job_per_network(path: Path, tmp_path: Path):
    plan = build_plan(load_config_file(path))
    workdir = copy_workflow(tmp_path, yaml.safe_load(path.read_text()))
    result = run_snakemake(workdir, "--configfile", "study.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    planned = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", result.stdout, flags=re.M))
    assert int(planned["train_variant"]) == len(plan.hyperparameters)
    range_tests = sum(hp.lr_range_test is not None for hp in plan.hyperparameters.values())
    assert int(planned.get("lr_range_test", 0)) == range_tests


def test_notebook_000_runs_a_range_test_for_each_network_but_the_slip():
    plan = build_plan(load_config_file(STUDIES[0]))
    rates = {
        v.name: plan.hyperparameters[v.variant_id].learning_rate
        for v in plan.studies["lr_range_depth"].variants
    }
    assert rates.pop("h800-700-600-lr0.001") == 0.001
    assert set(rates.values()) == {None}  # measured by the range test


@pytest.mark.e2e
def test_shortened_study_runs_on_the_real_files(tmp_path: Path):
    need(SHARED_DATA.is_dir(), f"no real data at {SHARED_DATA} (set ARCHSTUDY_REAL_DATA)")
    config = yaml.safe_load((CONFIGS / "real_data_short.yaml").read_text())
    config["data"] = {"local_dir": str(SHARED_DATA)}
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((workdir / "resources/raw/fashion_mnist/MANIFEST.json").read_text())
    assert all(
        entry["url"].startswith("file://") or entry["url"].startswith("/")
        for entry in manifest["files"]
    )
    info = json.loads((workdir / "results/data/fashion_mnist.json").read_text())
    assert info["sizes"] == {"train": 60000, "test": 10000}
    assert info["train_pixel_mean"] == pytest.approx(0.2860, abs=1e-4)
    summary = pd.read_csv(workdir / "results/studies/short/summary.csv")
    assert set(summary["variant"]) == {"w16", "w64"}
    # One epoch on 1,600 images: well above chance, well below a full run.
    assert (summary["test_accuracy_mean"] > 0.5).all()
    metrics = json.loads(next((workdir / "results/runs").glob("*/seed0/metrics.json")).read_text())
    assert metrics["examples"] == {"fit": 1600, "validation": 400, "test": 10000}
