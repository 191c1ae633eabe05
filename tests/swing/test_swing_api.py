"""Swings over the API on SQLite and PostgreSQL: the real golf clip through the whole job
(BlazePose full, events, metrics, cues, annotated MP4), comparison, nearest swings, progress,
bad clips that publish nothing, and other organisations' 404s."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import av
import numpy as np
import pytest

from tests.football.test_api_football import run_job, upload

LABELS = json.loads((Path(__file__).parent / "labels" / "golfdb_test_video.json").read_text())


def write_blank_video(path: Path, seconds: float, size: int = 96) -> Path:
    from sideline.vision.mp4_writer import Mp4Writer

    with Mp4Writer(path, size, size, 30) as writer:
        for _ in range(round(30 * seconds)):
            writer.write(np.full((size, size, 3), 120, np.uint8))
    return path


def write_audio_only(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        for n in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, n * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def analyse(client, account, file_id: str, **extra):
    r = client.post(account.url("/swings/analyse"), headers=account.headers, json={"file_id": file_id, **extra})
    assert r.status_code == 202, r.text
    return run_job(client, account, r.json(), timeout=180)


@pytest.fixture
def shared_pose_run(golf_clip, golf_pose, monkeypatch):
    """The job's pose stage on the golf clip returns the session's BlazePose-full run of the same
    file (same function, same model; the clip is below the job's max_side), so the suite pays for
    it once; any other video goes through the real estimator."""
    from sideline.vision.pose import base

    real = base.estimate_video

    def estimate(backend, path, **kw):
        if Path(path).read_bytes() == golf_clip.read_bytes() and backend.name.endswith("full"):
            return golf_pose
        return real(backend, path, **kw)

    monkeypatch.setattr(base, "estimate_video", estimate)
    return golf_clip


@pytest.fixture
def reported_progress(monkeypatch) -> list[tuple[float, str | None]]:
    """(percent, message) of every progress call of the jobs run in this test, throttled ones included."""
    from sideline.jobs.execution import JobContext

    reported: list[tuple[float, str | None]] = []
    real = JobContext.progress

    def record(self, percent, message=None, **kw):
        reported.append((float(percent), message))
        return real(self, percent, message, **kw)

    monkeypatch.setattr(JobContext, "progress", record)
    return reported


def test_golf_clip_end_to_end(client, account, other_account, services, shared_pose_run, reported_progress):
    clip = shared_pose_run
    h = account.headers
    athlete = client.post(account.url("/athletes"), headers=h,
                          json={"name": "Junior Golfer", "sport": "golf", "birth_date": "2014-05-01"}).json()
    job = analyse(client, account, upload(client, account, clip), athlete_id=athlete["id"], club="driver")
    assert job["state"] == "succeeded", job["error"]
    swing_id = job["result"]["swing_id"]
    # Progress only moves forward, through the stages in order (fetch, pose, events, render).
    percents = [p for p, _ in reported_progress]
    assert percents == sorted(percents) and percents[0] == 2 and 94 <= percents[-1] <= 96
    stages = [m.split(" (")[0] for _, m in reported_progress if m]
    assert list(dict.fromkeys(stages)) == ["Fetching the video", "Estimating the pose", "Finding the swing events",
                                           "Rendering the annotated video"]

    swing = client.get(account.url(f"/swings/{swing_id}"), headers=h).json()
    assert swing["view"] == "down_the_line" and swing["handedness"] == "right" and swing["junior"]
    # Events against the hand labels, within GolfDB's tolerance (2 frames for this clip).
    events = {name: e["frame"] for name, e in swing["metrics"]["events"].items()}
    assert all(abs(events[n] - f) <= 2 for n, f in LABELS["events"].items()), events
    labelled = LABELS["events"]
    label_tempo = (labelled["top"] - labelled["address"]) / (labelled["impact"] - labelled["top"])
    assert swing["tempo"]["ratio"] == pytest.approx(label_tempo, abs=0.2)
    assert set(swing["metrics"]["angles"]) == {"spine_tilt", "lead_knee_flex", "trail_knee_flex", "hand_height"}
    tempo_cue = next(c for c in swing["cues"] if c["code"] == "tempo")
    assert tempo_cue["frame"] == events["top"] and tempo_cue["reference"] == 3.0
    assert f"{swing['tempo']['backswing_s']:.2f} s" in tempo_cue["message"]
    assert tempo_cue["message"].startswith("Your swing rhythm")  # junior wording: the athlete is under 16

    # The annotated video: a downloadable H.264 MP4 with every frame of the clip.
    r = client.get(account.url(f"/files/{swing['video_file_id']}/content"), headers=h)
    assert r.status_code == 200
    with av.open(io.BytesIO(r.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == LABELS["frames_total"]
    pose = client.get(account.url(f"/swings/{swing_id}/pose"), headers=h).json()
    assert len(pose["t"]) == len(pose["xy"]) == LABELS["frames_total"] and len(pose["keypoints"]) == 33

    # A copy and a distorted copy of the same swing, stored directly (one pose run per test).
    from sideline.storage import swings
    from sideline.storage.models import Dataset

    with services.db.session() as s:
        original = s.get(Dataset, uuid.UUID(swing_id))
        stored_pose = swings.load_pose(s, services.blobs, original)
        copy_id = swings.save_swing(s, services.blobs, account.org_id, stored_pose, name="copy", meta=original.meta,
                                    athlete_id=original.athlete_id).id
        moved = dict(original.meta, feature_vector=[v + 0.5 for v in original.meta["feature_vector"]])
        far_id = swings.save_swing(s, services.blobs, account.org_id, stored_pose, name="far", meta=moved).id

    comparison = client.get(account.url(f"/swings/{swing_id}/compare"), headers=h,
                            params={"reference_id": str(copy_id)}).json()
    assert comparison["similarity"] == 1.0 and [p["name"] for p in comparison["phases"]] == [
        "backswing", "downswing", "follow_through"]
    assert all(m["athlete_frame"] == m["reference_frame"] for m in comparison["at_events"])
    assert comparison["frame_map"][0] == [events["address"]] * 2 and comparison["frame_map"][-1] == [events["finish"]] * 2
    assert not any(c["code"].startswith("reference_") for c in comparison["cues"])
    r = client.get(account.url(f"/swings/{swing_id}/compare"), headers=h)
    assert r.status_code == 400 and "reference_id" in r.text

    near = client.get(account.url(f"/swings/{swing_id}/nearest"), headers=h).json()
    assert [n["swing"]["id"] for n in near] == [str(copy_id), str(far_id)] and near[0]["distance"] == 0.0
    progress = client.get(account.url(f"/athletes/{athlete['id']}/swing-progress"), headers=h).json()
    assert [p["swing_id"] for p in progress] == [swing_id, str(copy_id)]
    assert progress[0]["tempo_ratio"] == swing["tempo"]["ratio"] and progress[0]["club"] == "driver"
    listing = client.get(account.url("/swings"), headers=h, params={"athlete_id": athlete["id"]}).json()
    assert listing["total"] == 2

    # Other organisations see none of it.
    o = other_account
    for path in (f"/swings/{swing_id}", f"/swings/{swing_id}/pose", f"/swings/{swing_id}/nearest",
                 f"/files/{swing['video_file_id']}/content"):
        assert client.get(o.url(path), headers=o.headers).status_code == 404, path
    assert client.get(o.url(f"/swings/{swing_id}/compare"), headers=o.headers,
                      params={"reference_id": swing_id}).status_code == 404
    r = client.post(o.url("/swings/analyse"), headers=o.headers, json={"file_id": swing["source_file_id"]})
    assert r.status_code == 404
    assert client.get(o.url("/swings"), headers=o.headers).json()["total"] == 0

    assert client.delete(account.url(f"/swings/{swing_id}"), headers=h).status_code == 204
    assert client.get(account.url(f"/swings/{swing_id}"), headers=h).status_code == 404
    assert client.get(account.url(f"/files/{swing['video_file_id']}/content"), headers=h).status_code == 404


def test_bad_clips_fail_with_a_message_and_publish_nothing(client, account, tmp_path):
    cases = {
        "corrupt.mp4": (tmp_path / "corrupt.mp4", "is not a readable video"),
        "voice.m4a": (write_audio_only(tmp_path / "voice.m4a"), "has no video stream"),
        "short.mp4": (write_blank_video(tmp_path / "short.mp4", 0.5), "a swing needs at least 1 s"),
        "empty-range.mp4": (write_blank_video(tmp_path / "empty-range.mp4", 1.5), "no person found"),
    }
    cases["corrupt.mp4"][0].write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    for name, (path, message) in cases.items():
        job = analyse(client, account, upload(client, account, path), model="lite")
        assert job["state"] == "failed" and message in job["error"] and name in job["error"], (name, job["error"])
    assert client.get(account.url("/swings"), headers=account.headers).json()["total"] == 0
    files = client.get(account.url("/files"), headers=account.headers).json()
    assert not any(f["content_type"] == "video/mp4" for f in files["items"])  # no half-published annotated video
    for body, field in (({"file_id": str(uuid.uuid4()), "sport": "cricket"}, "sport"),
                        ({"file_id": str(uuid.uuid4()), "sport": "tennis", "athlete": "middle"}, "athlete"),
                        ({"file_id": str(uuid.uuid4()), "sport": "tennis", "athlete_height_m": 5}, "athlete_height_m"),
                        ({"file_id": str(uuid.uuid4()), "model": "huge"}, "model"),
                        ({"file_id": str(uuid.uuid4()), "playback_speed": 4}, "playback_speed")):
        r = client.post(account.url("/swings/analyse"), headers=account.headers, json=body)
        assert r.status_code == 400 and field in r.text, r.text
    r = client.post(account.url("/swings/analyse"), headers=account.headers, json={"file_id": str(uuid.uuid4())})
    assert r.status_code == 404
    unknown = uuid.uuid4()
    for method, path in (("GET", f"/swings/{unknown}"), ("GET", f"/swings/{unknown}/pose"),
                         ("GET", f"/swings/{unknown}/compare"), ("GET", f"/swings/{unknown}/nearest"),
                         ("DELETE", f"/swings/{unknown}"), ("GET", f"/athletes/{unknown}/swing-progress")):
        r = client.request(method, account.url(path), headers=account.headers)
        assert r.status_code == 404, (method, path, r.text)


def test_pose_progress_moves_frame_by_frame(client, account, tmp_path, reported_progress):
    """The real pose stage (BlazePose lite on a blank 1.5 s clip: 45 frames, nobody in them)."""
    job = analyse(client, account, upload(client, account, write_blank_video(tmp_path / "blank.mp4", 1.5)), model="lite")
    assert job["state"] == "failed" and "no person found" in job["error"]
    percents = [p for p, _ in reported_progress]
    assert percents == sorted(percents)
    pose = [p for p, m in reported_progress if m and m.startswith("Estimating the pose")]
    assert pose[0] == 5 and pose[-1] == 70  # the stage's share of the job, 5-70 %
    assert len({p for p in pose if 5 < p < 70}) >= 44  # a step after each frame but the last


def test_clips_with_two_swings_or_a_lost_athlete_are_refused():
    import dataclasses

    from sideline.analytics.swing.golf_events import detect_golf_events
    from sideline.errors import InvalidInput
    from sideline.jobs.swing import check_presence, check_swing
    from tests.swing.test_compare_feedback import synthetic_swing

    one, _ = synthetic_swing()
    check_swing(one, detect_golf_events(one), "one.mp4")  # a single clean swing passes
    n = len(one)
    twice = dataclasses.replace(
        one, timestamps=np.concatenate([one.timestamps, one.timestamps + one.timestamps[-1] + 0.5]),
        landmarks=np.concatenate([one.landmarks, one.landmarks]), visibility=np.concatenate([one.visibility] * 2),
        confidence=np.concatenate([one.confidence] * 2))
    with pytest.raises(InvalidInput, match=r"twice.mp4: several swings found \(another starts near"):
        check_swing(twice, detect_golf_events(twice), "twice.mp4")
    events = detect_golf_events(one)
    top = next(e.frame for e in events if e.name == "top")
    gone = one.landmarks.copy()
    gone[top - 3:top + 3] = np.nan
    confidence = one.confidence.copy()
    confidence[top - 3:top + 3] = 0
    lost = dataclasses.replace(one, landmarks=gone, confidence=confidence)
    with pytest.raises(InvalidInput, match="lost.mp4: the athlete leaves the frame"):
        check_swing(lost, events, "lost.mp4")
    nobody = dataclasses.replace(one, confidence=np.where(np.arange(n) < n // 3, 1.0, 0.0))
    with pytest.raises(InvalidInput, match="no person found in 67% of the frames"):
        check_presence(nobody, "nobody.mp4")


TENNIS_LABELS = json.loads((Path(__file__).parent / "labels" / "tennis_serve_from_behind.json").read_text())


@pytest.fixture
def shared_tennis_pose(tennis_pose_cache, monkeypatch):
    """The job's pose stage on the serve clip returns the session's run of the same stage on the same
    file (tests/swing/conftest.py), so the suite pays for it once."""
    from sideline.jobs import swing as swing_jobs
    from tests.swing.conftest import require, shared_data

    clip = require(shared_data() / TENNIS_LABELS["video"])
    real = swing_jobs.estimate_pose
    key = (TENNIS_LABELS["video"], "auto")

    def estimate(video, **kw):
        chosen = {k: kw.get(k) for k in ("sport", "model", "athlete")}  # not progress / keep_frames
        if chosen == {"sport": "tennis", "model": "full", "athlete": "auto"} and Path(video).read_bytes() == clip.read_bytes():
            if key not in tennis_pose_cache:
                tennis_pose_cache[key] = real(video, **chosen)
            return tennis_pose_cache[key]
        return real(video, **kw)

    monkeypatch.setattr(swing_jobs, "estimate_pose", estimate)
    return clip


def test_tennis_clip_end_to_end(client, account, other_account, services, shared_tennis_pose):
    h = account.headers
    athlete = client.post(account.url("/athletes"), headers=h, json={"name": "Server", "sport": "tennis"}).json()
    job = analyse(client, account, upload(client, account, shared_tennis_pose), sport="tennis", athlete_id=athlete["id"],
                  athlete_height_m=1.8)
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["strokes"] == {"forehand": 0, "backhand": 0, "serve": 1, "volley": 0}
    swing_id = job["result"]["swing_id"]
    swing = client.get(account.url(f"/swings/{swing_id}"), headers=h).json()
    assert swing["sport"] == "tennis" and swing["handedness"] == "right" and swing["tempo"] == {}
    tennis = swing["tennis"]
    assert tennis["athlete"] == "auto" and tennis["view"] in ("behind", "side", "front") and tennis["handedness_detected"]
    [stroke] = tennis["strokes"]
    label = TENNIS_LABELS["players"]["auto"]["strokes"][0]
    assert stroke["type"] == label["type"] and abs(stroke["time_s"] - label["contact_s"]) <= TENNIS_LABELS["tolerance_s"]
    assert stroke["speed_m_s"] == pytest.approx(stroke["speed_torso_s"] * 0.288 * 1.8, rel=1e-3)
    assert stroke["stance"] is None and stroke["trunk_rotation_deg"] > 0 and stroke["reasons"]
    assert swing["cues"] == [] and swing["units"] == "metric"  # one serve: nothing of its kind to compare it with
    listing = client.get(account.url("/swings"), headers=h).json()["items"]
    assert listing[0]["strokes"]["serve"] == 1

    r = client.get(account.url(f"/files/{swing['video_file_id']}/content"), headers=h)
    with av.open(io.BytesIO(r.content)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.width) == ("h264", 1280)
        assert sum(1 for _ in container.decode(stream)) == TENNIS_LABELS["frames_total"]

    for path, params in ((f"/swings/{swing_id}/compare", {"reference_id": swing_id}), (f"/swings/{swing_id}/nearest", {})):
        r = client.get(account.url(path), headers=h, params=params)
        assert r.status_code == 400 and "golf" in r.json()["error"]["message"], r.text
    progress = client.get(account.url(f"/athletes/{athlete['id']}/swing-progress"), headers=h).json()
    assert [p["swing_id"] for p in progress] == [swing_id] and progress[0]["tempo_ratio"] is None
    assert client.get(other_account.url(f"/swings/{swing_id}"), headers=other_account.headers).status_code == 404
    check_cue_units(client, account, services, swing_id)


def check_cue_units(client, account, services, swing_id: str) -> None:
    """A user who chose imperial units reads speed cues in mph, worded anew from the stored cue's
    fields; the stored swing keeps its metric cues, a query parameter overrides the preference and a
    colleague's default stays metric. The stored swing is the analysed clip's copy with the figures
    and cues of a synthetic three-forehand rally (the serve clip has one stroke, so no speed cue)."""
    from sideline.analytics.swing.feedback import tennis_cues
    from sideline.analytics.swing.tennis import analyse_strokes
    from sideline.storage import swings
    from sideline.storage.models import Dataset
    from tests.conftest import create_account
    from tests.swing import tennis_synthetic as ts

    t = np.arange(0, 6.5, 1 / 60)
    rally = ts.combine(t, [(0.0, 2.1, ts.forehand(t, contact=1.0, swing_s=0.2)),
                           (2.1, 4.1, ts.forehand(t, contact=3.0, swing_s=0.2)),
                           (4.1, 6.5, ts.forehand(t, contact=5.0, swing_s=0.35))])
    analysis = analyse_strokes(ts.project(rally, t, view="behind", elevation_deg=0.0), metres_per_torso=0.5)
    cues = [c.to_json() for c in tennis_cues(analysis)]
    with services.db.session() as s:
        original = s.get(Dataset, uuid.UUID(swing_id))
        meta = dict(original.meta, metrics=analysis.to_json(), cues=cues)
        rally_id = swings.save_swing(s, services.blobs, account.org_id, swings.load_pose(s, services.blobs, original),
                                     name="rally", meta=meta).id
    url, h = account.url(f"/swings/{rally_id}"), account.headers
    assert client.get(url, headers=h).json()["cues"] == cues  # metric: as stored
    assert client.put("/api/v1/me/preferences/display", headers=h, json={"units": "imperial"}).status_code == 200
    swing = client.get(url, headers=h).json()
    [speed] = [c for c in cues if c["metric"] == "racket_wrist_speed"]
    [mph] = [c for c in swing["cues"] if c["metric"] == "racket_wrist_speed"]
    value, usual = speed["value"] / 0.44704, speed["reference"] / 0.44704  # 1 mph = 0.44704 m/s exactly
    assert swing["units"] == "imperial" and mph["unit"] == "mph" and mph["value"] == pytest.approx(value, abs=0.006)
    assert mph["message"] == (f"Forehand 3 at {speed['time_s']:.2f} s: racket-wrist speed {value:.1f} mph against "
                              f"{usual:.1f} mph on your other forehands: accelerate through contact.")
    assert swing["tennis"]["strokes"][2]["speed_m_s"] == analysis.to_json()["strokes"][2]["speed_m_s"]  # figures: SI
    assert client.get(url, headers=h, params={"units": "metric"}).json()["cues"] == cues
    assert client.get(url, headers=h, params={"units": "cubits"}).status_code == 422
    colleague = create_account(client, services, org_id=account.org_id)
    assert client.get(url, headers=colleague.headers).json()["cues"] == cues
    with services.db.session() as s:
        assert s.get(Dataset, rally_id).meta["cues"] == cues  # the stored swing is unchanged


def test_a_tennis_clip_without_a_stroke_is_refused():
    from dataclasses import replace

    from sideline.errors import InvalidInput
    from sideline.jobs.swing import find_strokes
    from tests.swing import tennis_synthetic as ts

    t = np.arange(0, 3, 1 / 30)
    walking = ts.project(ts.walking(t), t, elevation_deg=20)
    with pytest.raises(InvalidInput, match=r"walk.mp4: no tennis stroke found: the racket wrist never swung faster than 6"):
        find_strokes(walking, "walk.mp4", right_handed=None, playback_speed=1.0, height_m=None)
    nobody = replace(walking, landmarks=np.full_like(walking.landmarks, np.nan))
    with pytest.raises(InvalidInput, match="nobody.mp4: tennis strokes need shoulders and hips"):
        find_strokes(nobody, "nobody.mp4", right_handed=None, playback_speed=1.0, height_m=None)
