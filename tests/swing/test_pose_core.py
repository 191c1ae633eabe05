"""PoseSequence validation, gap filling and One-Euro smoothing; model-file lookup and offline failure."""

from __future__ import annotations

import numpy as np
import pytest

from sideline.core.pose import fill_gaps, smooth
from sideline.errors import InvalidInput
from sideline.vision.pose import models
from tests.swing.synthetic import make_pose


def moving_wrist(times):
    return make_pose({"left_wrist": np.stack([100 + 50 * times, 200 + 0 * times], 1)}, times)


def test_invalid_shapes_and_times_are_rejected():
    pose = moving_wrist(np.arange(5) / 30)
    with pytest.raises(InvalidInput, match="strictly increasing"):
        type(pose)(**{**pose.__dict__, "timestamps": pose.timestamps[::-1].copy()})
    with pytest.raises(InvalidInput, match="visibility"):
        type(pose)(**{**pose.__dict__, "visibility": pose.visibility[:, :3]})
    with pytest.raises(InvalidInput, match="not in this pose topology"):
        pose.xy("left_club_head")


def test_short_gaps_are_interpolated_on_timestamps_long_ones_left():
    times = np.array([0.0, 0.1, 0.15, 0.2, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1])  # uneven spacing
    pose = moving_wrist(times)
    landmarks, confidence = pose.landmarks.copy(), pose.confidence.copy()
    landmarks[1] = np.nan  # good neighbours at 0.0 and 0.15 s: a 0.15 s gap, filled
    landmarks[[4, 5, 6]] = np.nan  # good neighbours at 0.2 and 0.8 s: a 0.6 s gap, left empty
    confidence[10] = 0.0  # nobody found in the last frame: nothing to interpolate towards
    pose = type(pose)(**{**pose.__dict__, "landmarks": landmarks, "confidence": confidence})
    wrist = fill_gaps(pose, max_gap_s=0.3).xy("left_wrist")
    assert wrist[1, 0] == pytest.approx(100 + 50 * 0.1)  # linear in time, not in index
    assert np.isnan(wrist[[4, 5, 6], 0]).all()
    assert np.isnan(wrist[10, 0])  # never extrapolated
    assert fill_gaps(pose, max_gap_s=0.7).xy("left_wrist")[5, 0] == pytest.approx(100 + 50 * 0.6)


def test_one_euro_removes_jitter_and_keeps_up_with_motion():
    rng = np.random.default_rng(0)
    times = np.arange(300) / 60.0
    clean = 300 + 100 * np.sin(2 * np.pi * 0.5 * times)
    noisy = clean + rng.normal(0, 3, len(times))
    pose = make_pose({"left_wrist": np.stack([noisy, np.full(len(times), 200.0)], 1)}, times)
    smoothed = smooth(pose).xy("left_wrist")[:, 0]
    error_raw = np.abs(noisy - clean)[30:-30].mean()
    error_smooth = np.abs(smoothed - clean)[30:-30].mean()
    assert error_smooth < 0.7 * error_raw  # jitter reduced
    assert np.abs(smoothed - clean)[30:-30].max() < np.abs(noisy - clean)[30:-30].max()
    # The live (causal) filter lags the 0.5 Hz, 100 px swing; the two-way default does not.
    causal = smooth(pose, causal=True).xy("left_wrist")[:, 0]
    assert np.abs(causal - clean)[30:-30].mean() > 1.5 * error_smooth


def test_model_lookup_prefers_the_model_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(tmp_path))
    (tmp_path / "pose_detection.tflite").write_bytes(b"x")
    assert models.model_path("pose_detection") == tmp_path / "pose_detection.tflite"
    with pytest.raises(InvalidInput, match="unknown pose model"):
        models.model_path("pose_landmark_giant")


def test_offline_download_fails_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("SIDELINE_MODEL_CACHE", str(tmp_path / "cache"))
    spec = models.MODELS["pose_landmark_lite"]
    monkeypatch.setitem(models.MODELS, "pose_landmark_lite", models.ModelFile(spec.filename, spec.sha256, "http://127.0.0.1:9/x.tflite"))
    with pytest.raises(models.ModelUnavailable, match="pose_landmark_lite.tflite.*offline"):
        models.model_path("pose_landmark_lite", timeout_s=2)
    with pytest.raises(models.ModelUnavailable, match="movenet-multipose.onnx.*no public download"):
        models.model_path("movenet_multipose")
    assert not list((tmp_path / "cache").glob("*"))  # nothing half-written left behind


def test_download_is_checked_against_the_pinned_hash(tmp_path, monkeypatch):
    source = tmp_path / "served.tflite"
    source.write_bytes(b"tampered model")
    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("SIDELINE_MODEL_CACHE", str(tmp_path / "cache"))
    good = models.ModelFile("m.tflite", models.sha256_of(source), source.as_uri())
    monkeypatch.setitem(models.MODELS, "m", good)
    assert models.model_path("m").read_bytes() == b"tampered model"  # matching hash: cached
    monkeypatch.setitem(models.MODELS, "bad", models.ModelFile("b.tflite", "0" * 64, source.as_uri()))
    with pytest.raises(models.ModelUnavailable, match="SHA-256"):
        models.model_path("bad")
    assert not (tmp_path / "cache" / "b.tflite").exists()
