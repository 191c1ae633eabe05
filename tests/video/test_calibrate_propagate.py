"""Homography propagation for panning cameras (``sideline.vision.calibrate_propagate``).

Synthetic: a textured pitch drawing seen through a known, moving homography (pan, zoom, tilt),
with a static graphic burnt in and a camera cut; the recovered homographies must match the known
ones and the cut must be found. Real: the DFL broadcast clip, hand-calibrated at frames 0 and 168
(tests/video/labels/dfl_keyframes.json, how they were made is in the file); propagated from frame 0
only, the homography at frame 168 must land on the points marked there.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from sideline.errors import InvalidInput
from sideline.vision.calibrate import fit_homography
from sideline.vision.calibrate_propagate import (
    MotionTable, apply_homographies, estimate_motion, propagate, segmented_prefix_products,
)
from sideline.vision.pitch_drawing import PitchLayout, draw_background
from sideline.vision.pipeline import frame_homographies, project_stage
from tests.video._data import shared_data

LABELS = Path(__file__).parent / "labels" / "dfl_keyframes.json"
SIZE = (640, 360)
SCALE = 12.0  # world drawing: pixels per metre
CUT_AT, BACK_AT, N_FRAMES = 40, 45, 70


def _world() -> tuple[np.ndarray, np.ndarray]:
    """A top-down pitch (pitch_drawing) with grass texture and a crowd band; world px -> pitch m."""
    width, height = int(135 * SCALE), int(98 * SCALE)
    layout = PitchLayout(width, height, 0, SCALE, width / 2, height / 2, 105.0, 68.0)
    image = draw_background(layout, None).astype(np.float32)
    rng = np.random.default_rng(3)
    mottle = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 2.0)
    image += 14 * mottle[..., None] / mottle.std()
    crowd = cv2.resize(rng.integers(0, 255, (height // 8, width // 8, 3)).astype(np.uint8), (width, height),
                       interpolation=cv2.INTER_NEAREST).astype(np.float32)
    stands = np.zeros((height, width), bool)
    stands[: int(8 * SCALE)] = True  # above the far touchline's margin
    image[stands] = crowd[stands]
    to_pitch = np.array([[1 / SCALE, 0, -width / 2 / SCALE], [0, -1 / SCALE, height / 2 / SCALE], [0, 0, 1]])
    return np.clip(image, 0, 255).astype(np.uint8), to_pitch


def _view(t: float, jump: float = 0.0) -> np.ndarray:
    """World px -> image px at time t: a broadcast-like trapezoid that pans, zooms and tilts."""
    cx = 500 + 900 * t + jump  # pan along the pitch (world px)
    half = 260 - 60 * t  # zoom in
    top, bottom = 40 + 25 * t, 40 + 330 + 10 * t
    # The far side (top of the picture) spans more of the pitch than the near side, as seen from a stand.
    src = np.float32([[cx - 1.5 * half, top], [cx + 1.5 * half, top], [cx + half, bottom], [cx - half, bottom]])
    dst = np.float32([[0, 0], [SIZE[0], 0], [SIZE[0], SIZE[1]], [0, SIZE[1]]])
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64)


@pytest.fixture(scope="module")
def synthetic():
    world, to_pitch = _world()
    views, frames = [], []
    rng = np.random.default_rng(5)
    other = cv2.resize(rng.integers(0, 255, (12, 20, 3)).astype(np.uint8), SIZE, interpolation=cv2.INTER_NEAREST)
    logo = cv2.resize(rng.integers(0, 255, (6, 16, 3)).astype(np.uint8), (128, 48), interpolation=cv2.INTER_NEAREST)
    for i in range(N_FRAMES):
        t = i / N_FRAMES
        view = _view(t, jump=0.0 if i < BACK_AT else 150.0)  # after the cut the camera shows another spot
        views.append(view)
        if CUT_AT <= i < BACK_AT:
            image = np.roll(other, 7 * i, axis=1)  # a close-up: nothing of the pitch
        else:
            image = cv2.warpPerspective(world, view, SIZE, flags=cv2.INTER_LINEAR)
        image[SIZE[1] - 60:SIZE[1] - 12, 16:144] = logo  # a scoreboard that never moves
        frames.append(image)
    truth = np.array([to_pitch @ np.linalg.inv(v) for v in views])
    motion = estimate_motion((f, None) for f in frames)
    return motion, truth


def _error_m(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per frame: worst distance (m) between the two mappings over a grid of the picture."""
    xs, ys = np.meshgrid(np.linspace(20, SIZE[0] - 20, 6), np.linspace(20, SIZE[1] - 20, 4))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    n = len(estimate)
    a = apply_homographies(np.repeat(estimate, len(grid), 0), np.tile(grid, (n, 1)))
    b = apply_homographies(np.repeat(truth, len(grid), 0), np.tile(grid, (n, 1)))
    return np.linalg.norm(a - b, axis=1).reshape(n, -1).max(axis=1)


def test_synthetic_pan_zoom_recovered_and_cut_found(synthetic):
    motion, truth = synthetic
    # Cuts exactly where the picture changes shot (frame 0 starts the first shot).
    assert np.flatnonzero(motion.cut).tolist() == [0, CUT_AT, BACK_AT]
    pitch_frames = np.r_[1:CUT_AT, BACK_AT + 1:N_FRAMES]
    assert motion.ok[pitch_frames].all() and np.median(motion.inlier_ratio[pitch_frames]) > 0.7

    # One keyframe: the first shot follows it to within a few centimetres over 40 frames of pan
    # and zoom; nothing after the cut gets a homography.
    one = propagate(motion, {0: truth[0]}, size=SIZE)
    error = _error_m(one.matrix[:CUT_AT], truth[:CUT_AT])
    assert error.max() < 0.15, error.max()
    assert one.reliable[:CUT_AT].all() and not one.reliable[CUT_AT:].any()
    assert "cut" in one.reason[CUT_AT] and np.isnan(one.matrix[CUT_AT:]).all()
    assert not one.static
    # Without motion (the keyframe held), the first shot would be far off: the test can fail.
    assert _error_m(np.repeat(truth[:1], CUT_AT, 0), truth[:CUT_AT]).max() > 20

    # A keyframe after the cut (frame 60) brings the second shot back, backward and forward from it.
    two = propagate(motion, {0: truth[0], 60: truth[60]}, size=SIZE)
    after = np.r_[BACK_AT:N_FRAMES]
    assert two.reliable[after].all() and not two.reliable[CUT_AT:BACK_AT].any()
    assert _error_m(two.matrix[after], truth[after]).max() < 0.15
    assert two.drift_m[60] == 0 and np.all(two.drift_m[after] < 0.5)

    # Blending between keyframes: exact at both, no worse in between than either chain alone.
    both = propagate(motion, {0: truth[0], 35: truth[35]}, size=SIZE)
    np.testing.assert_allclose(both.matrix[35] / both.matrix[35, 2, 2], truth[35] / truth[35, 2, 2], atol=1e-9)
    assert _error_m(both.matrix[:CUT_AT], truth[:CUT_AT]).max() <= error.max() + 0.02
    assert 35 in both.closure_m and both.closure_m[35] < 0.15


def test_prefix_products_match_a_loop_and_respect_segments():
    rng = np.random.default_rng(0)
    steps = np.eye(3) + rng.normal(0, 0.02, (37, 3, 3))
    segment = np.repeat([0, 1, 2], [10, 20, 7])
    got = segmented_prefix_products(steps, segment)
    for i in range(37):
        start = np.flatnonzero(segment == segment[i])[0]
        expected = np.eye(3)
        for j in range(start, i + 1):
            expected = expected @ steps[j]
        np.testing.assert_allclose(got[i] / got[i, 2, 2], expected / expected[2, 2], rtol=1e-9, atol=1e-12)


def test_unreliable_frames_get_no_positions(synthetic):
    motion, truth = synthetic
    frames = pl.DataFrame({"t": np.arange(N_FRAMES) / 25.0, "frame": np.arange(N_FRAMES)})
    motion_frame = frames.hstack(pl.DataFrame(motion.to_columns()))
    image_points = [[100.0, 300.0], [540.0, 300.0], [500.0, 80.0], [140.0, 80.0]]
    pitch_points = apply_homographies(np.repeat(truth[:1], 4, 0), np.array(image_points)).tolist()
    keyframe = {"frame": 0, "image_points": image_points, "pitch_points": pitch_points,
                "matrix": fit_homography(image_points, pitch_points).matrix.tolist()}
    table, summary = frame_homographies(frames, motion_frame, [keyframe], mode="auto", size=SIZE, pitch=(105, 68))
    assert summary["mode"] == "panning" and summary["reliable_frames"] == CUT_AT
    assert summary["unreliable_spans"][0][:2] == [CUT_AT / 25.0, (N_FRAMES - 1) / 25.0]
    assert summary["cuts"] == [CUT_AT / 25.0, BACK_AT / 25.0]
    # A player standing on the centre of the picture in every frame: positions only while reliable.
    tracks = pl.DataFrame({"t": frames["t"], "frame": frames["frame"], "track_id": np.ones(N_FRAMES, np.int64),
                           "x0": np.full(N_FRAMES, 310.0), "y0": np.full(N_FRAMES, 150.0),
                           "x1": np.full(N_FRAMES, 330.0), "y1": np.full(N_FRAMES, 200.0)})
    ball = pl.DataFrame({"t": frames["t"], "frame": frames["frame"], "bx": np.full(N_FRAMES, np.nan),
                         "by": np.full(N_FRAMES, np.nan)})
    positions = project_stage(tracks, ball, table, 105.0, 68.0)
    assert positions["frame"].to_list() == list(range(CUT_AT))
    expected = apply_homographies(truth[:CUT_AT], np.tile([[320.0, 200.0]], (CUT_AT, 1)))
    np.testing.assert_allclose(positions[["x", "y"]].to_numpy(), expected, atol=0.15)
    # Fixed camera: one homography for all frames, whatever the motion says.
    fixed, summary = frame_homographies(frames, motion_frame, [keyframe], mode="fixed", size=SIZE, pitch=(105, 68))
    assert summary["mode"] == "fixed" and fixed["reliable"].all()
    with pytest.raises(InvalidInput, match="not one of the analysed frames"):
        frame_homographies(frames, motion_frame, [{**keyframe, "frame": N_FRAMES + 5}], mode="auto", size=SIZE,
                           pitch=(105, 68))


def test_a_still_camera_is_taken_as_fixed():
    rng = np.random.default_rng(1)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3)).astype(np.uint8), (0, 0), 1.5)
    frames = [(scene + rng.integers(0, 3, scene.shape).astype(np.uint8), None) for _ in range(12)]  # sensor noise
    motion = estimate_motion(frames)
    result = propagate(motion, {3: np.eye(3)}, size=(320, 240))
    assert result.static and result.reliable.all()
    moving = propagate(motion, {3: np.eye(3)}, size=(320, 240), allow_static=False)
    assert not moving.static and moving.reliable.all()


def _labels() -> dict[int, tuple[np.ndarray, np.ndarray]]:
    data = json.loads(LABELS.read_text())
    return {k["frame"]: (np.array([p["image"] for p in k["points"]]), np.array([p["pitch"] for p in k["points"]]))
            for k in data["keyframes"]}


@pytest.fixture(scope="module")
def dfl_motion() -> MotionTable:
    from sideline.vision.decode import iter_frames

    path = shared_data() / "video" / "football_dfl_08fd33_4_848x478.mp4"
    return estimate_motion((image, None) for _, _, image in iter_frames(path))


def test_dfl_broadcast_propagated_from_one_keyframe_lands_on_the_other(dfl_motion):
    labels = _labels()
    first, last = min(labels), max(labels)
    motion = dfl_motion
    assert len(motion) == last + 1 and not motion.cut[1:].any() and motion.ok[1:].all()
    start = fit_homography(*labels[first]).matrix
    result = propagate(motion, {first: start}, size=(848, 478))
    assert not result.static and result.reliable.all()
    image, pitch = labels[last]
    h = result.matrix[last]
    metres = np.linalg.norm(apply_homographies(np.repeat(h[None], len(image), 0), image) - pitch, axis=1)
    pixels = np.linalg.norm(apply_homographies(np.repeat(np.linalg.inv(h)[None], len(pitch), 0), pitch) - image, axis=1)
    print(f"\nDFL frame {first} -> {last}: error at the {len(image)} marked points "
          f"median {np.median(metres):.2f} m (max {metres.max():.2f}), median {np.median(pixels):.1f} px (max {pixels.max():.1f})")
    # 168 frames of pan and 1.7x zoom: the marked points are found within about a metre (the
    # labels themselves are good to ~0.3 m here; docs/video.md has the figures).
    assert np.median(metres) < 0.75 and metres.max() < 1.5
    held = np.linalg.norm(apply_homographies(np.repeat(start[None], len(image), 0), image) - pitch, axis=1)
    assert np.median(held) > 10  # the camera really moved: frame 0's homography is useless here
    # With both keyframes the closure error is measured and every frame stays reliable.
    both = propagate(motion, {first: start, last: fit_homography(*labels[last]).matrix}, size=(848, 478))
    assert both.reliable.all() and 0 < both.closure_m[last] < 1.5
    # Half-way between the keyframes the drift says at least half the closure error.
    assert both.drift_m[(first + last) // 2] >= both.closure_m[last] / 2 - 1e-9


def test_box_cover_matches_painting_each_box():
    from sideline.vision.calibrate_propagate import box_cover

    rng = np.random.default_rng(4)
    lo = rng.integers(-5, 85, (30, 2))
    hi = lo + rng.integers(-3, 25, (30, 2))  # some empty, some past the edges
    expected = np.zeros((50, 80), bool)
    for (x0, y0), (x1, y1) in zip(np.clip(lo, 0, None), np.clip(hi, 0, None)):
        expected[y0:y1, x0:x1] = True
    np.testing.assert_array_equal(box_cover(lo, hi, (50, 80)), expected)
