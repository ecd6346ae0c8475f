"""A new user's first hour: the README's quick start, literally, in a fresh clone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from paths import ROOT

pytestmark = pytest.mark.e2e


def user_environment() -> dict[str, str]:
    """The environment of someone who has not activated any virtual environment."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    environment["PATH"] = os.pathsep.join(
        part for part in environment.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    return environment


def make(clone: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", target],
        cwd=clone,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=2400,
    )


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the project's git checkout")
def test_quick_start_builds_the_report_then_rebuilds_nothing(tmp_path: Path):
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    clone = tmp_path / "archstudy"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)

    built = make(clone, "report")  # creates .venv, installs pinned dependencies, runs the study
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    for name in ("report.html", "report.pdf"):
        assert (clone / "results" / "report" / name).stat().st_size > 10_000

    again = make(clone, "dry-run")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr

    cleaned = make(clone, "clean")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not (clone / "results").exists()
    assert (clone / "resources" / "raw" / "mnist_5k" / "MANIFEST.json").exists()  # data kept
