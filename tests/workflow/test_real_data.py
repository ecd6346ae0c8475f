"""The registry's checksums of MNIST and Fashion-MNIST match the real files, where they are."""

from __future__ import annotations

import gzip
import hashlib
import os

import pytest
from needs import need
from paths import ROOT

from archstudy.data.registry import DATASETS

# The project's shared folder beside the checkout; .ci/run names CI's copy, relative to ROOT.
REAL_DATA = ROOT / os.environ.get("ARCHSTUDY_REAL_DATA", "../shared/data")


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist"])
def test_registry_checksums_match_the_real_files(dataset: str) -> None:
    spec = DATASETS[dataset]
    folder = REAL_DATA / spec.folder
    need(folder.is_dir(), f"no real {dataset} files at {folder} (set ARCHSTUDY_REAL_DATA)")
    for name, expected in spec.md5.items():
        with gzip.open(folder / name, "rb") as stream:
            assert hashlib.md5(stream.read()).hexdigest() == expected, name
