"""`archstudy compare`: a build compared with itself is identical; a second build with one
variant's learning rate changed shows the unchanged variant's runs identical across the two
builds, the changed setting, the changed runs and the changed conclusions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from review_build import built_tiny, results_copy, snakemake
from workflow_support import copy_workflow, tiny_config

from archstudy.cli import main

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_tiny(tmp_path_factory)


def test_a_copy_of_a_build_is_identical(build: Path, tmp_path: Path, capsys):
    other = results_copy(build, tmp_path)
    page = tmp_path / "page.md"
    assert main(["compare", str(build / "results"), str(other), "--output", str(page)]) == 0
    out = capsys.readouterr().out
    assert "runs: 4 identical, 0 not identical" in out
    assert "0 of" in out and "conclusions changed" in out
    assert "| tiny | best variant by validation accuracy |" in page.read_text()


def test_a_changed_learning_rate_is_flagged(build: Path, tmp_path: Path, capsys):
    summary = pd.read_csv(build / "results" / "studies" / "tiny" / "summary.csv")
    best = str(summary.loc[summary["best"], "variant"].iloc[0])
    other = next(name for name in summary["variant"] if name != best)
    config = tiny_config()
    # So slow a rate that the best variant learns next to nothing in its one epoch.
    config["studies"]["tiny"]["variants"][best]["learning_rate"] = 1e-6
    (tmp_path / "workflow").mkdir()
    workdir = copy_workflow(tmp_path / "workflow", config)
    result = snakemake(workdir, "results/studies/tiny/summary.csv", "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-4000:]

    page = tmp_path / "page.md"
    status = main(["compare", str(build / "results"), str(workdir / "results"), "-o", str(page)])
    out = capsys.readouterr().out
    assert status == 1
    assert f"settings: tiny: {best}: learning_rate 0.001 -> 1e-06" in out
    assert "conclusion changed: tiny: best variant by validation accuracy: " in out
    text = page.read_text()
    for seed in (0, 1):
        assert f"| tiny | {other} | {seed} | identical |" in text
        assert f"| tiny | {best} | {seed} | different | test accuracy" in text


def test_a_missing_folder_is_one_line(build: Path, tmp_path: Path, capsys):
    assert main(["compare", str(build / "results"), str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("archstudy: results folder")
