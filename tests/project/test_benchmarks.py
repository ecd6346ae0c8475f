"""The speed benchmark keeps working (a seconds-long --quick run) and its speed settings
change nothing that is computed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from paths import ROOT
from workflow_support import load_script

RUN = ROOT / "benchmarks" / "run.py"
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")
OLD_SECTION = "## 2000-01-01 00:00 UTC · full\n\nAn earlier run, kept as history.\n"


def load_run_module() -> ModuleType:
    """benchmarks/run.py as a module; it puts the repository on sys.path for its own modules
    (the `benchmarks` package), so the history file's names import afterwards."""
    run = load_script(RUN, "benchmark_run")
    from benchmarks.common import HEADER, MARKER

    run.HEADER, run.MARKER = HEADER, MARKER
    return run


def tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of stripped cells (separator row included)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            assert line.rstrip().endswith("|"), f"table row not closed: {line!r}"
        elif current:
            found.append(current)
            current = []
    return found


def number(cell: str) -> float:
    return float(cell.rstrip("x%").split(" ")[0])


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One --quick run into a file that already holds an earlier result."""
    output = tmp_path_factory.mktemp("benchmark") / "BENCHMARKS.md"
    run = load_run_module()
    output.write_text(f"{run.HEADER}\n{OLD_SECTION}")
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return output.read_text()


def test_quick_run_adds_a_dated_section_above_the_history(quick_report: str) -> None:
    new = re.search(r"^## \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · quick", quick_report, re.M)
    assert new is not None
    old = quick_report.index(OLD_SECTION)
    assert quick_report.index(load_run_module().MARKER) < new.start() < old
    for heading in ("Targets", "1. Per-step efficiency", "2. Roofline", "3. Levers"):
        assert f"\n### {heading}\n" in quick_report


def test_quick_run_writes_well_formed_tables(quick_report: str) -> None:
    found = tables(quick_report)
    assert len(found) >= 4
    for table in found:
        header, separator, *rows = table
        assert SEPARATOR.match("| " + " | ".join(separator) + " |"), separator
        assert rows, f"table without rows: {header}"
        for row in rows:
            assert len(row) == len(header), (header, row)


def test_per_step_row_holds_numbers_for_both_styles(quick_report: str) -> None:
    per_step = next(t for t in tables(quick_report) if t[0][0] == "network" and "speed-up" in t[0])
    header, _, *rows = per_step
    (row,) = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["network"] == "784-300-100-10" and cells["batch"] == "32"
    assert number(cells["notebook s/epoch"]) > 0 and number(cells["trainer s/epoch"]) > 0
    assert cells["speed-up"].endswith("x")
    for column in ("notebook val acc", "trainer val acc"):
        assert 0 <= number(cells[column]) <= 1
    # The synthetic task is easy: both styles learn it, from the same initial weights.
    assert cells["same model & optimizer"] == "yes"
    # The hand-written TensorFlow loop ran as the per-step reference (issue #21).
    assert number(cells["hand loop s/epoch after epoch 1"]) > 0
    assert number(cells["trainer vs hand loop after epoch 1"]) > 0
    assert cells["trainer vs hand loop after epoch 1"].endswith("x")
    used = re.search(r"runs with: step_loop_minibatches=(\d+)", quick_report)
    assert used and int(used.group(1)) > 1


def test_step_loop_lever_runs_in_the_levers_table(quick_report: str) -> None:
    levers = next(t for t in tables(quick_report) if t[0][0].startswith("setting"))
    (row,) = [row for row in levers[2:] if row[0].startswith("StepLoop")]
    assert number(row[1]) > 0 and 0 <= number(row[-1]) <= 1
    # Bit-identity with plain fit is tests/train/test_step_loop.py's job; synthetic data is too easy
    # here for accuracies to tell two trainings apart.


def test_roofline_rows_report_a_positive_peak(quick_report: str) -> None:
    roofline = next(t for t in tables(quick_report) if "matmul peak GFLOP/s" in t[0])
    for row in roofline[2:]:
        assert number(row[5]) > 0 and number(row[4]) > 0


def test_products_alone_are_the_products_of_the_training_step(quick_report: str) -> None:
    """The products timed alone are Keras' own: eight, with the step's FLOPs between them."""
    from archstudy.train.models import training_flops_per_example

    products = next(t for t in tables(quick_report) if "ms per step, products alone" in t[0])
    header, _, *rows = products
    (row,) = rows
    cells = dict(zip(header, row, strict=True))
    # 784-300-100-10: three forward products, three weight gradients, two input gradients.
    assert cells["products per step"] == "8"
    flops = number(cells["GFLOP/s, products alone"]) * number(cells["ms per step, products alone"])
    expected = 32 * training_flops_per_example([300, 100]) / 1e6
    assert flops == pytest.approx(expected, rel=0.03)
    assert number(cells["speed-up ceiling vs notebook"]) > 0
    assert "ceiling with nothing but the step's products" in quick_report


def test_history_is_kept_when_the_file_has_no_marker(tmp_path: Path) -> None:
    run = load_run_module()
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Notes written by hand\n")
    run.write_results(output, "## second\n")
    run.write_results(output, "## third\n")
    text = output.read_text()
    assert text.startswith("# Notes written by hand\n")
    assert text.index(run.MARKER) < text.index("## third") < text.index("## second")


def write_synthetic(path: Path) -> Path:
    return load_run_module().synthetic_data(path, n_train=400, n_test=100)


def train_once(data: Path, run_dir: Path) -> tuple[pd.DataFrame, np.ndarray]:
    from archstudy.config.plan import build_plan
    from archstudy.train.inputs import load_inputs
    from archstudy.train.training import train_seed

    # Dropout and batch normalisation too: their random masks and moving statistics must
    # follow the same sequence whether steps run one per call or many.
    settings = {
        "hidden": [16, 16],
        "dropout": 0.3,
        "batch_norm": True,
        "epochs": 2,
        "batch_size": 4,
        "learning_rate": 0.01,
        "seeds": [0],
    }
    plan = build_plan({"defaults": settings, "studies": {"s": {"variants": {"v": {}}}}})
    (hyperparameters,) = plan.hyperparameters.values()
    inputs = load_inputs(hyperparameters, data)
    train_seed(
        hyperparameters,
        inputs,
        0,
        run_dir,
        {"threads": 1},
        log=lambda line: None,
        learning_rate=hyperparameters.learning_rate,
    )
    history = pd.read_csv(run_dir / "history.csv").drop(columns="seconds")
    return history, np.load(run_dir / "test_probabilities.npy")


def test_steps_per_call_change_nothing_that_is_computed(tmp_path, monkeypatch):
    from archstudy.train import seeded_model

    assert seeded_model.STEPS_PER_CALL > 1
    data = write_synthetic(tmp_path / "data.npz")
    fast_history, fast_probabilities = train_once(data, tmp_path / "fast")
    monkeypatch.setattr(seeded_model, "STEPS_PER_CALL", 1)
    slow_history, slow_probabilities = train_once(data, tmp_path / "slow")
    # 90 training steps per epoch: the fast run makes 2 calls (64 + 26 steps), the slow 90.
    pd.testing.assert_frame_equal(fast_history, slow_history)
    np.testing.assert_array_equal(fast_probabilities, slow_probabilities)
