"""The pose model files and their pinned downloads; found or fetched by ``sideline.vision.model_files``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sideline.errors import InvalidInput
from sideline.vision.model_files import ModelUnavailable, cache_dir, locate, model_dir, sha256_of

__all__ = ["MODELS", "ModelFile", "ModelUnavailable", "cache_dir", "model_dir", "model_path", "sha256_of"]


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


def model_path(name: str, *, download: bool = True, timeout_s: float = 60.0) -> Path:
    """Local path of model ``name`` (a key of ``MODELS``), downloading it once if allowed."""
    if name not in MODELS:
        raise InvalidInput(f"unknown pose model {name!r}; known: {', '.join(sorted(MODELS))}")
    spec = MODELS[name]
    return locate(spec.filename, spec.url, spec.sha256, download=download, timeout_s=timeout_s)
