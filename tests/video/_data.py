"""Where the shared data and models are; skip (with the reason) only when the folder is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    folder = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data"))
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder} (set SIDELINE_SHARED_DATA)")
    return folder


def shared_models() -> Path:
    folder = Path(os.environ.get("SIDELINE_MODEL_DIR", ROOT / ".." / "shared" / "models"))
    if not (folder / "nanodet.onnx").is_file():
        pytest.skip(f"model files not found in {folder} (set SIDELINE_MODEL_DIR)")
    return folder
