#!/usr/bin/env python3
"""Upload -> finished swing analysis for the GolfDB test clip (8.8 s, 264 frames, 354x492) with the
full BlazePose landmark model, rendering of the annotated MP4 included, each stage reported, as a
ratio of the clip's own duration (the reference: < 1 = faster than real time).

Runs the real product path in one process: an embedded installation (SQLite, local blobs, jobs on
the in-process runner) in a temporary folder, the files API upload, ``POST /swings/analyse``, the
job to the end. Stages are timed by wrapping the job's own functions (nothing else changes), in
wall seconds and in CPU seconds of the whole process (all threads: LiteRT's, x264's, the decoder's):

  upload         HTTP upload of the clip (files API)
  queue + fetch  the analyse request (validation, job row, dispatch) until the pose stage starts (blob copy, probe)
  pose           the pose stage: decode (in a read-ahead thread, overlapped) + BlazePose full + gap filling,
                 smoothing
  events/metrics events, view, angles, metrics, cues
  render         annotated H.264 MP4 (on the pose stage's kept frames, or decoding the clip again)
  store          blob upload, swing + pose stream + file row in one transaction, job bookkeeping
  decode only    (not a stage: a separate decode pass at the job's size, for scale)

Wrapping only ``estimate_pose`` and ``render_swing`` by name, it also times an older checkout:
``PYTHONPATH=<old>/src .venv/bin/python benchmarks/swing_end_to_end.py`` (before/after figures).

    .venv/bin/python benchmarks/swing_end_to_end.py [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data")).resolve()
CLIP = DATA / "video" / "golfdb_test_video.mp4"


def cpu() -> float:
    """CPU seconds of this process so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    def __init__(self) -> None:
        self.marks: dict[str, tuple[float, float]] = {}  # stage -> (first start, last end), wall
        self.cpu: dict[str, tuple[float, float]] = {}  # the same in process CPU seconds

    def wrap(self, module, name: str, stage: str):
        real = getattr(module, name)

        def timed(*args, **kwargs):
            start, start_cpu = time.perf_counter(), cpu()
            try:
                return real(*args, **kwargs)
            finally:
                self.marks[stage] = (self.marks.get(stage, (start, 0.0))[0], time.perf_counter())
                self.cpu[stage] = (self.cpu.get(stage, (start_cpu, 0.0))[0], cpu())

        setattr(module, name, timed)


@contextmanager
def embedded_app(home: Path):
    from fastapi.testclient import TestClient

    from sideline.api.app import create_app
    from sideline.services import build_services
    from sideline.settings import load_settings
    from sideline.storage.migrate import upgrade

    settings = load_settings(environment="test", home=home, secret_key="bench-secret-" + "x" * 40, log_json=False,
                             rate_limit_per_minute=100_000, rate_limit_burst=100_000)
    services = build_services(settings, start_runner=False)
    upgrade(services.db.engine)
    services.runner.start()
    try:
        with TestClient(create_app(settings, services)) as client:
            yield client, services
    finally:
        services.close()


def login(client, services) -> tuple[dict, str]:
    from sideline.accounts import create_organisation
    from sideline.auth.passwords import hash_password
    from sideline.storage.models import Membership, Role, User

    email, password = f"bench-{uuid.uuid4().hex[:6]}@example.org", "correct horse battery"
    with services.db.session() as s:
        user = User(email=email, name="bench", password_hash=hash_password(password))
        s.add(user)
        s.flush()
        org_id = create_organisation(s, "Bench Golf", None).id
        s.add(Membership(organisation_id=org_id, user_id=user.id, role=Role.owner))
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}, f"/api/v1/orgs/{org_id}"


def one_run(client, headers: dict, base: str) -> dict[str, float]:
    from sideline.analytics.swing import compare, feedback, golf_events, views
    from sideline.jobs import swing as swing_jobs
    from sideline.vision import swing_render
    from sideline.vision.decode import iter_frames

    clock = Clock()
    originals = [(m, n, getattr(m, n)) for m, n in (
        (swing_jobs, "estimate_pose"), (golf_events, "detect_golf_events"), (swing_render, "render_swing"),
        (feedback, "coaching_cues"), (views, "detect_view"), (compare, "swing_features"))]
    clock.wrap(swing_jobs, "estimate_pose", "pose")
    for module, name in ((golf_events, "detect_golf_events"), (views, "detect_view"), (compare, "swing_features"),
                         (feedback, "coaching_cues")):
        clock.wrap(module, name, "events")
    clock.wrap(swing_render, "render_swing", "render")
    try:
        start, start_cpu = time.perf_counter(), cpu()
        r = client.post(f"{base}/files", headers=headers, files={"file": (CLIP.name, CLIP.read_bytes(), "video/mp4")})
        assert r.status_code == 201, r.text
        uploaded, uploaded_cpu = time.perf_counter(), cpu()
        job = client.post(f"{base}/swings/analyse", headers=headers, json={"file_id": r.json()["id"], "model": "full"}).json()
        while True:
            job = client.get(f"{base}/jobs/{job['id']}", headers=headers).json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                break
            # A status request costs ~4 ms of this process' CPU: polling every 20 ms stole ~15 % of a core
            # from the job (the web app follows jobs over the live channel instead). Poll slowly until
            # the render is over, then quickly, so the end of the store stage is still timed closely.
            time.sleep(0.01 if "render" in clock.marks else 0.25)
        finished, finished_cpu = time.perf_counter(), cpu()
    finally:
        for module, name, real in originals:
            setattr(module, name, real)
    assert job["state"] == "succeeded", job["error"]
    t0 = time.perf_counter()
    decoded = sum(1 for _ in iter_frames(CLIP, max_side=swing_jobs.MAX_SIDE))
    decode = time.perf_counter() - t0
    pose0, pose1 = clock.marks["pose"]
    events0, events1 = clock.marks["events"]
    render0, render1 = clock.marks["render"]
    c = {stage: clock.cpu[stage] for stage in ("pose", "events", "render")}
    wall = {"upload": uploaded - start, "queue + fetch": pose0 - uploaded, "pose": pose1 - pose0,
            "events/metrics": events1 - events0, "render": render1 - render0, "store": finished - render1,
            "total": finished - start, "decode only": decode}
    cpu_s = {"upload": uploaded_cpu - start_cpu, "queue + fetch": c["pose"][0] - uploaded_cpu,
             "pose": c["pose"][1] - c["pose"][0], "events/metrics": c["events"][1] - c["events"][0],
             "render": c["render"][1] - c["render"][0], "store": finished_cpu - c["render"][1],
             "total": finished_cpu - start_cpu}
    return {"wall": wall, "cpu": cpu_s, "frames": decoded, "unaccounted": (events0 - pose1) + (render0 - events1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    from sideline.vision.decode import probe

    info = probe(CLIP)
    duration = info.duration_s or info.frame_count / info.nominal_fps
    print(f"swing end to end: {CLIP.name}, {duration:.2f} s, {info.frame_count} frames, {info.width}x{info.height}; "
          f"{os.cpu_count()} CPUs visible; load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="sideline-bench-") as tmp, embedded_app(Path(tmp) / "home") as (client, services):
        headers, base = login(client, services)
        runs = [one_run(client, headers, base) for _ in range(args.runs)]
    best = min(runs, key=lambda r: r["wall"]["total"])
    from sideline.vision.pose import blazepose

    totals = ", ".join(f"{r['wall']['total']:.2f}" for r in runs)
    print(f"load average {os.getloadavg()[0]:.2f} at end; best of {len(runs)} run(s) ({totals} s); "
          f"code from {Path(blazepose.__file__).parents[3]}")
    print("\n| stage | wall s | x clip duration | CPU s (all threads) |")
    print("|---|---|---|---|")
    for stage in ("upload", "queue + fetch", "pose", "events/metrics", "render", "store", "total", "decode only"):
        used = best["cpu"].get(stage)
        print(f"| {stage} | {best['wall'][stage]:.2f} | {best['wall'][stage] / duration:.2f} | "
              f"{'' if used is None else f'{used:.2f}'} |")
    print(f"\n(reference: the clip's own duration {duration:.2f} s; {best['frames']} frames decoded; "
          f"{best['unaccounted']:.3f} s between stages)")


if __name__ == "__main__":
    sys.exit(main())
