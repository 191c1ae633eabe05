"""The video pipeline in the product: a job per uploaded video (stages, retry from the failed
stage), calibration, track corrections, projection checked against OpenCV, the football match
made from the video, the annotated MP4, downloads, bad input and tenancy, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid

import av
import numpy as np
import polars as pl
import pytest

from sideline.api.football_wire import decode_frames
from sideline.errors import InvalidInput
from sideline.jobs import video as video_jobs
from sideline.storage.models import Dataset
from tests.conftest import upload_file as upload
from tests.conftest import wait_job
from tests.video._data import shared_data, shared_models

FRAMES = 15  # vtest.avi runs at 10 fps: 1.5 s, enough for tracks longer than the 0.5 s minimum
# Four clicks on the vtest plaza mapped to a 40 x 30 m rectangle (a convex quad in the same order).
IMAGE_POINTS = [[100, 560], [700, 560], [620, 150], [160, 150]]
PITCH_POINTS = [[-20, -15], [20, -15], [20, 15], [-20, 15]]


@pytest.fixture(autouse=True)
def _models(monkeypatch):
    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(shared_models()))


def analyse(client, account, name: str, data: bytes, **options) -> tuple[dict, dict]:
    file_id = upload(client, account, name, data)
    r = client.post(account.url("/videos"), headers=account.headers, json={"file_id": file_id, **options})
    assert r.status_code == 202, r.text
    video = r.json()
    job = wait_job(client, account, video["job"]["id"])
    return client.get(account.url(f"/videos/{video['id']}"), headers=account.headers).json(), job


def stages(video: dict) -> dict[str, str]:
    return {s["name"]: s["status"] for s in video["stages"]}


def test_vtest_pipeline_retry_calibration_tracks_match_and_downloads(client, services, account, other_account, monkeypatch):
    h = account.headers
    data = (shared_data() / "video" / "vtest.avi").read_bytes()
    # A failing identify stage leaves detect and track stored; a retry resumes there without detecting again.
    real_identify = video_jobs.STAGE_FUNCTIONS["identify"]

    def broken_identify(*_a):
        raise InvalidInput("identify: simulated failure")

    monkeypatch.setitem(video_jobs.STAGE_FUNCTIONS, "identify", broken_identify)
    video, job = analyse(client, account, "vtest.avi", data, detector="nanodet", max_frames=FRAMES)
    assert job["state"] == "failed" and "simulated failure" in job["error"]
    assert video["status"] == "failed"
    assert stages(video) == {"probe": "done", "detect": "done", "track": "done", "identify": "failed",
                             "camera": "pending", "project": "pending", "render": "pending"}
    assert next(s for s in video["stages"] if s["name"] == "identify")["error"] == "identify: simulated failure"

    def no_detect(*_a):
        raise AssertionError("detect ran again on retry")

    monkeypatch.setitem(video_jobs.STAGE_FUNCTIONS, "identify", real_identify)
    monkeypatch.setitem(video_jobs.STAGE_FUNCTIONS, "detect", no_detect)
    vid = video["id"]
    r = client.post(account.url(f"/videos/{vid}/retry"), headers=h)
    assert r.status_code == 202, r.text
    assert wait_job(client, account, r.json()["id"])["state"] == "succeeded"
    video = client.get(account.url(f"/videos/{vid}"), headers=h).json()
    assert stages(video)["identify"] == "done" and stages(video)["project"] == "skipped"
    assert video["status"] == "needs_calibration" and (video["width"], video["height"]) == (768, 576)
    assert client.post(account.url(f"/videos/{vid}/retry"), headers=h).status_code == 409

    listing = client.get(account.url("/videos"), headers=h).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == vid

    # Annotated video: browser-playable H.264 with every analysed frame, at the video's size.
    content = client.get(account.url(f"/files/{video['annotated_file_id']}/content"), headers=h)
    assert content.status_code == 200
    with av.open(io.BytesIO(content.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == (768, 576)
        assert sum(1 for _ in container.decode(stream)) == FRAMES

    tracks = client.get(account.url(f"/videos/{vid}/tracks"), headers=h).json()
    teamed = [t for t in tracks if t["team"] in ("home", "away")]
    assert len(teamed) >= 2 and {t["team"] for t in teamed} == {"home", "away"}
    boxes = client.get(account.url(f"/videos/{vid}/boxes"), headers=h, params={"t0": 0, "t1": 10}).json()
    assert {b[2] for b in boxes["boxes"]} == {t["track_id"] for t in tracks}

    # Bad calibrations are refused with the reason; nothing is stored.
    collinear = client.put(account.url(f"/videos/{vid}/calibration"), headers=h,
                           json={"image_points": [[0, 0], [100, 100], [200, 200], [300, 300]], "pitch_points": PITCH_POINTS})
    assert collinear.status_code == 400 and "line" in collinear.json()["error"]["message"]
    outside = client.put(account.url(f"/videos/{vid}/calibration"), headers=h,
                         json={"image_points": [[0, 0], [900, 0], [700, 500], [0, 500]], "pitch_points": PITCH_POINTS})
    assert outside.status_code == 400 and "outside the 768x576 frame" in outside.json()["error"]["message"]
    folded = client.put(account.url(f"/videos/{vid}/calibration"), headers=h,
                        json={"image_points": IMAGE_POINTS, "pitch_points": [PITCH_POINTS[i] for i in (0, 2, 1, 3)]})
    assert folded.status_code == 400
    assert client.get(account.url(f"/videos/{vid}"), headers=h).json()["calibration"] is None

    r = client.put(account.url(f"/videos/{vid}/calibration"), headers=h,
                   json={"image_points": IMAGE_POINTS, "pitch_points": PITCH_POINTS})
    assert r.status_code == 202, r.text
    assert max(r.json()["residuals_m"]) < 1e-6  # four points: an exact fit
    assert wait_job(client, account, r.json()["job"]["id"])["state"] == "succeeded"
    video = client.get(account.url(f"/videos/{vid}"), headers=h).json()
    assert video["status"] == "ready" and stages(video)["project"] == "done" and stages(video)["render"] == "done"
    # The fixed camera is recognised from its (absent) motion: one homography, every frame reliable.
    assert video["calibration"]["summary"]["mode"] == "fixed"
    assert video["calibration"]["summary"]["reliable_frames"] == FRAMES

    # Projection against OpenCV's homography on the same clicks and the downloaded boxes.
    import cv2

    boxes_csv = pl.read_csv(io.BytesIO(client.get(account.url(f"/videos/{vid}/tracking"), headers=h,
                                                  params={"data": "boxes"}).content))
    positions = pl.read_parquet(io.BytesIO(client.get(account.url(f"/videos/{vid}/tracking"), headers=h,
                                                      params={"format": "parquet"}).content))
    matrix, _ = cv2.findHomography(np.array(IMAGE_POINTS, np.float64), np.array(PITCH_POINTS, np.float64), 0)
    feet = np.column_stack([(boxes_csv["x0"] + boxes_csv["x1"]).to_numpy() / 2, boxes_csv["y1"].to_numpy()])
    expected = cv2.perspectiveTransform(feet[None], matrix)[0]
    reference = boxes_csv.select("frame", "track_id").with_columns(pl.Series("ex", expected[:, 0]),
                                                                   pl.Series("ey", expected[:, 1]))
    on_pitch = reference.filter((pl.col("ex").abs() <= 57.5) & (pl.col("ey").abs() <= 39))
    joined = positions.filter(pl.col("track_id") >= 0).join(on_pitch, on=["frame", "track_id"], how="inner")
    assert joined.height == on_pitch.height > 0
    np.testing.assert_allclose(joined[["x", "y"]].to_numpy(), joined[["ex", "ey"]].to_numpy(), atol=1e-3)

    # Corrections persist: rename, team, merge (a chain back onto itself is refused).
    first, second = teamed[0]["track_id"], teamed[1]["track_id"]
    r = client.patch(account.url(f"/videos/{vid}/tracks/{first}"), headers=h,
                     json={"name": "Keeper", "team": "home", "role": "goalkeeper"})
    assert r.status_code == 200 and r.json()["name"] == "Keeper" and r.json()["role"] == "goalkeeper"
    bad_role = client.patch(account.url(f"/videos/{vid}/tracks/{first}"), headers=h, json={"role": "coach"})
    assert bad_role.status_code == 422
    r = client.patch(account.url(f"/videos/{vid}/tracks/{second}"), headers=h, json={"merge_into": first, "team": "home"})
    assert r.status_code == 200 and r.json()["merged_into"] == first
    loop = client.patch(account.url(f"/videos/{vid}/tracks/{first}"), headers=h, json={"merge_into": second})
    assert loop.status_code == 400 and "already merged" in loop.json()["error"]["message"]
    assert client.patch(account.url(f"/videos/{vid}/tracks/99999"), headers=h, json={"name": "x"}).status_code == 404
    kept = {t["track_id"]: t for t in client.get(account.url(f"/videos/{vid}/tracks"), headers=h).json()}
    assert kept[first]["name"] == "Keeper" and kept[first]["role"] == "goalkeeper" and kept[second]["merged_into"] == first
    assert {t["role"] for t in kept.values()} <= {"player", "goalkeeper", "official"}

    # The football match: one player per merged team track, frames equal to the projected positions.
    r = client.post(account.url(f"/videos/{vid}/match"), headers=h)
    assert r.status_code == 202, r.text
    job = wait_job(client, account, r.json()["id"])
    assert job["state"] == "succeeded", job["error"]
    match_id = client.get(account.url(f"/videos/{vid}"), headers=h).json()["match_id"]
    detail = client.get(account.url(f"/matches/{match_id}"), headers=h).json()
    roots = {t["track_id"] for t in kept.values() if t["merged_into"] is None and t["team"] in ("home", "away")}
    assert detail["provider"] == "video" and len(detail["players"]) == len(roots)
    keeper = next(p for p in detail["players"] if p["name"] == "Keeper")
    frames = decode_frames(client.get(account.url(f"/matches/{match_id}/frames"), headers=h,
                                      params={"t0": 0, "t1": 60}).content)
    mine = (positions.filter(pl.col("track_id").is_in([first, second]))
            .group_by("frame").agg(pl.col("x").mean(), pl.col("y").mean()).sort("frame"))
    frame_rows = {int(f): i for i, f in enumerate(boxes_csv["frame"].unique().sort())}
    got = frames["xy"][:, keeper["index"]]
    seen = np.flatnonzero(~np.isnan(got[:, 0]))
    assert len(seen) == mine.height
    np.testing.assert_allclose(got[seen], mine[["x", "y"]].to_numpy(), atol=1e-3)
    assert frame_rows  # the match timeline covers the analysed frames
    physical = client.get(account.url(f"/matches/{match_id}/physical"), headers=h).json()["rows"]
    assert any(row["player_id"] == keeper["player_id"] and row["distance_m"] >= 0 for row in physical)

    # A video analysed before a stage existed (as if ``camera`` had been added since) stays ready,
    # that stage shown as skipped, not pending or failed.
    with services.db.session() as s:
        dataset = s.get(Dataset, uuid.UUID(vid))
        dataset.meta = {**dataset.meta, "stages": {k: v for k, v in dataset.meta["stages"].items() if k != "camera"}}
    older = client.get(account.url(f"/videos/{vid}"), headers=h).json()
    assert older["status"] == "ready" and stages(older)["camera"] == "skipped"

    # Another organisation sees none of it.
    o = other_account
    assert client.get(o.url(f"/videos/{vid}"), headers=o.headers).status_code == 404
    assert client.get(o.url(f"/videos/{vid}/tracks"), headers=o.headers).status_code == 404
    assert client.put(o.url(f"/videos/{vid}/calibration"), headers=o.headers,
                      json={"image_points": IMAGE_POINTS, "pitch_points": PITCH_POINTS}).status_code == 404
    assert client.get(o.url("/videos"), headers=o.headers).json()["total"] == 0


def _audio_only() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _empty_grey_video() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((96, 160, 3), 128, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_bad_videos_fail_with_a_clear_message(client, account):
    h = account.headers
    # A playable video with nobody in it (and no grass): earlier stages are kept, identify says why.
    video, job = analyse(client, account, "wall.mp4", _empty_grey_video(), detector="nanodet")
    assert job["state"] == "failed" and "no players were found" in job["error"]
    assert stages(video) == {"probe": "done", "detect": "done", "track": "done", "identify": "failed",
                             "camera": "pending", "project": "pending", "render": "pending"}
    assert any("little grass visible (0%" in w for w in video["warnings"])
    video, job = analyse(client, account, "notes.mp4", b"these are my match notes, not a video\n" * 20)
    assert job["state"] == "failed" and "'notes.mp4' is not a readable video" in job["error"]
    assert stages(video)["probe"] == "failed" and video["status"] == "failed"
    video, job = analyse(client, account, "commentary.mp4", _audio_only())
    assert job["state"] == "failed" and "'commentary.mp4' has no video stream" in job["error"]
    empty = client.post(account.url("/files"), headers=h, files={"file": ("empty.mp4", b"", "video/mp4")})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    r = client.post(account.url("/videos"), headers=h, json={"file_id": "00000000-0000-0000-0000-000000000000"})
    assert r.status_code == 404
    no_calibration = client.post(account.url(f"/videos/{video['id']}/match"), headers=h)
    assert no_calibration.status_code == 400 and "calibrate" in no_calibration.json()["error"]["message"]


# The detector run does not depend on the database: once, on SQLite, keeps the suite fast.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_broadcast_clip_panning_calibration_and_pose(client, account, other_account):
    import json
    from pathlib import Path

    h = account.headers
    data = (shared_data() / "video" / "football_dfl_08fd33_4_848x478.mp4").read_bytes()
    video, job = analyse(client, account, "dfl.mp4", data, detector="centernet", max_frames=16)
    assert job["state"] == "succeeded", job["error"]
    assert not any("little grass" in w for w in video["warnings"])
    camera = next(s for s in video["stages"] if s["name"] == "camera")
    assert camera["status"] == "done" and camera["message"] == "camera motion followed in 15 of 15 frame steps"
    vid = video["id"]
    tracks = client.get(account.url(f"/videos/{vid}/tracks"), headers=h).json()
    # CenterNet finds about a quarter of the 26 people in this broadcast frame at full-frame size (docs/video.md).
    assert len(tracks) >= 3
    assert {t["team"] for t in tracks} >= {"home", "away"}  # two kits told apart on 0.64 s of broadcast

    # Calibrate frame 0 with the hand-marked points; the panning camera is followed frame by frame.
    labels = json.loads((Path(__file__).parent / "labels" / "dfl_keyframes.json").read_text())["keyframes"][0]
    body = {"frame": 0, "image_points": [p["image"] for p in labels["points"]],
            "pitch_points": [p["pitch"] for p in labels["points"]]}
    assert client.put(account.url(f"/videos/{vid}/calibration"), headers=h,
                      json={**body, "frame": 99}).json()["error"]["message"].endswith("past the 16 analysed frames")
    r = client.put(account.url(f"/videos/{vid}/calibration"), headers=h, json=body)
    assert r.status_code == 202, r.text
    assert [k["frame"] for k in r.json()["keyframes"]] == [0]
    assert wait_job(client, account, r.json()["job"]["id"])["state"] == "succeeded"
    video = client.get(account.url(f"/videos/{vid}"), headers=h).json()
    summary = video["calibration"]["summary"]
    assert video["status"] == "ready" and summary["mode"] == "panning"
    assert summary["reliable_frames"] == 16 and summary["unreliable_spans"] == [] and summary["cuts"] == []
    frames = client.get(account.url(f"/videos/{vid}/calibration/frames"), headers=h, params={"matrices": True}).json()
    rows = [dict(zip(frames["columns"], row)) for row in frames["rows"]]
    assert [r["frame"] for r in rows] == list(range(16)) and all(r["reliable"] for r in rows)
    assert rows[0]["drift_m"] == 0 and rows[0]["keyframe"] == 0 and 0 < rows[15]["drift_m"] < 0.5
    # The panning camera: the homographies differ from frame to frame, frame 0's is the clicked one.
    first = np.array([rows[0][f"h{i}{j}"] for i in range(3) for j in range(3)]).reshape(3, 3)
    last = np.array([rows[15][f"h{i}{j}"] for i in range(3) for j in range(3)]).reshape(3, 3)
    centre_first = first @ [424, 300, 1]
    centre_last = last @ [424, 300, 1]
    assert np.linalg.norm(centre_first[:2] / centre_first[2] - centre_last[:2] / centre_last[2]) > 0.3
    positions = pl.read_parquet(io.BytesIO(client.get(account.url(f"/videos/{vid}/tracking"), headers=h,
                                                      params={"format": "parquet"}).content))
    assert positions.filter(pl.col("track_id") >= 0).height > 0
    assert positions["x"].abs().max() <= 57.5 and positions["y"].abs().max() <= 39

    # Pose on demand for the longest track over its whole span: keypoints on the player.
    track = max(tracks, key=lambda t: t["rows"])
    bad = client.post(account.url(f"/videos/{vid}/poses"), headers=h, json={"track_id": 99999, "t0": 0, "t1": 1})
    assert bad.status_code == 404
    too_long = client.post(account.url(f"/videos/{vid}/poses"), headers=h, json={"track_id": track["track_id"], "t0": 0, "t1": 31})
    assert too_long.status_code == 400
    r = client.post(account.url(f"/videos/{vid}/poses"), headers=h,
                    json={"track_id": track["track_id"], "t0": track["first_t"], "t1": track["last_t"] + 0.01})
    assert r.status_code == 202, r.text
    pose_id = r.json()["id"]
    assert wait_job(client, account, pose_id)["state"] == "succeeded"
    pose = client.get(account.url(f"/videos/{vid}/poses/{pose_id}"), headers=h).json()
    assert pose["status"] == "done" and len(pose["keypoint_names"]) == 33 and pose["skeleton"]
    assert [p["id"] for p in client.get(account.url(f"/videos/{vid}/poses"), headers=h).json()] == [pose_id]
    boxes = pl.read_csv(io.BytesIO(client.get(account.url(f"/videos/{vid}/tracking"), headers=h,
                                              params={"data": "boxes"}).content))
    mine = boxes.filter(pl.col("track_id") == track["track_id"])
    by_frame = {f: (x0, y0, x1, y1) for f, x0, y0, x1, y1 in mine.select("frame", "x0", "y0", "x1", "y1").iter_rows()}
    inside_frames = 0
    for _t, frame, score, points in pose["rows"]:
        if not points:
            continue
        x0, y0, x1, y1 = by_frame[frame]
        pad = 0.1 * (y1 - y0)
        seen = [p for p in points if p and p[2] > 0.3]
        inside = [x0 - pad <= x <= x1 + pad and y0 - pad <= y <= y1 + pad for x, y, _v in seen]
        if seen and np.mean(inside) >= 0.8:
            inside_frames += 1
    assert inside_frames >= 0.8 * len(pose["rows"]), (inside_frames, len(pose["rows"]))
    assert client.get(other_account.url(f"/videos/{vid}/poses/{pose_id}"), headers=other_account.headers).status_code == 404

    # Removing the only keyframe: positions wait for a calibration again.
    assert client.delete(account.url(f"/videos/{vid}/calibration/keyframes/7"), headers=h).status_code == 404
    r = client.delete(account.url(f"/videos/{vid}/calibration/keyframes/0"), headers=h)
    assert r.status_code == 202 and wait_job(client, account, r.json()["id"])["state"] == "succeeded"
    video = client.get(account.url(f"/videos/{vid}"), headers=h).json()
    assert video["calibration"] is None and video["status"] == "needs_calibration"
