"""Angles, tempo, camera view and event rules on synthetic poses with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sideline.analytics.swing import angles
from sideline.analytics.swing.golf_events import SwingEvent, detect_golf_events, pce
from sideline.analytics.swing.tempo import swing_tempo
from sideline.analytics.swing.views import detect_view
from sideline.errors import InvalidInput
from tests.swing.synthetic import make_pose, standing_body

DEG = np.pi / 180


def rotate(vector, degrees):
    a = degrees * DEG
    return np.array([np.cos(a) * vector[0] - np.sin(a) * vector[1], np.sin(a) * vector[0] + np.cos(a) * vector[1]])


def test_spine_tilt_matches_the_constructed_lean():
    leans = np.array([0.0, 10.0, -20.0, 35.0])
    hips = np.array([500.0, 600.0])
    shoulders = np.array([hips + 100 * np.array([np.sin(a * DEG), -np.cos(a * DEG)]) for a in leans])
    pose = make_pose({"left_hip": hips + [10, 0], "right_hip": hips - [10, 0],
                      "left_shoulder": shoulders + [5, 0], "right_shoulder": shoulders - [5, 0]}, np.arange(4) / 30)
    np.testing.assert_allclose(angles.spine_tilt(pose), leans, atol=1e-9)


@pytest.mark.parametrize("elbow_bend", [0.0, 15.0, 90.0])
def test_lead_arm_angle_and_knee_flex(elbow_bend):
    shoulder, elbow = np.array([300.0, 300.0]), np.array([300.0, 400.0])
    wrist = elbow + rotate(np.array([0.0, 100.0]), elbow_bend)
    hip, knee = np.array([300.0, 600.0]), np.array([330.0, 700.0])
    ankle = knee + rotate((knee - hip) / np.linalg.norm(knee - hip) * 100, elbow_bend)
    pose = make_pose({"left_shoulder": shoulder, "left_elbow": elbow, "left_wrist": wrist,
                      "right_hip": hip, "right_knee": knee, "right_ankle": ankle}, np.arange(2) / 30)
    np.testing.assert_allclose(angles.lead_arm_angle(pose, "left"), 180 - elbow_bend, atol=1e-6)
    np.testing.assert_allclose(angles.knee_flex(pose, "right"), elbow_bend, atol=1e-6)
    with pytest.raises(InvalidInput, match="lead_side"):
        angles.lead_arm_angle(pose, "both")


def test_turn_proxies_invert_the_projected_width():
    turns = np.array([0.0, 30.0, 60.0, 90.0])
    half = 40 * np.cos(turns * DEG)
    pose = make_pose({"left_shoulder": np.stack([500 + half, np.full(4, 500)], 1),
                      "right_shoulder": np.stack([500 - half, np.full(4, 500)], 1),
                      "left_hip": np.stack([500 + half / 2, np.full(4, 600)], 1),
                      "right_hip": np.stack([500 - half / 2, np.full(4, 600)], 1)}, np.arange(4) / 30)
    np.testing.assert_allclose(angles.shoulder_turn(pose), turns, atol=1e-6)
    np.testing.assert_allclose(angles.hip_turn(pose), turns, atol=1e-6)


def test_head_sway_in_torso_lengths():
    body = standing_body(torso=100)
    shift = np.array([[0, 0], [10, 0], [-25, 5]], float)
    points = dict(body, nose=body["nose"] + shift, left_ear=body["left_ear"] + shift, right_ear=body["right_ear"] + shift)
    sway = angles.head_sway(make_pose(points, np.arange(3) / 30))
    np.testing.assert_allclose(sway, shift / 100, atol=1e-9)


def test_tempo_ratio_and_slow_motion_scaling():
    events = [SwingEvent("address", 0, 1.0, 1), SwingEvent("top", 0, 1.75, 1), SwingEvent("impact", 0, 2.0, 1)]
    tempo = swing_tempo(events)
    assert tempo.ratio == pytest.approx(3.0) and tempo.backswing_s == pytest.approx(0.75) and tempo.label() == "3.0:1"
    slow = swing_tempo({"address": 0.0, "top": 3.0, "impact": 4.0}, playback_speed=0.25)
    assert (slow.backswing_s, slow.downswing_s, slow.ratio) == pytest.approx((0.75, 0.25, 3.0))
    with pytest.raises(InvalidInput, match="out of order"):
        swing_tempo({"address": 2.0, "top": 1.0, "impact": 3.0})


def test_view_and_handedness():
    body = standing_body(torso=100, shoulder_width=80)
    assert detect_view(make_pose(body, np.arange(3) / 30)).view == "face_on"
    side_on = dict(body, left_shoulder=np.array([505.0, 500.0]), right_shoulder=np.array([495.0, 500.0]),
                   nose=np.array([540.0, 470.0]))
    view = detect_view(make_pose(side_on, np.arange(3) / 30))
    assert (view.view, view.right_handed, view.lead_side) == ("down_the_line", True, "left")


def synthetic_swing():
    """Hands height profile (torso lengths above the hips) with events placed by construction."""
    knots_t = [0, 30, 60, 64, 74, 76, 96, 150, 170, 180]
    knots_h = [-0.2, -0.2, 1.2, 1.2, -0.2, -0.2, 1.5, 1.5, 0.5, 0.5]
    frames = np.arange(181)
    height = np.interp(frames, knots_t, knots_h)
    # Make the top and impact unique points (a real swing has no flat top): tiny bumps.
    height[62] += 0.01
    height[75] -= 0.01
    hands = np.stack([np.full(len(frames), 500.0), 600 - 100 * height], 1)
    body = standing_body(torso=100)
    return make_pose(dict(body, left_wrist=hands, right_wrist=hands), frames / 30.0)


def test_event_rules_on_a_constructed_swing():
    events = {e.name: e.frame for e in detect_golf_events(synthetic_swing())}
    # address: last frame at the lowest point before the rise; top (h 1.21) and impact at the bumps.
    # Levels: toe-up -0.2 + 0.1 x 1.41 = -0.059 and halfway 0.505, on a rise of 1.4 / 30 per frame
    # -> first frames at or above: 30 + 3.02 -> 34 and 30 + 15.1 -> 46; mid-downswing falls 0.14
    # per frame from 1.2 at 64 -> 64 + 4.96 -> 69; mid-follow-through rises 0.085 per frame from
    # -0.2 at 76 -> 76 + 8.3 -> 85; finish: last still frame before the hands drop (150).
    assert events == {"address": 30, "toe_up": 34, "mid_backswing": 46, "top": 62, "mid_downswing": 69,
                      "impact": 75, "mid_follow_through": 85, "finish": 150}


def test_no_swing_is_reported_clearly():
    still = make_pose(standing_body(), np.arange(20) / 30)
    with pytest.raises(InvalidInput, match="no golf swing"):
        detect_golf_events(still)


def test_pce_tolerance_follows_golfdb():
    labels = {"address": 0, "toe_up": 10, "mid_backswing": 20, "top": 40, "mid_downswing": 50, "impact": 60,
              "mid_follow_through": 70, "finish": 120}
    predicted = dict(labels, toe_up=12, top=43, finish=100)  # tolerance round(60 / 30) = 2
    assert pce(predicted, labels) == (6 / 8, 2)
