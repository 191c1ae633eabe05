"""Find pose model files: a local model folder first, then a per-user cache filled once online.

Order: ``$SIDELINE_MODEL_DIR`` (default ``../shared/models`` next to the repository) ->
``$SIDELINE_MODEL_CACHE`` (default ``~/.cache/sideline/models``) -> download into that cache
(checked against the pinned SHA-256). Offline machines get a clear error naming the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sideline.errors import InvalidInput

REPO_ROOT = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class ModelFile:
    filename: str
    sha256: str
    url: str | None  # None: no public single-file download; the user must provide the file


_MP_POSE_NPM = "https://cdn.jsdelivr.net/npm/@mediapipe/pose@0.5.1675469404"
_MP_ASSETS = "https://storage.googleapis.com/mediapipe-assets"

MODELS: dict[str, ModelFile] = {
    "pose_detection": ModelFile(
        "pose_detection.tflite", "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        f"{_MP_ASSETS}/pose_detection.tflite"),
    "pose_landmark_lite": ModelFile(
        "pose_landmark_lite.tflite", "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
        f"{_MP_POSE_NPM}/pose_landmark_lite.tflite"),
    "pose_landmark_full": ModelFile(
        "pose_landmark_full.tflite", "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        f"{_MP_ASSETS}/pose_landmark_full.tflite"),
    "pose_landmark_heavy": ModelFile(
        "pose_landmark_heavy.tflite", "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
        f"{_MP_POSE_NPM}/pose_landmark_heavy.tflite"),
    # Converted locally from TF.js to ONNX (see the model folder's README): no upstream URL.
    "movenet_multipose": ModelFile(
        "movenet-multipose.onnx", "1668d5451e52315a79f8a0050ad69f83f15306bf1ded2b6ae664f5c08561efc2", None),
}


class ModelUnavailable(InvalidInput):
    status_code = 503
    code = "model_unavailable"


def model_dir() -> Path:
    return Path(os.environ.get("SIDELINE_MODEL_DIR", REPO_ROOT / ".." / "shared" / "models")).resolve()


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "sideline" / "models"
    return Path(os.environ.get("SIDELINE_MODEL_CACHE", default))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(name: str, *, download: bool = True, timeout_s: float = 60.0) -> Path:
    """Local path of model ``name`` (a key of ``MODELS``), downloading it once if allowed."""
    if name not in MODELS:
        raise InvalidInput(f"unknown pose model {name!r}; known: {', '.join(sorted(MODELS))}")
    spec = MODELS[name]
    for folder in (model_dir(), cache_dir()):
        candidate = folder / spec.filename
        if candidate.is_file():
            return candidate
    if spec.url is None or not download:
        raise ModelUnavailable(
            f"model file {spec.filename!r} not found in SIDELINE_MODEL_DIR ({model_dir()}) or the cache "
            f"({cache_dir()})" + ("; it has no public download: copy it there" if spec.url is None else "; downloading is disabled"))
    return _download(spec, timeout_s)


def _download(spec: ModelFile, timeout_s: float) -> Path:
    target = cache_dir() / spec.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(spec.url, timeout=timeout_s) as response, tempfile.NamedTemporaryFile(
            dir=target.parent, delete=False, suffix=".part"
        ) as tmp:
            for block in iter(lambda: response.read(1 << 20), b""):
                tmp.write(block)
    except OSError as exc:
        raise ModelUnavailable(
            f"model file {spec.filename!r} is not in SIDELINE_MODEL_DIR ({model_dir()}) and could not be "
            f"downloaded from {spec.url} ({exc.__class__.__name__}); are you offline? Put the file in that folder."
        ) from None
    tmp_path = Path(tmp.name)
    actual = _sha256(tmp_path)
    if actual != spec.sha256:
        tmp_path.unlink(missing_ok=True)
        raise ModelUnavailable(f"downloaded {spec.filename!r} has SHA-256 {actual}, expected {spec.sha256}; not used")
    tmp_path.replace(target)  # atomic: concurrent workers never see a half-written model
    return target
