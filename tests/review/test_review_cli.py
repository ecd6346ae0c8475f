"""The command's conventions: --version, `python -m archstudy`, exit codes in --help, and the
review pieces that need no build (differences, records, the report's verification text)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workflow_support import ROOT

from archstudy import __version__
from archstudy.cli import main
from archstudy.reporting.verification import (
    latest_record_path,
    verification_context,
    write_record,
)
from archstudy.review.differences import metric_differences, within
from archstudy.review.results import RecordedRun
from archstudy.review.retrain import judge


def test_version_and_python_dash_m(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"archstudy {__version__}"
    result = subprocess.run(
        [sys.executable, "-m", "archstudy", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=120,
    )
    assert result.returncode == 0
    for command in ("check", "verify", "compare", "bundle"):
        assert command in result.stdout
    assert "exit status:" in result.stdout and "  2  the command could not run" in result.stdout


def test_license_matches_pyproject():
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "2026 archstudy contributors" in text


def _run(accuracy: float, probabilities: np.ndarray) -> RecordedRun:
    history = pd.DataFrame({"epoch": [1], "loss": [0.5], "seconds": [1.0]})
    metrics = {"test_accuracy": accuracy, "epochs_run": 1, "train_seconds": 3.0}
    return RecordedRun(metrics, history, probabilities)


def test_verdicts_identical_equivalent_and_different():
    probabilities = np.eye(4, dtype=np.float32)
    recorded = _run(0.9, probabilities)
    slower = RecordedRun(
        {**recorded.metrics, "train_seconds": 9.0}, recorded.history, probabilities
    )
    assert judge("r", recorded, slower, 0.02, {}).verdict == "identical"
    assert judge("r", recorded, _run(0.905, probabilities), 0.02, {}).verdict == "equivalent"
    # Within the tolerance but large against a seed spread of 0.001.
    spread = {"test_accuracy": 0.001}
    assert judge("r", recorded, _run(0.905, probabilities), 0.02, spread).verdict == "different"
    changed = probabilities[[1, 0, 2, 3]]  # half the predicted classes change
    verdict = judge("r", recorded, _run(0.9, changed), 0.02, {})
    assert verdict.verdict == "different"
    assert "test_probabilities.npy: predicted classes changed" in verdict.differences[0].text()


def test_integers_and_text_allow_no_tolerance():
    differences = metric_differences({"epochs_run": 3, "stopped": "x"}, {"epochs_run": 4})
    assert [d.key for d in within(differences, 0.5, {})] == ["epochs_run", "stopped"]


def test_the_report_shows_the_latest_record_or_none(tmp_path: Path):
    folder = tmp_path / "verification"
    assert latest_record_path(folder) is None
    assert verification_context(None) is None
    record = {
        "finished": "2026-12-01T04:17:43.000000+00:00",
        "machine": {"host": "h", "cpu": "c", "backend": "tensorflow", "threads": 1},
        "selection": {"text": "run abc/0"},
        "runs": [{"run": "abc/0", "verdict": "identical"}],
        "counts": {"identical": 1, "equivalent": 0, "different": 0},
        "integrity": {"runs_checked": 4, "tables_checked": 1, "problems": []},
        "verdict": "identical",
    }
    write_record(folder, {**record, "finished": "2026-11-30T10:00:00+00:00", "verdict": "x"})
    path = write_record(folder, record)
    assert latest_record_path(folder) == path
    context = verification_context(latest_record_path(folder))
    assert context is not None
    assert (context["when"], context["verdict"]) == ("2026-12-01 04:17:43 UTC", "identical")
    assert json.loads(path.read_text())["counts"]["identical"] == 1
