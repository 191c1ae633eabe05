"""Tennis strokes on synthetic players with known answers (tests/swing/tennis_synthetic.py):
detection and contact time, type, handedness, camera view, stance, trunk rotation, speed, and the
multi-person player choice; plus the tennis cues."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sideline.analytics.swing.tennis import (
    STANCE_LIMITS,
    TennisView,
    analyse_strokes,
    detect_handedness,
    detect_tennis_view,
    stroke_peaks,
)
from sideline.errors import InvalidInput
from tests.swing import tennis_synthetic as ts

FPS = 60
T = np.arange(0, 2.2, 1 / FPS)


def one(stroke, **kw):
    pose = ts.project(stroke(T), T, **{"elevation_deg": 20.0, **kw})
    return pose


@pytest.mark.parametrize("right_handed", [True, False])
@pytest.mark.parametrize("view", ["behind", "front", "side"])
@pytest.mark.parametrize("maker, kind", [(ts.forehand, "forehand"), (ts.serve, "serve"), (ts.volley, "volley"),
                                         (lambda t: ts.backhand(t, two_handed=False), "backhand")])
def test_each_stroke_type_is_found_at_contact_and_classified(maker, kind, view, right_handed):
    analysis = analyse_strokes(one(maker, view=view, right_handed=right_handed))
    assert analysis.right_handed is right_handed and analysis.handedness_detected
    assert [s.type for s in analysis.strokes] == [kind], [s.reasons for s in analysis.strokes]
    stroke = analysis.strokes[0]
    assert stroke.time_s == pytest.approx(1.0, abs=1.5 / FPS)  # contact = the constructed speed peak (serve: top)
    assert analysis.counts() == {k: int(k == kind) for k in ("forehand", "backhand", "serve", "volley")}
    assert stroke.reasons and stroke.confidence == 1.0


def test_two_handed_backhand_needs_the_hand_given_and_is_flagged():
    for right_handed in (True, False):
        pose = one(ts.backhand, view="behind", right_handed=right_handed)
        analysis = analyse_strokes(pose, right_handed=right_handed)
        assert [s.type for s in analysis.strokes] == ["backhand"] and analysis.strokes[0].two_handed
        assert not analysis.handedness_detected
    # Both wrists move together, so the speed cannot tell the hands apart; the forehand can.
    assert detect_handedness(one(ts.forehand, right_handed=False)) is False
    assert detect_handedness(one(ts.forehand, right_handed=True)) is True


def test_camera_view():
    assert detect_tennis_view(one(ts.forehand, view="behind")).view == "behind"
    assert detect_tennis_view(one(ts.forehand, view="front")).view == "front"
    side = detect_tennis_view(one(ts.forehand, view="side"))
    assert (side.view, side.facing) == ("side", 1)
    # The same side view seen from the player's other side: they face image -x.
    pose = one(ts.forehand, view="side")
    mirrored = pose.landmarks.copy()
    mirrored[..., 0] = 1280 - mirrored[..., 0]
    flipped = detect_tennis_view(replace(pose, landmarks=mirrored))
    assert (flipped.view, flipped.facing) == ("side", -1)
    # Unit vectors: the player's right is forward turned clockwise (seen from above).
    assert TennisView("behind", 1.0).right_xz().tolist() == [1.0, 0.0]
    assert TennisView("front", 1.0).right_xz().tolist() == [-1.0, 0.0]
    assert TennisView("side", 0.1, facing=1).right_xz().tolist() == [0.0, -1.0]


@pytest.mark.parametrize("stance_deg, expected", [(0.0, "open"), (60.0, "neutral"), (90.0, "closed"), (120.0, "closed")])
def test_stance_from_the_feet_line_seen_from_behind(stance_deg, expected):
    elevation = 30.0
    pose = ts.project(ts.forehand(T, stance_deg=stance_deg), T, view="behind", elevation_deg=elevation)
    stroke = analyse_strokes(pose).strokes[0]
    # In the picture depth shrinks by sin(elevation): the known answer of the 2D proxy.
    a = np.radians(stance_deg)
    seen = np.degrees(np.arctan2(np.sin(np.radians(elevation)) * np.sin(a), np.cos(a)))
    assert stroke.stance_angle_deg == pytest.approx(seen, abs=0.5)
    assert stroke.stance == expected
    assert STANCE_LIMITS[0] < 40.9 < STANCE_LIMITS[1]  # 60 deg seen at 30 deg elevation reads neutral


def test_stance_of_a_left_handers_backhand_and_a_serve_has_none():
    pose = ts.project(ts.backhand(T, stance_deg=0.0, two_handed=False), T, view="front", right_handed=False,
                      elevation_deg=30.0)
    stroke = analyse_strokes(pose).strokes[0]
    assert (stroke.type, stroke.stance) == ("backhand", "open") and stroke.stance_angle_deg == pytest.approx(0, abs=0.5)
    assert analyse_strokes(one(ts.serve)).strokes[0].stance is None


@pytest.mark.parametrize("coil", [30.0, 60.0, 85.0])
def test_trunk_rotation_with_depth_and_from_the_projected_width(coil):
    pose = ts.project(ts.forehand(T, coil_deg=coil), T, view="behind", elevation_deg=0.0)
    stroke = analyse_strokes(pose).strokes[0]
    assert stroke.rotation_method == "depth" and stroke.trunk_rotation_deg == pytest.approx(coil, abs=0.5)
    assert pose.timestamps[stroke.coil_frame] == pytest.approx(1.0 - 0.15, abs=1.5 / FPS)  # end of the backswing
    flat = ts.project(ts.forehand(T, coil_deg=coil), T, view="behind", elevation_deg=0.0, with_depth=False)
    no_depth = analyse_strokes(flat).strokes[0]
    assert no_depth.rotation_method == "width" and no_depth.trunk_rotation_deg == pytest.approx(coil, abs=1.0)


def test_depth_is_rescaled_to_the_image_scale():
    pose = ts.project(ts.forehand(T), T, view="behind", elevation_deg=0.0)
    inflated = pose.landmarks.copy()
    inflated[..., 2] *= 4.0  # BlazePose's depth runs about 4x the image scale on the test clips
    analysis = analyse_strokes(replace(pose, landmarks=inflated))
    assert analysis.depth_scale == pytest.approx(0.25, rel=1e-6)
    assert analysis.strokes[0].trunk_rotation_deg == pytest.approx(60.0, abs=0.5)


def test_speed_in_torso_lengths_and_metres_any_size_any_playback():
    pose = ts.project(ts.forehand(T), T, view="behind", elevation_deg=0.0)
    # Minimum-jerk peak = 1.875 x distance / duration; the image path is (1.4, 0.5) torso in 0.3 s.
    expected = 1.875 * np.hypot(1.4, 0.5) / 0.3
    stroke = analyse_strokes(pose).strokes[0]
    assert stroke.speed_torso_s == pytest.approx(expected, rel=0.02) and stroke.speed_m_s is None
    assert analyse_strokes(pose, metres_per_torso=0.5).strokes[0].speed_m_s == pytest.approx(0.5 * stroke.speed_torso_s)
    small = pose.landmarks.copy()
    small[..., :2] = 100 + 0.25 * small[..., :2]  # the same player four times further away
    small[..., 2] *= 0.25
    assert analyse_strokes(replace(pose, landmarks=small)).strokes[0].speed_torso_s == pytest.approx(stroke.speed_torso_s)
    slow = analyse_strokes(pose, playback_speed=0.25).strokes[0]  # a 4x slow-motion clip: real speed is 4x
    assert slow.speed_torso_s == pytest.approx(4 * stroke.speed_torso_s) and slow.swing_time_s == pytest.approx(
        stroke.swing_time_s / 4)
    with pytest.raises(InvalidInput, match="metres per torso"):
        analyse_strokes(pose, metres_per_torso=3.0)


def test_a_rally_is_split_into_strokes_and_counted_on_uneven_timestamps():
    t = np.arange(0, 9.5, 1 / 30)
    t = t + np.random.default_rng(1).uniform(-0.004, 0.004, len(t))  # variable frame rate
    # Each stroke starts from and returns to the ready position inside its own part.
    rally = ts.combine(t, [(0.0, 2.1, ts.forehand(t, contact=1.0)),
                           (2.1, 4.1, ts.backhand(t, contact=3.0, two_handed=False)),
                           (4.1, 6.0, ts.volley(t, contact=5.0)),
                           (6.0, 9.5, ts.serve(t, contact=7.5))])
    pose = ts.project(rally, t, view="behind", elevation_deg=20.0)
    analysis = analyse_strokes(pose, right_handed=True)
    assert [s.type for s in analysis.strokes] == ["forehand", "backhand", "volley", "serve"]
    assert [s.time_s for s in analysis.strokes] == pytest.approx([1.0, 3.0, 5.0, 7.5], abs=0.04)
    assert [s.index for s in analysis.strokes] == [1, 2, 3, 4]
    assert analysis.counts() == {"forehand": 1, "backhand": 1, "serve": 1, "volley": 1}


def test_walking_and_swings_cut_by_the_clip_are_not_strokes():
    assert analyse_strokes(one(ts.walking)).strokes == []
    cut = T[T < 1.02]  # the clip ends as the racket meets the ball
    pose = ts.project(ts.forehand(cut), cut, view="behind", elevation_deg=20.0)
    assert analyse_strokes(pose).strokes == []
    speed = np.array([0, 1, 7, 1, 0, 8, 9, 1, 0], float)
    times = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    assert stroke_peaks(times, speed) == [6]  # 0.4 s apart: the faster peak wins


def test_tennis_cues_cite_their_measurements():
    from sideline.analytics.swing.feedback import tennis_cues

    t = np.arange(0, 6.5, 1 / 60)
    rally = ts.combine(t, [(0.0, 2.1, ts.forehand(t, contact=1.0, coil_deg=70)),
                           (2.1, 4.1, ts.forehand(t, contact=3.0, coil_deg=72)),
                           (4.1, 6.5, ts.forehand(t, contact=5.0, coil_deg=25))])
    analysis = analyse_strokes(ts.project(rally, t, view="behind", elevation_deg=0.0))
    assert [round(s.trunk_rotation_deg) for s in analysis.strokes] == [70, 72, 25]
    cues = tennis_cues(analysis)
    rotation = [c for c in cues if c.code.startswith("tennis_rotation")]
    assert len(rotation) == 1 and rotation[0].value == pytest.approx(25, abs=0.5)
    assert rotation[0].reference == pytest.approx(71, abs=0.5)  # the median of the player's other forehands
    assert rotation[0].frame == analysis.strokes[2].frame and "25°" in rotation[0].message
    # One stroke of a kind: nothing to compare with, so no rotation or speed cue.
    assert tennis_cues(analyse_strokes(one(ts.forehand))) == []
    junior = tennis_cues(analysis, junior=True)
    assert [c.code for c in junior] == [c.code for c in cues] and junior[0].message != cues[0].message


def person(x: float, y_feet: float, height: float, score: float = 0.5):
    """A standing COCO person: feet at (x, y_feet), ``height`` pixels tall."""
    from sideline.core.pose import COCO_KEYPOINTS
    from sideline.vision.pose.base import PersonPose

    rel = {"nose": (0, 0.93), "left_eye": (-0.02, 0.95), "right_eye": (0.02, 0.95), "left_ear": (-0.05, 0.94),
           "right_ear": (0.05, 0.94), "left_shoulder": (-0.12, 0.82), "right_shoulder": (0.12, 0.82),
           "left_elbow": (-0.15, 0.65), "right_elbow": (0.15, 0.65), "left_wrist": (-0.16, 0.5),
           "right_wrist": (0.16, 0.5), "left_hip": (-0.08, 0.52), "right_hip": (0.08, 0.52),
           "left_knee": (-0.08, 0.27), "right_knee": (0.08, 0.27), "left_ankle": (-0.08, 0.03),
           "right_ankle": (0.08, 0.03)}
    points = np.array([[x + height * rel[n][0], y_feet - height * rel[n][1], np.nan] for n in COCO_KEYPOINTS])
    return PersonPose(points, np.full(len(COCO_KEYPOINTS), 0.9), score)


def test_region_for_blazepose_from_movenet_keypoints():
    from sideline.core.pose import COCO_KEYPOINTS
    from sideline.vision.pose.blazepose import ROI_SCALE
    from sideline.vision.pose.players import region_from_pose

    region = region_from_pose(person(500, 800, 200), COCO_KEYPOINTS)
    hips_y = 800 - 0.52 * 200
    assert (region.cx, region.cy) == pytest.approx((500, hips_y))
    assert region.rotation == pytest.approx(0.0, abs=1e-9)  # upright
    # The circle around the body from the hips reaches the ankles (0.08 across, 0.49 down), plus the margin.
    assert region.size == pytest.approx(2 * ROI_SCALE * 1.15 * np.hypot(0.08 * 200, 0.49 * 200), rel=1e-6)
    hidden = person(500, 800, 200)
    hidden.visibility[COCO_KEYPOINTS.index("left_hip")] = 0.0
    assert region_from_pose(hidden, COCO_KEYPOINTS) is None


def test_near_and_far_player_choice():
    from sideline.vision.pose.players import far_player, near_player

    near, far = person(960, 840, 200), person(700, 210, 75)
    ball_kid_near = person(1800, 900, 110)  # low in the picture but small: further away than the near player
    staff = [person(540, 180, 80, 0.8), person(1630, 300, 75, 0.8)]  # line judge, umpire: standing still
    assert near_player([far, ball_kid_near, near, *staff]) is near
    samples = []
    for k in range(6):  # the far player moves along the baseline, the others stay put
        moved = person(700 + 60 * k * (-1) ** k, 210, 75, 0.3)
        samples.append([near, moved, *staff])
    k, chosen = far_player(samples)
    assert chosen.centre()[0] == pytest.approx(samples[k][1].centre()[0]) and chosen is samples[k][1]
    assert far_player([[near]]) is None


def test_speed_cues_in_imperial_units_are_worded_anew_from_their_fields():
    from sideline.analytics.swing.feedback import cues_in_units, tennis_cues

    t = np.arange(0, 6.5, 1 / 60)
    rally = ts.combine(t, [(0.0, 2.1, ts.forehand(t, contact=1.0, swing_s=0.2)),
                           (2.1, 4.1, ts.forehand(t, contact=3.0, swing_s=0.2)),
                           (4.1, 6.5, ts.forehand(t, contact=5.0, swing_s=0.35))])  # a slower swing: a speed cue
    analysis = analyse_strokes(ts.project(rally, t, view="behind", elevation_deg=0.0), metres_per_torso=0.5)
    strokes = analysis.to_json()["strokes"]
    slow = analysis.strokes[2]
    for junior in (False, True):
        stored = [c.to_json() for c in tennis_cues(analysis, junior=junior)]
        [speed] = [c for c in stored if c["metric"] == "racket_wrist_speed"]
        assert speed["unit"] == "m/s" and speed["value"] == pytest.approx(slow.speed_m_s, abs=0.005)
        assert cues_in_units(stored, "metric", junior=junior, strokes=strokes) == stored
        imperial = cues_in_units(stored, "imperial", junior=junior, strokes=strokes)
        [mph] = [c for c in imperial if c["metric"] == "racket_wrist_speed"]
        value, usual = speed["value"] / 0.44704, speed["reference"] / 0.44704  # 1 mph = 0.44704 m/s exactly
        assert mph["unit"] == "mph" and mph["value"] == pytest.approx(value, abs=0.006)
        assert mph["reference"] == pytest.approx(usual, abs=0.006) and mph["frame"] == speed["frame"]
        expected = (f"This forehand (5.00 s) was slower than your others ({value:.1f} against {usual:.1f} mph). "
                    "Swing through the ball all the way." if junior else
                    f"Forehand 3 at 5.00 s: racket-wrist speed {value:.1f} mph against {usual:.1f} mph on your other "
                    "forehands: accelerate through contact.")
        assert mph["message"] == expected
        assert [c for c in imperial if c is not mph] == [c for c in stored if c is not speed]  # degrees stay
    with pytest.raises(ValueError, match="units must be one of metric, imperial"):
        cues_in_units([], "nautical")
