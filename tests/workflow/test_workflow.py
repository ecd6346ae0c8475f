"""End to end: the real Snakemake workflow turns a tiny config into an HTML and PDF report."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pypdf import PdfReader
from workflow_support import ROOT, TINY, copy_workflow, run_snakemake, tiny_config

pytestmark = pytest.mark.e2e


def snakemake(workdir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_snakemake(workdir, *arguments)


def built_config() -> dict[str, Any]:
    """The tiny study, and a second one whose only variant's rate an LR range test picks."""
    config = tiny_config()
    config["studies"]["range"] = {
        "title": "Rate from a range test",
        "variants": {"sgd_range": {"hidden": [16], "optimizer": "sgd", "lr_range_test": {}}},
    }
    return config


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"), built_config())
    result = snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def jobs_planned(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run, as {rule: count}."""
    return {
        rule: int(count)
        for rule, count in re.findall(r"^(\w+)\s+(\d+)\s*$", dry_run_output, flags=re.M)
        if rule != "total"
    }


def test_report_files_exist_and_name_every_variant(built: Path):
    html = (built / "results/report/report.html").read_text()
    pdf_text = "\n".join(
        page.extract_text() for page in PdfReader(built / "results/report/report.pdf").pages
    )
    for text in (html, pdf_text):
        assert "Tiny width study" in text
        assert "w16" in text and "w32" in text


def test_report_numbers_equal_the_summary_table(built: Path):
    summary = pd.read_csv(built / "results/studies/tiny/summary.csv")
    html = (built / "results/report/report.html").read_text()
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(built / "results/report/report.pdf").pages
    )
    for _, row in summary.iterrows():
        for column in ("test_accuracy_mean", "val_accuracy_mean", "train_accuracy_mean"):
            assert f"{row[column]:.4f}" in html
            assert f"{row[column]:.4f}" in pdf_text
        assert f"{row['parameters']:,}" in html


def test_html_is_self_contained(built: Path):
    html = (built / "results/report/report.html").read_text()
    assert "data:image/png;base64" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


def test_every_seed_has_its_outputs(built: Path):
    runs = list((built / "results/runs").glob("*/seed*"))
    assert len(runs) == 6  # 3 variants x 2 seeds
    for run in runs:
        for name in ("model.keras", "history.csv", "metrics.json", "test_probabilities.npy"):
            assert (run / name).is_file()


def test_second_run_has_nothing_to_do(built: Path):
    result = snakemake(built, "--configfile", "study.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


def test_changing_one_learning_rate_retrains_only_that_variant(built: Path, tmp_path: Path):
    config = built_config()
    config["studies"]["tiny"]["variants"]["w16"]["learning_rate"] = 0.01
    changed = built / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    result = snakemake(built, "--configfile", "changed.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr
    planned = jobs_planned(result.stdout)
    assert planned.get("train_variant") == 1
    assert {"aggregate_study", "plot_study", "render_report"} <= set(planned)
    assert "download_dataset" not in planned and "prepare_dataset" not in planned


def test_invalid_config_stops_before_anything_runs(tmp_path: Path):
    workdir = copy_workflow(tmp_path)
    config = yaml.safe_load(TINY.read_text())
    config["studies"]["tiny"]["variants"]["w16"]["hiden"] = [16]
    (workdir / "study.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode != 0
    assert "studies.tiny.variants.w16: unknown key 'hiden'" in result.stderr
    assert not (workdir / "results").exists()


def test_the_report_says_what_its_numbers_cover_and_where_they_come_from(built: Path):
    markdown = (built / "results/report/report.md").read_text()
    summary = pd.read_csv(built / "results/studies/tiny/summary.csv")
    # Intervals in range, and covering seeds and test images for the test accuracy.
    assert (summary["test_accuracy_ci_low"] >= 0).all()
    assert (summary["test_accuracy_ci_high"] <= 1).all()
    assert (summary["train_loss_ci_low"].dropna() >= 0).all()
    assert set(summary["test_accuracy_ci_covers"]) == {"seeds and images"}
    assert "**What an interval covers.**" in markdown
    # The pick's validation margin in predictions (2 seeds answer every validation image).
    assert re.search(r"by -?[\d,]+ of [\d,]+ validation predictions over 2 seeds", markdown)
    assert "**What the tests can see.**" in markdown and "80% probability" in markdown
    # Every seed's values, and each variant's run id.
    assert "# Appendix: values per seed" in markdown
    for variant_id in summary["variant_id"]:
        assert f"`{variant_id}`" in markdown
    # A rebuild command without the checkout's path, with the config layer as given.
    command = re.search(r"Rebuild this report.*?```\n(.*?)\n```", markdown, re.S)
    assert command is not None
    assert command.group(1) == "snakemake --cores all --configfile study.yaml"
    assert str(built) not in markdown.split("## Configuration")[0]
    config_bytes = (built / "study.yaml").read_bytes()
    assert hashlib.sha256(config_bytes).hexdigest() in markdown
    assert config_bytes.decode().rstrip("\n") in markdown
    assert re.search(r"constraints\.txt\) SHA-256: `[0-9a-f]{64}`", markdown)


def test_snakemake_report_collects_the_flagged_results(built: Path):
    archive = built / "results" / "snakemake-report.zip"
    result = snakemake(built, "--configfile", "study.yaml", "--report", str(archive))
    assert result.returncode == 0, result.stderr[-3000:]
    names = zipfile.ZipFile(archive).namelist()
    assert any(name.endswith("comparison.svg") for name in names)
    assert any(name.endswith("report.html") for name in names)


def test_the_range_test_chooses_the_rate_and_the_report_shows_it(built: Path):
    (folder,) = (built / "results/lr_range").iterdir()
    choice = json.loads((folder / "choice.json").read_text())
    summary = pd.read_csv(built / "results/studies/range/summary.csv")
    (rate,) = summary["learning_rate"]
    assert rate == pytest.approx(choice["chosen_learning_rate"])
    assert summary["learning_rate_chosen_by"].tolist() == ["LR range test"]
    html = (built / "results/report/report.html").read_text()
    assert "Learning-rate range test" in html
    assert f"{choice['chosen_learning_rate']:.4g}" in html
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(built / "results/report/report.pdf").pages
    )
    assert "Learning-rate range test" in pdf_text


def test_training_jobs_run_before_the_tables_and_figures(tmp_path: Path):
    # Training outranks the short table and figure jobs (rules/train.smk), so on several cores
    # those fill the cores at the end instead of trailing the last training job. One core
    # shows it as a strict order; without the priority, the first study's tables (larger
    # inputs, which Snakemake prefers) ran before the second study's training.
    config = tiny_config(
        defaults={"dataset": "mnist_5k", "epochs": 1, "batch_size": 256, "seeds": [0]}
    )
    config["studies"]["other"] = {"title": "Second study", "variants": {"w8": {"hidden": [8]}}}
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    (log,) = (workdir / ".snakemake/log").glob("*.snakemake.log")
    rules = re.findall(r"^(?:local)?rule (\w+):$", log.read_text(), flags=re.M)
    assert rules.count("train_variant") == 3
    last_training = max(i for i, rule in enumerate(rules) if rule == "train_variant")
    tables_and_figures = {"plot_dataset", "aggregate_study", "plot_study"}
    first_other = min(i for i, rule in enumerate(rules) if rule in tables_and_figures)
    assert last_training < first_other, rules


def test_jobs_import_the_package_of_the_workflow_they_run(tmp_path: Path):
    # Another checkout run with the same environment, where this one is installed: its jobs
    # must run its own src/, as its Snakefile does, not the installed copy.
    workdir = copy_workflow(tmp_path)
    shutil.copytree(ROOT / "src" / "archstudy", workdir / "src" / "archstudy")
    (workdir / "scripts" / "where.py").write_text(
        "from pathlib import Path\n\nimport archstudy\n\n"
        "Path(snakemake.output[0]).write_text(archstudy.__file__)\n"
    )
    with (workdir / "Snakefile").open("a") as snakefile:
        snakefile.write(
            '\n\nrule where:\n    output:\n        "where.txt",\n'
            '    script:\n        "scripts/where.py"\n'
        )
    result = run_snakemake(workdir, "where.txt", "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    imported = Path((workdir / "where.txt").read_text()).resolve()
    assert imported.is_relative_to((workdir / "src").resolve()), imported
