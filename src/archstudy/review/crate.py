"""RO-Crate 1.1 metadata for a bundle, so repositories and tools recognise it as research data.

Written by hand (https://w3id.org/ro/crate/1.1): the metadata descriptor, the root dataset
with every file as a part, the archstudy software that made the files, and the licence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archstudy.data.registry import MANIFEST_NAME
from archstudy.layout import (
    CONSTRAINTS,
    DATA_INFO,
    JOB_RESOURCES,
    REPORT_DIR,
    STUDIES_ROOT,
    fill,
)
from archstudy.train.run_files import (
    HISTORY_FILE,
    METRICS_FILE,
    PROBABILITIES_FILE,
    VALIDATION_ANSWERS_FILE,
)

# The crate's own description, and the bundle's (what it holds), at the bundle's top.
METADATA = "ro-crate-metadata.json"
DESCRIPTION = "bundle.json"
CONTEXT = "https://w3id.org/ro/crate/1.1/context"
SPECIFICATION = "https://w3id.org/ro/crate/1.1"
LICENSE = "https://spdx.org/licenses/MIT"
_FORMATS = {
    ".json": "application/json",
    ".csv": "text/csv",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".txt": "text/plain",
    ".tsv": "text/tab-separated-values",
    ".npy": "application/octet-stream",
}
_ABOUT = {
    METRICS_FILE: "A training run's metrics, resolved hyperparameters and environment",
    HISTORY_FILE: "A training run's loss and accuracy per epoch",
    PROBABILITIES_FILE: "A training run's class probabilities on the test set (NumPy)",
    VALIDATION_ANSWERS_FILE: "Which validation images a training run classified correctly",
    CONSTRAINTS: "The exact version of every Python dependency",
    MANIFEST_NAME: "A dataset's sources and MD5 checksums (the data are not included)",
    DESCRIPTION: "What this bundle holds: archstudy version, config files, studies",
}
# The folders (bundle paths, as in the workflow folder) of the files described by kind.
_STUDIES = fill(STUDIES_ROOT).as_posix() + "/"
_REPORT = fill(REPORT_DIR).as_posix() + "/"
_DATA = fill(DATA_INFO, dataset="*").parent.as_posix() + "/"
_RESOURCES = fill(JOB_RESOURCES, rule="*", job="*").parent.parent.as_posix() + "/"


def _describe(name: str) -> str:
    path = Path(name)
    if path.name in _ABOUT:
        return _ABOUT[path.name]
    if name.startswith("config/"):
        return "The study config as written"
    if name.startswith(_STUDIES):
        return f"Study table {path.stem} of study {path.parent.name}"
    if name.startswith(_REPORT):
        return "The report as handed over"
    if name.startswith(_RESOURCES):
        return f"Wall time, peak memory and CPU time of job {path.parent.name} {path.stem}"
    if name.startswith(_DATA):
        return f"Description of the prepared dataset {path.stem}, with its files' checksums"
    return "Recorded by the archstudy workflow"


def crate_metadata(
    root: Path, names: Sequence[str], created: str, studies: Sequence[str], version: str
) -> dict[str, Any]:
    """The JSON-LD of ro-crate-metadata.json for the files `names` under `root`."""
    files = [
        {
            "@id": name,
            "@type": "File",
            "name": Path(name).name,
            "description": _describe(name),
            "encodingFormat": _FORMATS.get(Path(name).suffix, "application/octet-stream"),
            "contentSize": str((root / name).stat().st_size),
        }
        for name in names
    ]
    return {
        "@context": CONTEXT,
        "@graph": [
            {
                "@id": METADATA,
                "@type": "CreativeWork",
                "conformsTo": {"@id": SPECIFICATION},
                "about": {"@id": "./"},
            },
            {
                "@id": "./",
                "@type": "Dataset",
                "name": f"archstudy results: {', '.join(studies)}",
                "description": (
                    "Training runs, study tables and the comparison report of an archstudy "
                    "build, with the config, the pinned dependencies and the data manifests "
                    "needed to rebuild and check them (archstudy verify BUNDLE)."
                ),
                "datePublished": created,
                "license": {"@id": LICENSE},
                "hasPart": [{"@id": name} for name in names],
                "mentions": {"@id": "#archstudy"},
            },
            {
                "@id": "#archstudy",
                "@type": "SoftwareApplication",
                "name": "archstudy",
                "version": version,
            },
            {"@id": LICENSE, "@type": "CreativeWork", "name": "MIT License"},
            *files,
        ],
    }
