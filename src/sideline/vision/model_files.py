"""Where model files come from (pose and detection alike): a local folder first, else download
once from a pinned URL, verify, cache.

``SIDELINE_MODEL_DIR`` (default ``../shared/models`` next to the repository) holds files for
offline use (tests, air-gapped installs). A file not found there or in ``SIDELINE_MODEL_CACHE``
(default ``~/.cache/sideline/models``) is downloaded into the cache, checked against its SHA-256
(and size when known) and renamed into place, so a half-written file is never used. Offline with
nothing cached is a clear error naming the file, not a traceback.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

from sideline.errors import InvalidInput

REPO_ROOT = Path(__file__).resolve().parents[3]


class ModelUnavailable(InvalidInput):
    status_code = 503
    code = "model_unavailable"


def model_dir() -> Path:
    return Path(os.environ.get("SIDELINE_MODEL_DIR", REPO_ROOT / ".." / "shared" / "models")).resolve()


def cache_dir() -> Path:
    return Path(os.environ.get("SIDELINE_MODEL_CACHE", Path.home() / ".cache" / "sideline" / "models"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate(filename: str, url: str | None, sha256: str | None, *, size: int | None = None,
           download: bool = True, timeout_s: float = 60.0) -> Path:
    """Local path of a model file, downloading it once when it has a pinned URL and checksum."""
    for folder in (model_dir(), cache_dir()):
        candidate = folder / filename
        if candidate.is_file():
            if sha256 and folder == cache_dir() and sha256_of(candidate) != sha256:
                candidate.unlink()  # a corrupt or tampered cache entry: fetch again below
                continue
            return candidate
    if url is None or sha256 is None:
        raise ModelUnavailable(f"model file {filename!r} not found in SIDELINE_MODEL_DIR ({model_dir()}) or the "
                               f"cache ({cache_dir()}); it has no public download: copy it there")
    if not download:
        raise ModelUnavailable(f"model file {filename!r} is not in {model_dir()} or {cache_dir()}, "
                               "and downloading is disabled")
    return _download(filename, url, sha256, size, timeout_s)


def _download(filename: str, url: str, sha256: str, size: int | None, timeout_s: float) -> Path:
    target = cache_dir() / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(dir=target.parent, suffix=".part")
    partial = Path(partial_name)
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response, os.fdopen(handle, "wb") as out:  # noqa: S310
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
        except OSError as exc:
            raise ModelUnavailable(
                f"model file {filename!r} is not in SIDELINE_MODEL_DIR ({model_dir()}) and could not be downloaded "
                f"from {url} ({exc.__class__.__name__}); are you offline? Put the file in that folder.") from None
        if size is not None and partial.stat().st_size != size:
            raise ModelUnavailable(f"downloaded {filename!r} has {partial.stat().st_size} bytes, expected {size}; not used")
        actual = sha256_of(partial)
        if actual != sha256:
            raise ModelUnavailable(f"downloaded {filename!r} has SHA-256 {actual}, expected {sha256}; not used")
        partial.replace(target)  # atomic: concurrent workers never see a half-written model
    finally:
        partial.unlink(missing_ok=True)
    return target
