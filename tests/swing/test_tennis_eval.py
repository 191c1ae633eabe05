"""Tennis strokes of the real clips against the hand labels (tests/swing/labels/tennis_*.json).

The thresholds are the figures reached when this was written (docs/swing.md). They are optimistic:
the rules were developed on these two clips, which hold three labelled strokes between them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.swing.conftest import shared_data, tennis_pose
from tests.swing.tennis_eval import Score, evaluate, label_files, match


def test_matching_uses_each_label_once_nearest_first():
    detected = [(1.0, "serve"), (1.1, "serve"), (3.0, "forehand")]
    labelled = [(1.05, "serve"), (2.0, "backhand")]
    assert match(detected, labelled, 0.25) == [(0, 0)]  # 1.0 and 1.1 are equally near: the first wins
    assert match([(1.12, "serve"), (1.0, "serve")], labelled, 0.25) == [(1, 0)]
    assert match(detected, labelled, 0.01) == []


@pytest.fixture(scope="module")
def scores(tennis_pose_cache):
    for label in label_files():
        for player in label["players"]:
            tennis_pose(tennis_pose_cache, label["video"], player)
    return evaluate(shared_data(), poses=tennis_pose_cache)


def test_label_files_are_complete():
    files = label_files()
    assert {f["video"] for f in files} == {"video/tennis_atp_rally_artlabss_input3.mp4",
                                           "video/tennis_serve_from_behind.mp4"}
    for f in files:
        assert f["tolerance_s"] == 0.25 and f["how_labelled"]["method"]
        for player in f["players"].values():
            assert player["handedness"] in ("left", "right")
            for stroke in player["strokes"]:
                assert stroke["type"] in ("forehand", "backhand", "serve", "volley")
                assert stroke["contact_s"] == pytest.approx(stroke["contact_frame"] / f["fps"], abs=0.002)


def test_strokes_of_the_main_player_of_each_clip(scores):
    main = Score()
    for (file, player), score in scores.items():
        if player != "far":
            main.add(score)
    # 2 labelled serves (near player of the rally, the practice serve), no other stroke in either clip.
    assert (main.labelled, main.detected, main.matched) == (2, 2, 2)
    assert main.precision == 1.0 and main.recall == 1.0 and main.accuracy == 1.0
    assert max(abs(e) for e in main.timing_errors) <= 0.05  # within 1.5 frames of the labelled contact
    assert main.handedness_right == 2


def test_far_player_of_the_broadcast(scores, tennis_pose_cache):
    pose = tennis_pose(tennis_pose_cache, "video/tennis_atp_rally_artlabss_input3.mp4", "far")
    near = tennis_pose(tennis_pose_cache, "video/tennis_atp_rally_artlabss_input3.mp4", "near")
    far_feet = np.nanmax(pose.landmarks[:, [pose.index("left_ankle"), pose.index("right_ankle")], 1], axis=1)
    near_head = near.landmarks[:, near.index("nose"), 1]
    assert (pose.confidence > 0).mean() > 0.9 and np.nanmax(far_feet - near_head) < 0  # always the other end
    score = scores[("tennis_atp_rally_artlabss_input3.json", "far")]
    # Nadal's return (a two-handed backhand) is found and typed; at ~70 px tall his pose is rough and
    # one more peak is taken for a stroke, and his left hand is not detected (docs/swing.md).
    assert (score.labelled, score.matched, score.typed_right) == (1, 1, 1)
    assert score.precision >= 0.5
