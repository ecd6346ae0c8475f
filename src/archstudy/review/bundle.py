"""The hand-over bundle: one archive of what a reviewer needs, with a checksum of every file.

Inside `archstudy-bundle/`: the config files as written, constraints.txt, each dataset's
manifest (sources and checksums, not the data), every run's metrics, history, test
predictions and validation answers (not the models), the training jobs' resource records,
the LR range tests, the study tables, the report, an RO-Crate description
(ro-crate-metadata.json) and `checksums.sha256` (`sha256sum -c` reads it).
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
from archstudy.layout import (
    CONSTRAINTS,
    DATA_INFO,
    LR_RANGE_CHOICE,
    LR_RANGE_CURVE,
    RAW_MANIFEST,
    REPORT_HTML,
    REPORT_MARKDOWN,
    REPORT_PDF,
    RESULTS,
    RUNS_ROOT,
    STUDY_TABLE,
    TRAINING_RESOURCES,
    VERIFICATION_DIR,
    fill,
    in_results,
    under,
    workflow_of,
)
from archstudy.review.crate import DESCRIPTION, METADATA, crate_metadata
from archstudy.review.integrity import check_config
from archstudy.review.results import (
    RECORDED_FILES,
    ReviewError,
    check_results_dir,
    sha256,
    study_members,
    study_names,
)
from archstudy.review.verify import Source
from archstudy.train.run_files import MODEL_FILE, VALIDATION_ANSWERS_FILE, seed_of

ROOT = "archstudy-bundle"
# A seed folder's files the bundle carries: what a reviewer compares, and the validation
# answers the study tables' validation intervals and comparisons are recomputed from.
SEED_FILES = (*RECORDED_FILES, VALIDATION_ANSWERS_FILE)
CHECKSUMS = "checksums.sha256"
# Inside the bundle, files keep their paths in the workflow folder (layout's patterns).
REPORT_FILES = (REPORT_HTML, REPORT_PDF, REPORT_MARKDOWN)
# The LR range tests', the studies' and the checks' records, and the training jobs' resource
# records the study summaries read (globs in the results folder).
RECORDS = (
    in_results(LR_RANGE_CURVE, variant_id="*"),
    in_results(LR_RANGE_CHOICE, variant_id="*"),
    in_results(STUDY_TABLE, study="*", table="*"),
    in_results(TRAINING_RESOURCES, variant_id="*"),
    f"{in_results(VERIFICATION_DIR)}/*.json",
)


def _members(results_dir: Path, workflow_dir: Path, configs: Sequence[Path]) -> dict[str, Path]:
    """Bundle path -> file on disk, for everything the bundle carries."""
    files: dict[str, Path] = {}
    for index, config in enumerate(configs):
        name = config.name if index == 0 else f"{index}-{config.name}"
        files[f"config/{name}"] = config
    files[CONSTRAINTS] = _constraints(workflow_dir)
    for description in sorted(results_dir.glob(in_results(DATA_INFO, dataset="*"))):
        files[_name(results_dir, description)] = description
        manifest = fill(RAW_MANIFEST, dataset=description.stem)
        if (workflow_dir / manifest).is_file():
            files[manifest.as_posix()] = workflow_dir / manifest
    for path in sorted(under(results_dir, RUNS_ROOT).rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.name != MODEL_FILE:
            if seed_of(path.parent.name) is not None and path.name not in SEED_FILES:
                continue
            files[_name(results_dir, path)] = path
    for pattern in RECORDS:
        for path in sorted(results_dir.glob(pattern)):
            files[_name(results_dir, path)] = path
    for report in REPORT_FILES:
        path = under(results_dir, report)
        if not path.is_file():
            raise ReviewError(
                f"{path} not found; build the report first (snakemake), the bundle hands it over"
            )
        files[report] = path
    return files


def _name(results_dir: Path, path: Path) -> str:
    """A file's name in the bundle: its path in the workflow folder."""
    return (Path(RESULTS) / path.relative_to(results_dir)).as_posix()


def _constraints(workflow_dir: Path) -> Path:
    """The locked dependency list of the workflow folder."""
    path = workflow_dir / CONSTRAINTS
    if not path.is_file():
        raise ReviewError(f"no {CONSTRAINTS} in {workflow_dir}; run from the workflow folder")
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
    files = _members(results_dir, workflow_of(results_dir), configs)
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
        (staging / METADATA).write_text(json.dumps(crate, indent=2) + "\n")
        names.append(METADATA)
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
    # The data come from the current workflow folder's downloads, when it has them.
    return Source(
        root / RESULTS,
        bundle.name,
        Path.cwd(),
        [root / name for name in description.get("config", [])],
        bundle.resolve().parent,
        f"{bundle.name}.verification-",
        problems,
        (f"{root}/", f"{bundle.name}:"),
    )
