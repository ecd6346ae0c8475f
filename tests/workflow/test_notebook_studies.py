"""The real-data study runner summarises finished runs correctly and keeps BENCHMARKS.md history."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import yaml
from paths import ROOT
from workflow_support import load_script

SCRIPT = ROOT / "benchmarks" / "notebook_studies.py"


@pytest.fixture(scope="module")
def studies() -> ModuleType:
    return load_script(SCRIPT, "notebook_studies")


def summary(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults = {"seeds": 3, "status": "ok", "train_seconds_mean": 12.5, "test_accuracy_std": 0.01}
    return pd.DataFrame([defaults | row for row in rows])


def finished_workdir(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "study.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "studies": {
                    "width": {
                        "variants": {"w16": {}, "w64": {}},
                        "references": {"w64": {"test_accuracy": 0.9712, "source": "nb"}},
                    },
                    "rate": {"variants": {"slow": {}, "fast": {}}},
                }
            },
            sort_keys=False,
        )
    )
    workdir = tmp_path / "run"
    tables = {
        # The best by validation (w64) is not the best on the test set (w16): validation decides.
        "width": summary(
            [
                {"variant": "w16", "best": False, "test_accuracy_mean": 0.975},
                {"variant": "w64", "best": True, "test_accuracy_mean": 0.9681},
            ]
        ),
        "rate": summary(
            [
                {"variant": "slow", "best": True, "test_accuracy_mean": 0.9, "seeds": 1,
                 "test_accuracy_std": float("nan")},
                {"variant": "fast", "best": False, "test_accuracy_mean": 0.098,
                 "status": "diverged"},
            ]
        ),
    }  # fmt: skip
    for name, table in tables.items():
        folder = workdir / "results" / "studies" / name
        folder.mkdir(parents=True)
        table.to_csv(folder / "summary.csv", index=False)
    return config, workdir


def test_headline_rows_show_the_best_by_validation_beside_the_notebook(
    studies: ModuleType, tmp_path: Path
):
    config, workdir = finished_workdir(tmp_path)
    width, rate = studies.headline_rows(config, workdir)
    cells = [cell.strip() for cell in width.strip("|").split("|")]
    assert cells == ["width", "2", "`w64`", "0.9681 ± 0.0100 (3 seeds)", "0.9712", "12.5", "none"]
    cells = [cell.strip() for cell in rate.strip("|").split("|")]
    assert cells == ["rate", "2", "`slow`", "0.9000 (1 seed)", "", "12.5", "fast"]


def test_only_successful_runs_are_reused(studies: ModuleType, tmp_path: Path):
    timing = {"config": "x.yaml", "seconds": 60.0, "cpu_seconds": 110.0, "load": ["0.1", "2.0"]}
    (tmp_path / "timing.json").write_text(json.dumps(timing | {"returncode": 0}))
    reused = studies.finished_timing(tmp_path)
    assert reused is not None and reused.seconds == 60.0 and reused.load == ("0.1", "2.0")
    assert reused.commit == "unknown"  # files written before runs recorded their commit
    assert studies.finished_timing(tmp_path, seeds=1) is None  # a run with other seeds is redone
    (tmp_path / "timing.json").write_text(json.dumps(timing | {"returncode": 1}))
    assert studies.finished_timing(tmp_path) is None
    assert studies.finished_timing(tmp_path / "never-ran") is None


def test_sections_go_newest_first_under_their_own_marker(studies: ModuleType, tmp_path: Path):
    output = tmp_path / "BENCHMARKS.md"
    speed = "# Benchmarks\n\n<!-- benchmark results -->\n\n## speed run\n"
    output.write_text(speed)
    studies.write_results(output, "### first\n")
    studies.write_results(output, "### second\n")
    text = output.read_text()
    assert text.startswith(speed)  # the speed benchmark's history is untouched
    assert text.count(studies.MARKER) == 1
    assert text.index(studies.MARKER) < text.index("### second") < text.index("### first")


def test_unknown_study_prefix_names_the_configs(studies: ModuleType):
    with pytest.raises(SystemExit, match="001_sigmoid_depth_width_l2.yaml"):
        studies.study_configs(["999"])


def test_section_gives_each_run_its_commit_time_and_headline(studies: ModuleType, tmp_path: Path):
    config, workdir = finished_workdir(tmp_path)
    timing = studies.Timing("study.yaml", 600.0, 1140.0, 0, ("0.10", "2.00"), "abc1234")
    started = studies.datetime.datetime(2026, 11, 30, 1, 7, tzinfo=studies.datetime.UTC)
    section = studies.render_section(started, [(config, timing, workdir)])
    assert section.startswith("### 2026-11-30 01:07 UTC")
    # Four named variants with the same (default) settings are one network, trained once.
    assert "| `study.yaml` | abc1234 | 1 network, 3 training runs, 30 epochs planned | " in section
    assert "| 10.0 min | 19.0 min | 0.10 → 2.00 |" in section
    assert "| width | 2 | `w64` |" in section


def test_fewer_seeds_are_counted_and_said(studies: ModuleType):
    config = ROOT / "config" / "studies" / "004_fashion_width_depth.yaml"
    full, short = studies.plan_counts(config), studies.plan_counts(config, seeds=1)
    networks = full.split(",")[0]
    assert networks == short.split(",")[0]  # the same networks, each trained once
    runs = int(full.split(", ")[1].split()[0])
    assert f", {runs // 3} training runs," in short and short.endswith("(1 seed: `--seeds 1`)")


# Two job slots: jobs 1 and 2 start together, 2 ends after 10 s and 3 takes its slot, 1 ends at
# 20 s, 3 at 30 s; job 1's id comes back in an error report, which starts nothing.
SNAKEMAKE_LOG = """Building DAG of jobs...
[Mon Nov 30 01:07:00 2026]
localrule train_variant:
    jobid: 1
[Mon Nov 30 01:07:00 2026]
localrule train_variant:
    jobid: 2
[Mon Nov 30 01:07:10 2026]
Finished jobid: 2 (Rule: train_variant)
[Mon Nov 30 01:07:10 2026]
localrule render_report:
    jobid: 3
[Mon Nov 30 01:07:20 2026]
Error in rule train_variant:
    jobid: 1
[Mon Nov 30 01:07:20 2026]
Finished jobid: 1 (Rule: train_variant)
[Mon Nov 30 01:07:30 2026]
Finished jobid: 3 (Rule: render_report)
"""


def test_job_slot_occupancy_is_read_from_snakemakes_log(studies: ModuleType):
    slots = studies.occupancy(SNAKEMAKE_LOG, 2)
    assert slots.seconds == 30
    assert slots.running == {2: 20, 1: 10}
    assert slots.idle_share == pytest.approx(10 / 60)
    assert studies.occupancy(SNAKEMAKE_LOG, 4).idle_share == pytest.approx(1 - 50 / 120)
    assert studies.occupancy("no jobs ran\n", 2).idle_share == 0


def test_section_says_how_full_the_job_slots_and_cores_were(studies: ModuleType, tmp_path: Path):
    config, workdir = finished_workdir(tmp_path)
    (workdir / "snakemake.log").write_text(SNAKEMAKE_LOG)
    timing = studies.Timing("study.yaml", 600.0, 900.0, 0, ("0.10", "2.00"), "abc1234")
    started = studies.datetime.datetime(2026, 11, 30, 1, 7, tzinfo=studies.datetime.UTC)
    section = studies.render_section(started, [(config, timing, workdir)], cores=2)
    assert "| job slots idle (2 slots) | cores busy (CPU over 2 × wall) |" in section
    assert "| 0.10 → 2.00 | 16.7% | 75% |" in section
