"""The cost model: counts, estimates, limits that refuse a plan, totals and the time left."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml
from workflow_support import ROOT, copy_workflow, run_snakemake

from archstudy.config import cost
from archstudy.config.budget import (
    check_limits,
    describe_totals,
    time_left,
    totals,
    variant_costs,
)
from archstudy.config.hyperparameters import Hyperparameters
from archstudy.config.plan import build_plan
from archstudy.errors import ConfigError


def plan_of(**variants: dict[str, Any]) -> Any:
    return build_plan({"studies": {"s": {"variants": variants}}})


def hyperparameters(**changes: Any) -> Hyperparameters:
    (hp,) = plan_of(v=changes).hyperparameters.values()
    return hp


def test_the_cost_model_imports_neither_keras_nor_tensorflow():
    code = (
        "import sys, archstudy.config.budget, archstudy.config.plan, archstudy.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_models_use_the_cost_models_counting():
    from archstudy.train import models

    assert models.count_parameters is cost.count_parameters
    assert models.training_flops_per_example is cost.training_flops_per_example


def test_estimate_counts_by_hand():
    hp = hyperparameters(hidden=[32], epochs=2, batch_size=100, seeds=[0], optimizer="sgd")
    estimate = cost.estimate(hp, seeds=1)
    assert estimate.parameters == 784 * 32 + 32 + 32 * 10 + 10
    # mnist_5k: 4,000 training images, 400 held out for validation, 1,000 test images.
    assert cost.split_sizes(hp) == (3600, 400, 1000)
    forward, training = 2 * (784 * 32 + 32 * 10), 3 * 2 * (784 * 32 + 32 * 10) - 2 * 784 * 32
    epoch = 3600 * training + 400 * forward
    assert estimate.flops == 2 * epoch + (3600 + 400 + 2 * 1000) * forward
    assert estimate.data_bytes == 5000 * 784 * 4
    assert estimate.examples == 3600 and estimate.epochs == 2 and estimate.runs == 1


def test_estimate_grows_with_what_costs_more():
    base = cost.estimate(hyperparameters(), 1)
    assert cost.estimate(hyperparameters(epochs=20), 1).seconds > base.seconds
    assert cost.estimate(hyperparameters(), 3).seconds > base.seconds
    assert cost.estimate(hyperparameters(hidden=[1024]), 1).flops > base.flops
    # Small batches: more steps, each with Keras' own work, and slower products.
    assert cost.estimate(hyperparameters(batch_size=1), 1).seconds > base.seconds
    # Optimizer state: Adam keeps two moments per weight, SGD none.
    assert base.memory_bytes > cost.estimate(hyperparameters(optimizer="sgd"), 1).memory_bytes
    assert cost.estimate(hyperparameters(dataset="mnist"), 1).data_bytes > base.data_bytes


def test_wall_time_is_at_least_the_longest_job_and_the_share_of_each_core():
    jobs = [dataclasses.replace(cost.estimate(hyperparameters(), 1), seconds=s) for s in (9, 5, 4)]
    assert cost.wall_seconds(jobs, 1) == 18
    assert cost.wall_seconds(jobs, 2) == 9  # 9 on one core, 5 + 4 on the other
    assert cost.wall_seconds(jobs, 8) == 9


def test_calibration_is_the_ratio_of_measured_to_estimated_time():
    one = cost.estimate(hyperparameters(), 1)
    per_seed = one.seconds - cost.JOB_SECONDS
    assert cost.calibration([(one, 2 * per_seed), (one, 2 * per_seed)]) == pytest.approx(2)
    assert cost.calibration([]) == 1.0


@pytest.mark.parametrize(
    ("variant", "limits", "expected"),
    [
        (
            {"hidden": [100_000_000, 100_000_000]},
            {},
            r"studies\.s\.variants\.v: the network 784-100000000-100000000-10 has "
            r"10,000,079,600,000,010 parameters, more than limits\.max_parameters = 100,000,000",
        ),
        (
            {"hidden": [8192, 8192], "dataset": "mnist"},
            {"max_memory_gb": 1},
            r"studies\.s\.variants\.v: training 784-8192-8192-10 needs about [\d.]+ GB of "
            r"memory, more than limits\.max_memory_gb = 1 ",
        ),
        (
            {"hidden": [2048, 2048], "epochs": 5000, "dataset": "mnist"},
            {},
            r"studies: training would take about [\d,.]+ hours on one core, more than "
            r"limits\.max_hours = 48 \(the longest job, studies\.s\.variants\.v, about",
        ),
    ],
)
def test_plans_over_the_limits_are_refused_naming_variant_estimate_and_limit(
    variant: dict[str, Any], limits: dict[str, Any], expected: str
):
    config = {"limits": limits, "studies": {"s": {"variants": {"v": variant}}}}
    with pytest.raises(ConfigError) as caught:
        build_plan(config)
    message = str(caught.value)
    assert re.search(expected, message), message
    assert "accepted:" in message and "\n" not in message


def test_limits_can_be_raised():
    config = {
        "limits": {"max_hours": 10_000},
        "studies": {
            "s": {"variants": {"v": {"hidden": [2048, 2048], "epochs": 5000, "dataset": "mnist"}}}
        },
    }
    plan = build_plan(config)
    check_limits(plan, {"max_parameters": 10**9, "max_memory_gb": 64, "max_hours": 10_000})
    assert totals(variant_costs(plan)).seconds / 3600 > 48


def test_shipped_studies_fit_the_default_limits_and_their_totals_are_printed():
    for path in sorted((ROOT / "config").glob("**/*.yaml")):
        plan = build_plan(yaml.safe_load(path.read_text()))
        line = describe_totals(totals(variant_costs(plan), cores=2))
        runs = sum(len(seeds) for seeds in plan.seeds.values())
        assert line.startswith(f"training: {runs:,} runs, ")
        assert re.search(r"roughly .+ on one core, .+ on 2 cores", line)


def test_time_left_scales_the_estimate_by_the_seeds_already_trained():
    plan = plan_of(a={"hidden": [16]}, b={"hidden": [64]})
    untouched = time_left(plan, {}, cores=1)
    assert untouched.startswith("training left: 6 of 6 runs, roughly ")
    assert "scaled" not in untouched
    first = next(iter(plan.hyperparameters))
    one_seed = cost.estimate(plan.hyperparameters[first], 1).seconds - cost.JOB_SECONDS
    # Two seeds trained, each three times slower than the model says: the rest is scaled.
    line = time_left(plan, {first: {0: 3 * one_seed, 1: 3 * one_seed}}, cores=1)
    assert line.startswith("training left: 4 of 6 runs, ")
    assert "scaled by 3.00 from 2 trained seeds" in line


def test_training_jobs_are_ordered_longest_first(tmp_path):
    config = {
        "defaults": {"seeds": [0], "epochs": 20},
        "studies": {
            "s": {
                "variants": {
                    "small": {"hidden": [8]},
                    "large": {"hidden": [1024, 1024]},
                    "middle": {"hidden": [128]},
                }
            }
        },
    }
    plan = build_plan(config)
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml", "--dry-run", "--verbose")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = re.findall(
        r"rule train_variant:.*?variant_id=(\w+).*?priority: (\d+)",
        result.stdout + result.stderr,
        flags=re.S,
    )
    priority = {variant_id: int(value) for variant_id, value in jobs}
    ids = {member.name: member.variant_id for member in plan.studies["s"].variants}
    assert priority[ids["large"]] > priority[ids["middle"]] > priority[ids["small"]] > 0
