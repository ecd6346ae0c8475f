"""The prepared data a check trains and tests on: fetched with checksums, prepared afresh."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from archstudy.data.download import fetch_dataset
from archstudy.data.prepared import load_prepared, prepare_dataset
from archstudy.data.registry import get_spec

Log = Callable[[str], None]


def prepare_data(
    dataset: str,
    scratch: Path,
    recorded_data: Path,
    raw_dir: Path | None,
    data_dir: Path | None,
    log: Log,
) -> tuple[Path, list[str]]:
    """Prepare `dataset` in `scratch`; return its .npz and any disagreement with the record.

    The raw files come from the build's `raw_dir` when it has them (their MD5 is checked
    again), else from `data_dir`, the mirrors or the canonical sources, as the workflow does.
    The recorded description (`recorded_data/{dataset}.json`) must name the registry's
    checksums, and the recorded arrays, when present, must equal the fresh ones.
    """
    spec = get_spec(dataset)
    raw = scratch / "raw" / dataset
    raw.mkdir(parents=True, exist_ok=True)
    if raw_dir is not None:
        for name in spec.md5:
            if (raw_dir / name).is_file():
                shutil.copyfile(raw_dir / name, raw / name)
    fetch_dataset(dataset, raw, local_dir=data_dir, log=lambda line: None)
    npz = scratch / "data" / f"{dataset}.npz"
    prepare_dataset(dataset, raw, npz, scratch / "data" / f"{dataset}.json")
    log(f"data {dataset}: checksums verified, prepared afresh")
    problems = []
    description = recorded_data / f"{dataset}.json"
    if description.is_file():
        files = json.loads(description.read_text()).get("files", {})
        if files != dict(spec.md5):
            problems.append(
                f"{description}: files {files} differ from the checksums the data were "
                f"verified against ({dict(spec.md5)})"
            )
    recorded = recorded_data / f"{dataset}.npz"
    if recorded.is_file():
        old, new = load_prepared(recorded), load_prepared(npz)
        for key in ("x_train", "y_train", "x_test", "y_test"):
            if not np.array_equal(getattr(old, key), getattr(new, key)):
                problems.append(f"{recorded}: {key} differs from the data prepared afresh")
    return npz, problems
