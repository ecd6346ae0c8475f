"""Atomic writes: a target is either the old file or the whole new one, never a part."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archstudy.atomic import atomic_path, write_text


def test_target_appears_only_when_the_block_succeeds(tmp_path: Path):
    target = tmp_path / "sub" / "table.csv"
    with atomic_path(target, suffix=".csv") as temporary:
        temporary.write_text("a,b\n")
        assert not target.exists()
        assert temporary.name.endswith(".part.csv")  # writers that infer formats see .csv
    assert target.read_text() == "a,b\n"
    assert os.listdir(target.parent) == ["table.csv"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half of the new")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["metrics.json"]


def test_written_files_get_the_usual_permissions(tmp_path: Path):
    umask = os.umask(0o022)
    try:
        write_text(tmp_path / "report.md", "# Report\n")
    finally:
        os.umask(umask)
    assert (tmp_path / "report.md").stat().st_mode & 0o777 == 0o644
