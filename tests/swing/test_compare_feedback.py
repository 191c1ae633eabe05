"""Swing comparison (phase-by-phase DTW, similarity, feature vectors) and coaching cues on
synthetic swings with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sideline.analytics.swing.compare import (
    PHASES, compare_swings, dtw, feature_vector, frame_costs, nearest, swing_features,
)
from sideline.analytics.swing.feedback import coaching_cues, swing_metrics
from sideline.errors import InvalidInput
from tests.swing.synthetic import make_pose, standing_body

EVENTS = ("address", "toe_up", "mid_backswing", "top", "mid_downswing", "impact", "mid_follow_through", "finish")
# Swing progress at each event: 0 address, 1 top, 2 impact, 3 finish.
EVENT_PROGRESS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def synthetic_swing(frames_per_phase=(40, 20, 30), fps=60.0, *, lead_arm_bend_at_top=0.0, left_handed=False):
    """A face-on golfer whose hands circle the shoulders: 200 deg back, down through the ball, 200 deg through.

    Returns (pose, events). ``lead_arm_bend_at_top`` bends the lead elbow by that many degrees at the top.
    """
    progress = np.concatenate([np.linspace(p, p + 1, n, endpoint=False) for p, n in enumerate(frames_per_phase)]
                              + [[3.0]])
    times = np.arange(len(progress)) / fps
    body = standing_body(torso=100.0, shoulder_width=80.0)
    centre = (body["left_shoulder"] + body["right_shoulder"]) / 2
    hand_angle = np.radians(np.interp(progress, [0, 1, 2, 3], [0, 200, 0, -200]))
    hands = centre + 150 * np.stack([-np.sin(hand_angle), np.cos(hand_angle)], axis=1)
    # Bend grows towards the top and goes away again: the elbow leaves the shoulder-hand line.
    bend = np.radians(lead_arm_bend_at_top) * np.clip(1 - np.abs(progress - 1), 0, 1)
    mid = (body["left_shoulder"] + hands) / 2
    half = np.linalg.norm(hands - body["left_shoulder"], axis=1) / 2
    arm = hands - body["left_shoulder"]
    normal = np.stack([-arm[:, 1], arm[:, 0]], axis=1) / np.linalg.norm(arm, axis=1)[:, None]
    elbow = mid + normal * (half * np.tan(bend / 2))[:, None]
    points = {**body, "left_wrist": hands, "right_wrist": hands + [0, 5], "left_elbow": elbow,
              "right_elbow": (body["right_shoulder"] + hands) / 2,
              "left_knee": np.array([545.0, 700.0]), "right_knee": np.array([455.0, 700.0]),
              "left_ankle": np.array([550.0, 800.0]), "right_ankle": np.array([450.0, 800.0])}
    if left_handed:  # mirror about x = 500 and swap the sides
        points = {(k.replace("left", "#").replace("right", "left").replace("#", "right")):
                  np.asarray(v, float) * [-1, 1] + [1000, 0] for k, v in points.items()}
    events = {name: int(np.argmin(np.abs(progress - p))) for name, p in zip(EVENTS, EVENT_PROGRESS)}
    return make_pose(points, times), events


def features_of(pose, events, **kw):
    return swing_features(pose, events, view=kw.pop("view", "face_on"), **kw)


def naive_dtw_cost(cost: np.ndarray) -> float:
    """Textbook double-loop DTW, the independent reference for the anti-diagonal implementation."""
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    return float(acc[n, m])


def test_dtw_matches_the_textbook_recursion_and_returns_a_valid_path():
    rng = np.random.default_rng(3)
    for n, m in [(1, 1), (1, 7), (9, 4), (30, 45)]:
        cost = rng.random((n, m))
        path, total = dtw(cost)
        assert total == pytest.approx(naive_dtw_cost(cost), rel=1e-12)
        assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (n - 1, m - 1)
        steps = np.diff(path, axis=0)
        assert np.all((steps >= 0) & (steps <= 1)) and np.all(steps.sum(axis=1) >= 1)
        assert cost[path[:, 0], path[:, 1]].sum() == pytest.approx(total)


def test_a_swing_compared_with_itself_is_identical():
    pose, events = synthetic_swing()
    features = features_of(pose, events)
    result = compare_swings(features, features)
    assert result.similarity == 1.0 and result.mean_cost == 0.0
    np.testing.assert_array_equal(result.path[:, 0], result.path[:, 1])
    assert result.path[0, 0] == events["address"] and result.path[-1, 0] == events["finish"]
    assert [p.name for p in result.phases] == [name for name, _, _ in PHASES]
    for phase in result.phases:
        assert phase.similarity == 1.0 and all(v == 0.0 for v in phase.mean_differences.values())
    assert result.at_events and all(d.difference == 0.0 for d in result.at_events)


def test_a_time_stretched_copy_aligns_perfectly():
    pose, events = synthetic_swing()
    features = features_of(pose, events)
    # Every frame shown twice at twice the rate: the same motion, twice the frames.
    stretched = dataclasses.replace(
        features, timestamps=np.arange(2 * len(pose)) / 120.0, joints=np.repeat(features.joints, 2, axis=0),
        angles={k: np.repeat(v, 2) for k, v in features.angles.items()},
        events={k: 2 * v for k, v in events.items()})
    result = compare_swings(stretched, features)
    assert result.similarity == pytest.approx(1.0) and result.mean_cost == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(result.path[:, 1], result.path[:, 0] // 2)
    for phase in result.phases:
        assert phase.athlete_duration_s == pytest.approx(phase.reference_duration_s, abs=1 / 60)


def test_a_slower_backswing_sampled_anew_aligns_phase_by_phase():
    reference = features_of(*synthetic_swing((40, 20, 30)))
    slow = features_of(*synthetic_swing((80, 20, 30)))  # the same path, backswing twice as long
    result = compare_swings(slow, reference)
    assert result.similarity > 0.97
    backswing = result.phases[0]
    assert backswing.athlete_duration_s == pytest.approx(2 * backswing.reference_duration_s, rel=0.03)
    # Each athlete backswing frame maps to about half its index (within the 1-frame DTW jitter).
    mapped = result.reference_frame_for()
    back = mapped[mapped[:, 0] <= slow.events["top"]]
    assert np.max(np.abs(back[:, 1] - back[:, 0] / 2)) <= 1.0
    # The phase boundaries meet: the athlete's top is matched to the reference top.
    assert (slow.events["top"], reference.events["top"]) in set(map(tuple, result.path.tolist()))


def test_a_bent_lead_arm_shows_at_the_top_and_becomes_a_cue():
    reference = features_of(*synthetic_swing())
    bent = features_of(*synthetic_swing(lead_arm_bend_at_top=40.0))
    result = compare_swings(bent, reference)
    at_top = next(d for d in result.at_events if d.event == "top" and d.angle == "lead_arm")
    assert at_top.reference == pytest.approx(180.0, abs=0.5)
    assert at_top.difference == pytest.approx(-40.0, abs=1.0)
    assert result.phases[0].mean_differences["lead_arm"] < -5 and result.similarity < 1.0
    cues = coaching_cues(bent, result, reference=reference)
    cue = next(c for c in cues if c.code == "reference_lead_arm_top")
    assert cue.value == pytest.approx(140.0, abs=1.0) and cue.reference == pytest.approx(180.0, abs=0.5)
    assert cue.frame == bent.events["top"] and "140°" in cue.message and "180°" in cue.message
    # The absolute rule fires too (140 < 155), citing the same frame.
    assert next(c for c in cues if c.code == "lead_arm_bent").frame == bent.events["top"]
    assert not any(c.code.startswith("reference_") for c in coaching_cues(reference, compare_swings(reference, reference),
                                                                         reference=reference))


def test_a_left_hander_compares_with_the_mirror_right_hander():
    right = features_of(*synthetic_swing())
    left_pose, events = synthetic_swing(left_handed=True)
    left = features_of(left_pose, events, right_handed=False)
    result = compare_swings(left, right)
    assert result.similarity == pytest.approx(1.0) and result.mean_cost == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(feature_vector(left), feature_vector(right), atol=1e-9)


def test_views_must_match():
    pose, events = synthetic_swing()
    with pytest.raises(InvalidInput, match="down-the-line"):
        compare_swings(features_of(pose, events), features_of(pose, events, view="down_the_line"))
    with pytest.raises(InvalidInput, match="missing finish"):
        swing_features(pose, {k: v for k, v in events.items() if k != "finish"}, view="face_on")


def test_nearest_swings_rank_by_distortion():
    base = features_of(*synthetic_swing())
    library = [features_of(*synthetic_swing(lead_arm_bend_at_top=b)) for b in (60.0, 0.0, 30.0, 10.0)]
    matrix = np.stack([feature_vector(f) for f in library])
    order, distances = nearest(feature_vector(base), matrix, k=3)
    assert order.tolist() == [1, 3, 2] and distances[0] == 0.0 and np.all(np.diff(distances) > 0)
    with pytest.raises(InvalidInput):
        nearest(feature_vector(base), matrix[:, :5])


def test_tempo_cue_cites_both_phases_and_junior_wording_differs():
    # Backswing 0.62 s and downswing 0.30 s at 100 fps: 62 and 30 frames.
    pose, events = synthetic_swing((62, 30, 30), fps=100.0)
    features = features_of(pose, events)
    metrics = swing_metrics(features)
    assert metrics["tempo"] == {"backswing_s": 0.62, "downswing_s": 0.3, "ratio": 2.07}
    adult = next(c for c in coaching_cues(features) if c.code == "tempo")
    assert adult.message.startswith("Tempo 2.1:1 — backswing 0.62 s, downswing 0.30 s")
    assert "near 3:1" in adult.message and adult.severity == "fix" and adult.frame == events["top"]
    junior = next(c for c in coaching_cues(features, junior=True) if c.code == "tempo")
    assert junior.value == adult.value and junior.message != adult.message and "0.62 s" in junior.message
    good = features_of(*synthetic_swing((90, 30, 30), fps=100.0))
    assert next(c for c in coaching_cues(good) if c.code == "tempo").severity == "keep"


def test_no_cue_without_a_measurement():
    pose, events = synthetic_swing(lead_arm_bend_at_top=40.0)
    lost = pose.landmarks.copy()
    lost[:, pose.index("left_elbow")] = np.nan  # the lead elbow was never seen
    blind = features_of(dataclasses.replace(pose, landmarks=lost), events)
    assert not any(c.metric == "lead_arm" for c in coaching_cues(blind))
    assert swing_metrics(blind)["angles"]["lead_arm"]["top"] is None
    # Down the line the lead arm is not measurable: the same bent arm gives no arm cue.
    assert not any(c.metric == "lead_arm" for c in coaching_cues(features_of(pose, events, view="down_the_line")))


def test_frame_costs_ignore_missing_joints():
    a = np.zeros((1, 2, 2))
    b = np.array([[[3.0, 4.0], [np.nan, np.nan]]])
    assert frame_costs(a, b)[0, 0] == 5.0
    assert frame_costs(a, np.full((1, 2, 2), np.nan))[0, 0] == 1.0
