"""Parsing the fetched files (four IDX files, or one CSV) into checked uint8 arrays."""

from __future__ import annotations

import gzip
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from archstudy.data.registry import (
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    DatasetSpec,
    get_spec,
)
from archstudy.errors import DataError

IMAGE_SHAPE = (28, 28)
_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049


@dataclass(frozen=True)
class RawDataset:
    """Train and test images (n, 28, 28) uint8 with uint8 labels."""

    x_train: npt.NDArray[np.uint8]
    y_train: npt.NDArray[np.uint8]
    x_test: npt.NDArray[np.uint8]
    y_test: npt.NDArray[np.uint8]
    class_names: tuple[str, ...]


def load_raw(name: str, raw_dir: Path) -> RawDataset:
    """Parse the fetched files of `name` in `raw_dir` into uint8 arrays."""
    spec = get_spec(name)
    if spec.format == "csv":
        return _load_csv(spec, raw_dir)
    x_train = _read_idx(raw_dir / TRAIN_IMAGES, _IMAGES_MAGIC)
    y_train = _read_idx(raw_dir / TRAIN_LABELS, _LABELS_MAGIC)
    x_test = _read_idx(raw_dir / TEST_IMAGES, _IMAGES_MAGIC)
    y_test = _read_idx(raw_dir / TEST_LABELS, _LABELS_MAGIC)
    pairs = (
        (x_train, y_train, TRAIN_IMAGES, TRAIN_LABELS),
        (x_test, y_test, TEST_IMAGES, TEST_LABELS),
    )
    for images, labels, images_file, labels_file in pairs:
        if len(images) != len(labels):
            raise DataError(
                f"{raw_dir / images_file} has {len(images)} images but {raw_dir / labels_file}"
                f" has {len(labels)} labels; expected equal counts"
            )
        _check_labels(labels, len(spec.class_names), raw_dir / labels_file)
    return RawDataset(x_train, y_train, x_test, y_test, spec.class_names)


def _read_gzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except FileNotFoundError:
        raise DataError(f"{path}: file missing; run the fetch step first") from None
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: not a valid gzip file ({error})") from None


def _read_idx(path: Path, magic: int) -> npt.NDArray[np.uint8]:
    """Parse one IDX file: uint8 images (n, 28, 28) for magic 2051, labels (n,) for 2049."""
    data = _read_gzip(path)
    ndim = 3 if magic == _IMAGES_MAGIC else 1
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(f"{path}: {len(data)} bytes, shorter than the {header_size}-byte header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataError(f"{path}: magic number {found}, expected {magic}")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != IMAGE_SHAPE:
        raise DataError(f"{path}: images of {dims[1]}x{dims[2]}, expected 28x28")
    expected_bytes = header_size + math.prod(dims)
    if len(data) != expected_bytes:
        raise DataError(f"{path}: {len(data)} bytes, expected {expected_bytes} for shape {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims).copy()


def _check_labels(labels: npt.NDArray[np.uint8], n_classes: int, path: Path) -> None:
    if labels.size and int(labels.max()) >= n_classes:
        raise DataError(f"{path}: label {int(labels.max())}, expected 0..{n_classes - 1}")


def _load_csv(spec: DatasetSpec, raw_dir: Path) -> RawDataset:
    """Parse rows of 784 pixels then the label, and hold out a stratified test split."""
    path = raw_dir / next(iter(spec.md5))
    text = _read_gzip(path).decode("ascii", errors="replace")
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as error:
        raise DataError(f"{path}: expected rows of 785 numbers ({error})") from None
    if table.ndim != 2 or table.shape[1] != 785:
        raise DataError(f"{path}: expected rows of 785 values (784 pixels and a label)")
    if np.any(table != np.round(table)) or table.min() < 0 or table[:, :-1].max() > 255:
        raise DataError(f"{path}: expected integer pixels in 0..255")
    x = table[:, :-1].astype(np.uint8).reshape(-1, *IMAGE_SHAPE)
    y = table[:, -1].astype(np.uint8)
    _check_labels(y, len(spec.class_names), path)
    # Imported here: scikit-learn costs a second at import, and every Snakemake start imports us.
    from sklearn.model_selection import train_test_split

    # A fixed seed makes the held-out test split identical on every machine.
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=spec.test_size, stratify=y, random_state=0
    )
    return RawDataset(x_train, y_train, x_test, y_test, spec.class_names)
