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
from archstudy.layout import DATA, DATA_INFO, RAW_DIR, fill, under

Log = Callable[[str], None]


def prepare_data(
    dataset: str,
    scratch: Path,
    recorded_results: Path,
    raw_dir: Path | None,
    data_dir: Path | None,
    log: Log,
) -> tuple[Path, list[str]]:
    """Prepare `dataset` in `scratch`; return its .npz and any disagreement with the record.

    The raw files come from the build's `raw_dir` when it has them (their MD5 is checked
    again), else from `data_dir`, the mirrors or the canonical sources, as the workflow does.
    The recorded description (layout.DATA_INFO in `recorded_results`) must name the registry's
    checksums, and the recorded arrays, when present, must equal the fresh ones.
    """
    spec = get_spec(dataset)
    raw = scratch / fill(RAW_DIR, dataset=dataset)
    raw.mkdir(parents=True, exist_ok=True)
    if raw_dir is not None:
        for name in spec.md5:
            if (raw_dir / name).is_file():
                shutil.copyfile(raw_dir / name, raw / name)
    fetch_dataset(dataset, raw, local_dir=data_dir, log=lambda line: None)
    npz = under(scratch, DATA, dataset=dataset)
    prepare_dataset(dataset, raw, npz, under(scratch, DATA_INFO, dataset=dataset))
    log(f"data {dataset}: checksums verified, prepared afresh")
    problems = []
    description = under(recorded_results, DATA_INFO, dataset=dataset)
    if description.is_file():
        files = json.loads(description.read_text()).get("files", {})
        if files != dict(spec.md5):
            problems.append(
                f"{description}: files {files} differ from the checksums the data were "
                f"verified against ({dict(spec.md5)})"
            )
    recorded = under(recorded_results, DATA, dataset=dataset)
    if recorded.is_file():
        old, new = load_prepared(recorded), load_prepared(npz)
        for key in ("x_train", "y_train", "x_test", "y_test"):
            if not np.array_equal(getattr(old, key), getattr(new, key)):
                problems.append(f"{recorded}: {key} differs from the data prepared afresh")
    return npz, problems
