"""Verified downloads: each file from the first source whose bytes match the registry's MD5."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import importlib.util
import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from archstudy.atomic import atomic_path, write_text
from archstudy.data.registry import MANIFEST_NAME, DatasetSpec, get_spec
from archstudy.errors import DataError

SOCKET_TIMEOUT_SECONDS = 60.0
_LOCAL_HOSTS = ("127.0.0.1", "localhost")


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


def fetch_dataset(
    name: str,
    raw_dir: Path,
    mirrors: Sequence[str] = (),
    local_dir: Path | str | None = None,
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
    local_dir = Path(local_dir) if local_dir else None  # the config's null or "": none
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
