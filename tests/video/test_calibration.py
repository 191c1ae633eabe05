"""Homography from clicked points, checked on SoccerTrack boxes vs their pitch coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from sideline.vision.calibrate import CalibrationError, fit_homography
from tests.video._data import shared_data


def _read(path):
    lines = path.read_text().splitlines()
    teams, players, attributes = (line.split(",")[1:] for line in lines[:3])
    values = np.genfromtxt(lines[4:], delimiter=",")[:, 1:]
    return teams, players, attributes, values


@pytest.fixture(scope="module")
def soccertrack():
    folder = shared_data() / "football" / "video_ground_truth"
    teams, players, attributes, boxes = _read(folder / "sample_bbdf.csv")
    teams2, players2, attributes2, coords = _read(folder / "sample_codf.csv")
    feet, pitch = [], []
    for column in (i for i, a in enumerate(attributes) if a == "bb_left" and teams[i] != "3"):  # 3 = ball
        key = (teams[column], players[column])
        x_column = next(j for j, a in enumerate(attributes2) if a == "x" and (teams2[j], players2[j]) == key)
        left, top, width, height = boxes[:, column: column + 4].T
        feet.append(np.column_stack([left + width / 2, top + height]))
        # codf: origin at a corner, y mirrored relative to ours (centre origin, y up).
        pitch.append(np.column_stack([coords[:, x_column] - 52.5, 34 - coords[:, x_column + 1]]))
    return np.stack(feet, axis=1), np.stack(pitch, axis=1)  # [frames, players, 2]


def test_ten_clicked_players_calibrate_the_whole_clip(soccertrack):
    import cv2

    feet, pitch = soccertrack
    rng = np.random.default_rng(1)
    # Ten players clicked in the first frame, each click off by ~2 px (the image is 4K wide). Over 20
    # seeds the median error is typically 0.25 m (worst 0.64 m); six clicks give 0.58 m.
    chosen = rng.choice(feet.shape[1], 10, replace=False)
    clicks = feet[0, chosen] + rng.normal(0, 2.0, (10, 2))
    homography = fit_homography(clicks, pitch[0, chosen])
    error = np.linalg.norm(homography.to_pitch(feet.reshape(-1, 2)) - pitch.reshape(-1, 2), axis=1)
    assert np.median(error) < 0.5, np.median(error)
    # OpenCV's least-squares homography on the same clicks: ours is as accurate (the fits differ in
    # what they minimise, so compare errors, not matrices) ...
    peer, _ = cv2.findHomography(clicks, pitch[0, chosen], 0)
    theirs = cv2.perspectiveTransform(feet.reshape(-1, 1, 2), peer).reshape(-1, 2)
    assert np.median(error) <= 1.2 * np.median(np.linalg.norm(theirs - pitch.reshape(-1, 2), axis=1))
    # ... and on exact clicks both recover the mapping the ground truth was made with (to a millimetre).
    exact = fit_homography(feet[0, chosen], pitch[0, chosen])
    assert np.max(np.linalg.norm(exact.to_pitch(feet.reshape(-1, 2)) - pitch.reshape(-1, 2), axis=1)) < 1e-3
    assert np.allclose(homography.to_image(homography.to_pitch(clicks)), clicks, atol=1e-6)


def test_bad_correspondences_are_refused_with_reasons():
    square_image = np.array([[100, 100], [500, 110], [520, 400], [90, 380]], dtype=float)
    square_pitch = np.array([[-20, 10], [20, 10], [20, -10], [-20, -10]], dtype=float)
    with pytest.raises(CalibrationError, match="at least 4"):
        fit_homography(square_image[:3], square_pitch[:3])
    with pytest.raises(CalibrationError, match="one line"):
        fit_homography(np.array([[0, 0], [10, 10], [20, 20], [30, 30]], float), square_pitch)
    with pytest.raises(CalibrationError, match=r"points \[1, 2, 3\] are on one line"):
        fit_homography(np.array([[0, 0], [100, 0], [200, 0], [50, 300]], float), square_pitch)
    with pytest.raises(CalibrationError, match="fold"):
        fit_homography(square_image, square_pitch[[0, 2, 1, 3]])
    # Six points from one true mapping (a scaled, shifted pitch), the fifth mis-clicked by 10 m.
    image = np.array([[100, 100], [500, 110], [520, 400], [90, 380], [300, 250], [200, 300]], dtype=float)
    pitch = (image - [300, 250]) / 10.0
    pitch[4] += [10.0, 0.0]
    with pytest.raises(CalibrationError, match="point 5 disagrees"):
        fit_homography(image, pitch)
    with pytest.raises(CalibrationError, match="matching lists"):
        fit_homography(square_image, square_pitch[:, :1])
