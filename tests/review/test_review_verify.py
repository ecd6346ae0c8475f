"""`archstudy verify`: untouched results pass; an edited metric, prediction, hyperparameter or
table anywhere fails naming the file; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from review_build import built_tiny, results_copy

from archstudy.cli import main
from archstudy.reporting.verification import latest_record_path, verification_context


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_tiny(tmp_path_factory)


def _verify(results: Path, *arguments: str) -> int:
    return main(["verify", str(results), "--sample", "0", *arguments])


def _a_run(results: Path) -> Path:
    return sorted((results / "runs").glob("*/seed1"))[0]


@pytest.mark.e2e
def test_untouched_results_pass_and_are_recorded(build: Path, tmp_path: Path, capsys):
    results = results_copy(build, tmp_path)
    before = sorted(path.relative_to(results) for path in results.rglob("*"))
    assert _verify(results, "--configfile", str(build / "study.yaml")) == 0
    out = capsys.readouterr().out
    assert "checked 4 runs" in out and "all match" in out
    record = json.loads(latest_record_path(results / "verification").read_text())
    assert record["verdict"] == "identical"
    assert record["integrity"] == {"runs_checked": 4, "tables_checked": 1, "problems": []}
    context = verification_context(latest_record_path(results / "verification"))
    assert context is not None and context["verdict"] == "identical"
    # The check writes its record and nothing else into the results folder.
    after = sorted(path.relative_to(results) for path in results.rglob("*"))
    assert [path for path in after if path not in before] == [
        Path("verification"),
        latest_record_path(results / "verification").relative_to(results),
    ]


@pytest.mark.e2e
def test_a_changed_metric_fails_naming_the_run(build: Path, tmp_path: Path, capsys):
    results = results_copy(build, tmp_path)
    run = _a_run(results)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["val_loss"] += 0.01
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    assert _verify(results) == 1
    out = capsys.readouterr().out
    assert "summary.csv" in out and "val_loss_mean" in out
    assert f"results/runs/{run.parent.name}/seed*/" in out
    assert "verdict: failed" in out


@pytest.mark.e2e
def test_a_changed_prediction_fails_naming_the_file(build: Path, tmp_path: Path, capsys):
    results = results_copy(build, tmp_path)
    run = _a_run(results)
    probabilities = np.load(run / "test_probabilities.npy")
    first = probabilities[0].copy()
    probabilities[0] = np.roll(first, 1)  # the predicted class of one test image changes
    np.save(run / "test_probabilities.npy", probabilities)
    assert _verify(results) == 1
    out = capsys.readouterr().out
    assert f"{run}/test_probabilities.npy: the predictions give test accuracy" in out
    assert "confusion.csv" in out


@pytest.mark.e2e
def test_a_changed_hyperparameter_fails(build: Path, tmp_path: Path, capsys):
    results = results_copy(build, tmp_path)
    run = _a_run(results)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["hyperparameters"]["learning_rate"] = 0.002
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    assert _verify(results) == 1
    out = capsys.readouterr().out
    assert f"{run}/metrics.json: the recorded hyperparameters hash to" in out


@pytest.mark.e2e
def test_a_changed_table_fails_naming_the_cell(build: Path, tmp_path: Path, capsys):
    results = results_copy(build, tmp_path)
    path = results / "studies" / "tiny" / "summary.csv"
    table = pd.read_csv(path)
    recorded = table.loc[0, "test_accuracy_mean"]
    table.loc[0, "test_accuracy_mean"] = recorded + 0.05
    table.to_csv(path, index=False)
    assert _verify(results) == 1
    out = capsys.readouterr().out
    assert f"{path}: variant {table.loc[0, 'variant']}: test_accuracy_mean is" in out
    assert f"but {recorded!r} from the runs" in out


@pytest.mark.e2e
def test_a_config_other_than_the_builds_is_named(build: Path, tmp_path: Path, capsys):
    other = tmp_path / "other.yaml"
    other.write_text((build / "study.yaml").read_text().replace("w32", "w33"))
    assert _verify(build / "results", "--configfile", str(other)) == 1
    assert "study tiny plans" in capsys.readouterr().out


@pytest.mark.e2e
def test_a_run_that_does_not_exist_is_one_line(build: Path, capsys):
    assert main(["verify", str(build / "results"), "--run", "ffffffffffff/0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("archstudy: run 'ffffffffffff/0' does not exist")


def test_a_missing_folder_is_one_line(tmp_path: Path, capsys):
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere' not found" in err[0]


def test_a_folder_that_is_not_results_is_one_line(tmp_path: Path, capsys):
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no runs/ or studies/" in err[0]
