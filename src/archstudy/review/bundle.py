"""The hand-over bundle: one archive of what a reviewer needs, with a checksum of every file.

Inside `archstudy-bundle/`: the config files as written, constraints.txt, each dataset's
manifest (sources and checksums, not the data), every run's metrics, history and test
predictions (not the models), the LR range tests, the study tables, the report, an RO-Crate
description (ro-crate-metadata.json) and `checksums.sha256` (`sha256sum -c` reads it).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from archstudy import __version__
from archstudy.atomic import atomic_path
from archstudy.review.crate import crate_metadata
from archstudy.review.integrity import check_config
from archstudy.review.results import (
    ReviewError,
    check_results_dir,
    sha256,
    study_members,
    study_names,
)
from archstudy.review.verify import Source

ROOT = "archstudy-bundle"
CHECKSUMS = "checksums.sha256"
DESCRIPTION = "bundle.json"
RUN_FILES = ("metrics.json", "history.csv", "test_probabilities.npy")
REPORT_FILES = ("report.html", "report.pdf", "report.md")


def _members(results_dir: Path, workflow_dir: Path, configs: Sequence[Path]) -> dict[str, Path]:
    """Bundle path -> file on disk, for everything the bundle carries."""
    files: dict[str, Path] = {}
    for index, config in enumerate(configs):
        name = config.name if index == 0 else f"{index}-{config.name}"
        files[f"config/{name}"] = config
    files["constraints.txt"] = _constraints(workflow_dir)
    for description in sorted((results_dir / "data").glob("*.json")):
        files[f"results/data/{description.name}"] = description
        manifest = workflow_dir / "resources" / "raw" / description.stem / "MANIFEST.json"
        if manifest.is_file():
            files[f"resources/raw/{description.stem}/MANIFEST.json"] = manifest
    for path in sorted((results_dir / "runs").rglob("*")):
        relative = path.relative_to(results_dir).as_posix()
        if path.is_file() and not path.name.startswith(".") and path.name != "model.keras":
            if path.parent.name.startswith("seed") and path.name not in RUN_FILES:
                continue
            files[f"results/{relative}"] = path
    patterns = ("lr_range/*/*.csv", "lr_range/*/*.json", "studies/*/*.csv", "verification/*.json")
    for pattern in patterns:
        for path in sorted(results_dir.glob(pattern)):
            files[f"results/{path.relative_to(results_dir).as_posix()}"] = path
    for name in REPORT_FILES:
        if not (results_dir / "report" / name).is_file():
            raise ReviewError(
                f"{results_dir / 'report' / name} not found; build the report first "
                "(snakemake), the bundle hands it over"
            )
        files[f"results/report/{name}"] = results_dir / "report" / name
    return files


def _constraints(workflow_dir: Path) -> Path:
    """The locked dependency list of the workflow folder."""
    path = workflow_dir / "constraints.txt"
    if not path.is_file():
        raise ReviewError(f"no constraints.txt in {workflow_dir}; run from the workflow folder")
    return path


def create_bundle(results_dir: Path, configs: Sequence[Path], output: Path) -> Path:
    """Write the bundle of `results_dir` (built from `configs`) to `output` (.tar.gz or .zip)."""
    check_results_dir(results_dir)
    if not output.name.endswith((".tar.gz", ".tgz", ".zip")):
        raise ReviewError(f"bundle name '{output}' must end in .tar.gz, .tgz or .zip")
    for config in configs:
        if not config.is_file():
            raise ReviewError(f"config '{config}' not found; pass the config the results used")
    studies = {study: study_members(results_dir, study) for study in study_names(results_dir)}
    mismatch = check_config(configs, studies)
    if mismatch:
        raise ReviewError(mismatch[0])
    files = _members(results_dir, results_dir.resolve().parent, configs)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    description = {
        "archstudy_bundle": 1,
        "archstudy_version": __version__,
        "created": created,
        "config": [name for name in files if name.startswith("config/")],
        "studies": sorted(studies),
    }
    with tempfile.TemporaryDirectory(prefix="archstudy-bundle-") as folder:
        staging = Path(folder) / ROOT
        for name, path in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / name)
        (staging / DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
        names = sorted([*files, DESCRIPTION])
        crate = crate_metadata(staging, names, created, sorted(studies), __version__)
        (staging / "ro-crate-metadata.json").write_text(json.dumps(crate, indent=2) + "\n")
        names.append("ro-crate-metadata.json")
        lines = [f"{sha256(staging / name)}  {name}" for name in sorted(names)]
        (staging / CHECKSUMS).write_text("\n".join(lines) + "\n")
        _archive(staging, [*sorted(names), CHECKSUMS], output)
    return output


def _archive(staging: Path, names: list[str], output: Path) -> None:
    suffix = ".zip" if output.name.endswith(".zip") else ".tar.gz"
    with atomic_path(output, suffix=suffix) as temporary:
        if suffix == ".zip":
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in names:
                    archive.write(staging / name, f"{ROOT}/{name}")
        else:
            with tarfile.open(temporary, "w:gz") as archive:
                for name in names:
                    archive.add(staging / name, f"{ROOT}/{name}", recursive=False)


def is_bundle(path: Path) -> bool:
    """Whether `path` names a bundle file (rather than a results folder)."""
    return path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".zip"))


def open_bundle(bundle: Path, scratch: Path) -> Source:
    """Unpack `bundle` into `scratch`, check every file's checksum; the results to verify.

    A listed file that is missing is an error (one line); a changed or unlisted file is a
    problem the verification reports and fails on.
    """
    try:
        if bundle.name.endswith(".zip"):
            with zipfile.ZipFile(bundle) as archive:
                archive.extractall(scratch)
        else:
            with tarfile.open(bundle, "r:gz") as archive:
                # The "data" filter refuses links and paths outside `scratch` (Python 3.11.4+).
                archive.extractall(scratch, filter="data")
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as error:
        raise ReviewError(
            f"bundle '{bundle}' cannot be read ({error}); expected a .tar.gz or .zip "
            "written by archstudy bundle"
        ) from None
    root = scratch / ROOT
    if not (root / CHECKSUMS).is_file() or not (root / DESCRIPTION).is_file():
        raise ReviewError(
            f"'{bundle}' is not an archstudy bundle: no {ROOT}/{CHECKSUMS} or {DESCRIPTION}"
        )
    listed = {}
    for line in (root / CHECKSUMS).read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    problems = []
    for name, digest in listed.items():
        path = root / name
        if not path.is_file():
            raise ReviewError(
                f"bundle '{bundle}': {name} is listed in {CHECKSUMS} but missing; the bundle is "
                "incomplete (ask for it again)"
            )
        if sha256(path) != digest:
            problems.append(f"{bundle.name}: {name}: SHA-256 differs from {CHECKSUMS} (changed)")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    problems += [
        f"{bundle.name}: {name}: not listed in {CHECKSUMS} (added)"
        for name in sorted(present - set(listed) - {CHECKSUMS})
    ]
    description = json.loads((root / DESCRIPTION).read_text())
    raw = Path("resources/raw")
    return Source(
        root / "results",
        bundle.name,
        raw.resolve() if raw.is_dir() else None,
        [root / name for name in description.get("config", [])],
        bundle.resolve().parent,
        f"{bundle.name}.verification-",
        problems,
        (f"{root}/", f"{bundle.name}:"),
    )
