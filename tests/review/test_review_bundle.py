"""`archstudy bundle` round-trips: created from a build, verified in a fresh folder with one run
retrained; a changed or missing file in the bundle is caught."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from review_build import built_tiny
from workflow_support import ROOT

from archstudy.cli import main

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = built_tiny(tmp_path_factory)
    output = tmp_path_factory.mktemp("bundle") / "tiny.tar.gz"
    previous = Path.cwd()
    os.chdir(build)  # as a user runs it, from the workflow folder
    try:
        status = main(["bundle", "--configfile", "study.yaml", "--output", str(output)])
    finally:
        os.chdir(previous)
    assert status == 0
    return output


def _members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as archive:
        return {
            member.name: archive.extractfile(member).read()  # type: ignore[union-attr]
            for member in archive.getmembers()
            if member.isfile()
        }


def _rewrite(members: dict[str, bytes], target: Path) -> Path:
    with tarfile.open(target, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target


def test_the_bundle_holds_what_a_reviewer_needs(bundle: Path):
    members = _members(bundle)
    names = {name.removeprefix("archstudy-bundle/") for name in members}
    assert {"config/study.yaml", "constraints.txt", "results/report/report.html"} <= names
    assert {"results/studies/tiny/summary.csv", "results/data/mnist_5k.json"} <= names
    assert len([name for name in names if name.endswith("/metrics.json")]) == 4
    assert not [name for name in names if name.endswith((".keras", ".npz"))]  # no models, data
    checksums = members["archstudy-bundle/checksums.sha256"].decode().splitlines()
    assert sorted(line.split("  ")[1] for line in checksums) == sorted(names - {"checksums.sha256"})
    crate = json.loads(members["archstudy-bundle/ro-crate-metadata.json"])
    assert crate["@context"] == "https://w3id.org/ro/crate/1.1/context"
    graph = {entity["@id"]: entity for entity in crate["@graph"]}
    assert graph["ro-crate-metadata.json"]["about"] == {"@id": "./"}
    parts = {part["@id"] for part in graph["./"]["hasPart"]}
    assert parts == names - {"checksums.sha256", "ro-crate-metadata.json"}
    assert all(graph[part]["@type"] == "File" for part in parts)


def test_a_fresh_folder_verifies_the_bundle_with_one_run_retrained(bundle: Path, tmp_path):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "archstudy", "verify", str(bundle), "--sample", "1", "--seed", "0"],
        cwd=fresh,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "drawn with seed 0" in result.stdout
    assert "[1/1]" in result.stdout and ": identical (" in result.stdout
    records = list(bundle.parent.glob("tiny.tar.gz.verification-*.json"))
    assert len(records) == 1
    assert json.loads(records[0].read_text())["verdict"] == "identical"


def test_a_changed_file_in_the_bundle_fails_naming_it(bundle: Path, tmp_path: Path, capsys):
    members = _members(bundle)
    name = next(n for n in members if n.endswith("seed0/history.csv"))
    members[name] = members[name].replace(b"1,", b"1,0", 1)
    changed = _rewrite(members, tmp_path / "changed.tar.gz")
    assert main(["verify", str(changed), "--sample", "0"]) == 1
    inner = name.removeprefix("archstudy-bundle/")
    assert f"changed.tar.gz: {inner}: SHA-256 differs" in capsys.readouterr().out


def test_a_bundle_with_a_missing_file_is_one_line(bundle: Path, tmp_path: Path, capsys):
    members = _members(bundle)
    name = next(n for n in members if n.endswith("seed1/metrics.json"))
    del members[name]
    incomplete = _rewrite(members, tmp_path / "incomplete.tar.gz")
    assert main(["verify", str(incomplete)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    inner = name.removeprefix("archstudy-bundle/")
    assert len(err) == 1 and f"{inner} is listed in checksums.sha256 but missing" in err[0]
