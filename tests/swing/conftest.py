"""Shared fixtures for swing tests: real data and model folders, and one BlazePose run of the golf clip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", REPO / ".." / "shared" / "data")).resolve()


def models_folder() -> Path:
    return Path(os.environ.get("SIDELINE_MODEL_DIR", REPO / ".." / "shared" / "models")).resolve()


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} not found at {path} (set SIDELINE_SHARED_DATA / SIDELINE_MODEL_DIR)")
    return path


@pytest.fixture(scope="session")
def golf_clip() -> Path:
    return require(shared_data() / "video" / "golfdb_test_video.mp4")


@pytest.fixture(scope="session")
def golf_pose_progress() -> list[float]:
    """The progress fractions ``estimate_video`` reported while ``golf_pose`` ran."""
    return []


@pytest.fixture(scope="session")
def golf_pose(golf_clip, golf_pose_progress):
    """BlazePose full through the whole clip, once per session (about 5 s on 2 shared cores)."""
    require(models_folder() / "pose_landmark_full.tflite")
    from sideline.vision.pose.base import estimate_video
    from sideline.vision.pose.blazepose import BlazePose

    return estimate_video(BlazePose("full"), golf_clip, progress=golf_pose_progress.append)


@pytest.fixture(scope="session")
def tennis_pose_cache() -> dict:
    """(video, player) -> PoseSequence from the swing job's tennis pose stage, filled on first use and
    shared by the stroke evaluation and the tennis API test (each clip's pose costs 4-10 s here)."""
    require(models_folder() / "pose_landmark_full.tflite")
    require(models_folder() / "movenet-multipose.onnx")
    return {}


def tennis_pose(cache: dict, video: str, player: str):
    if (video, player) not in cache:
        from tests.swing.tennis_eval import player_pose

        cache[(video, player)] = player_pose(require(shared_data() / video), player)
    return cache[(video, player)]
