"""Prepared arrays: the .npz and .json the prepare step writes, read back, and validation splits."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from archstudy.atomic import atomic_path, write_text
from archstudy.data.raw import RawDataset, load_raw
from archstudy.data.registry import MANIFEST_NAME
from archstudy.errors import DataError

SPLIT_METHODS = ("stratified", "random", "head", "tail")

_X = TypeVar("_X", bound=np.generic)
_Y = TypeVar("_Y", bound=np.generic)


class PreparedDataset(RawDataset):
    """The arrays read back from a prepared .npz file."""


def prepare_dataset(name: str, raw_dir: Path, npz_path: Path, info_path: Path) -> None:
    """Write the arrays of `name` to `npz_path` and their summary to `info_path` (JSON)."""
    data = load_raw(name, raw_dir)
    manifest_path = raw_dir / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        checksums = {entry["file"]: entry["md5"] for entry in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"{manifest_path}: unreadable manifest ({error}); fetch again") from None
    with atomic_path(npz_path, suffix=".npz") as temporary:
        np.savez_compressed(
            temporary,
            x_train=data.x_train,
            y_train=data.y_train,
            x_test=data.x_test,
            y_test=data.y_test,
            class_names=np.array(data.class_names, dtype=np.str_),
        )
    # Pixel statistics from a histogram: exact, and no 60000x784 float copy in memory.
    histogram = np.bincount(data.x_train.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256) / 255.0
    mean = float(histogram @ levels / histogram.sum())
    std = float(math.sqrt(histogram @ (levels - mean) ** 2 / histogram.sum()))
    info = {
        "dataset": name,
        "sizes": {"train": len(data.y_train), "test": len(data.y_test)},
        "class_names": list(data.class_names),
        "class_counts": {
            "train": _class_counts(data.y_train, data.class_names),
            "test": _class_counts(data.y_test, data.class_names),
        },
        "image_shape": list(data.x_train.shape[1:]),
        "train_pixel_mean": mean,
        "train_pixel_std": std,
        "files": checksums,
    }
    write_text(info_path, json.dumps(info, indent=2) + "\n")


def _class_counts(labels: npt.NDArray[np.uint8], class_names: tuple[str, ...]) -> dict[str, int]:
    counts = np.bincount(labels, minlength=len(class_names))
    return {name: int(count) for name, count in zip(class_names, counts, strict=True)}


def load_prepared(npz_path: Path) -> PreparedDataset:
    """Read the arrays written by prepare_dataset."""
    keys = ("x_train", "y_train", "x_test", "y_test", "class_names")
    try:
        with np.load(npz_path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in keys}
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"{npz_path}: not a prepared dataset ({error})") from None
    return PreparedDataset(
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        tuple(str(name) for name in arrays["class_names"]),
    )


def split_validation(
    x: npt.NDArray[_X], y: npt.NDArray[_Y], fraction: float, method: str, seed: int
) -> tuple[npt.NDArray[_X], npt.NDArray[_Y], npt.NDArray[_X], npt.NDArray[_Y]]:
    """Split training arrays into (x_fit, y_fit, x_val, y_val).

    "stratified"/"random": sklearn train_test_split (ceil(fraction*n) validation examples);
    "head": the first round(fraction*n) are validation; "tail": the last ones, cut exactly
    where Keras' `validation_split=` cuts (at floor(n*(1-fraction))). `seed` only affects
    the shuffled methods.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise ValueError(f"validation fraction {fraction!r} invalid; accepted: 0 < fraction < 1")
    if method not in SPLIT_METHODS:
        raise ValueError(f"split method {method!r} invalid; accepted: {', '.join(SPLIT_METHODS)}")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    n = len(y)
    if method in ("stratified", "random"):
        from sklearn.model_selection import train_test_split  # lazy: see raw._load_csv

        parts: list[Any] = train_test_split(
            x,
            y,
            test_size=fraction,
            random_state=seed,
            stratify=y if method == "stratified" else None,
        )
        x_fit, x_val, y_fit, y_val = parts
        return x_fit, y_fit, x_val, y_val
    cut = round(fraction * n) if method == "head" else math.floor(n * (1.0 - fraction))
    if not 0 < cut < n:
        raise ValueError(f"validation fraction {fraction} of {n} examples leaves an empty split")
    if method == "head":
        return x[cut:], y[cut:], x[:cut], y[:cut]
    return x[:cut], y[:cut], x[cut:], y[cut:]
