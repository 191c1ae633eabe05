"""End-to-end video pipeline speed at 720p and 1080p on this machine's CPU cores (issue 6).

Input: the DFL broadcast clip (848x478) scaled to 1280x720 and 1920x1080 with PyAV (H.264, into a
temporary folder), the first ``--frames`` frames. The stages are the product's own functions, run
as the video job runs them: decode (PyAV, scaled to the 960 px detection size), detect (CenterNet,
the default; people + ball + kit colours), camera (motion for panning-camera calibration; decodes
again), track (ByteTrack + re-linking + ball), project (per-frame homographies propagated from a
keyframe, foot points to metres, speeds). Detection and camera times are their stage's time minus
the decoding inside it, measured on its own.

Then the tracker alone on 25 objects per frame (synthetic players walking, 3 % missed boxes, box
jitter): roboflow ``trackers``' ByteTrack (what the pipeline uses) against supervision 0.26's
ByteTrack (a separate implementation; ``pip install --no-deps --target .venv/peers/supervision_0_26
supervision==0.26.1``, or set SIDELINE_PEER_SUPERVISION), same boxes, same adapter.

onnxruntime takes its CUDA provider automatically when it is installed with one
(``onnxruntime-gpu``); the provider used is printed.

Each stage's time is its best of ``--repeat`` runs after a warm-up (the machine may be shared),
as wall time and as process CPU time (all threads; steadier when other work competes for the
cores, and above wall time where onnxruntime keeps both cores busy).

Run: .venv/bin/python benchmarks/video_pipeline_fps.py [--frames 50] [--sizes 720 1080] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data"))
CLIP = DATA / "video" / "football_dfl_08fd33_4_848x478.mp4"
KEYFRAME = {"frame": 0, "image_points": [[536.07, 140.76], [551.35, 386.3], [539.02, 188.21], [542.41, 242.68],
                                         [149.5, 183.4], [78.5, 222.7]],
            "pitch_points": [[0, 34], [0, -34], [0, 9.15], [0, -9.15], [-36, 7.31], [-36, -7.31]]}


def scaled_clip(folder: Path, height: int, frames: int) -> Path:
    import av

    width = round(height * 16 / 9 / 2) * 2
    out = folder / f"dfl_{height}p.mp4"
    with av.open(str(CLIP)) as source, av.open(str(out), mode="w") as target:
        stream = target.add_stream("libx264", rate=25, options={"crf": "18", "preset": "fast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, frame in enumerate(source.decode(video=0)):
            if index >= frames:
                break
            for packet in stream.encode(frame.reformat(width=width, height=height, format="yuv420p")):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out


def pipeline(path: Path, detector) -> dict[str, float]:
    import polars as pl

    from sideline.vision import decode
    from sideline.vision.calibrate import fit_homography
    from sideline.vision.pipeline import (
        camera_stage, detect_stage, frame_homographies, identify_stage, project_stage, track_stage, with_speed,
    )

    info = decode.probe(path)
    scale = info.width / 848
    keyframe = {**KEYFRAME, "image_points": (np.array(KEYFRAME["image_points"]) * scale).tolist()}
    keyframe["matrix"] = fit_homography(keyframe["image_points"], keyframe["pitch_points"]).matrix.tolist()
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clock = [time.perf_counter(), time.process_time()]

    def lap(name: str, minus: str | None = None) -> None:
        now = [time.perf_counter(), time.process_time()]
        times[name] = now[0] - clock[0] - (times[minus] if minus else 0.0)
        cpu[name] = now[1] - clock[1] - (cpu[minus] if minus else 0.0)
        clock[:] = now

    n = sum(len(batch.indices) for batch in decode.iter_batches(path, 8, max_side=960))
    lap("decode")
    frames, detections, _ = detect_stage(path, detector)
    lap("detect", minus="decode")
    motion = camera_stage(path, frames, detections)
    lap("camera", minus="decode")
    tracks, ball = track_stage(frames, detections, 25.0)
    identify_stage(tracks, detections, 25.0)
    lap("track")
    table, _ = frame_homographies(frames, motion, [keyframe], mode="auto", size=(info.width, info.height),
                                  pitch=(105.0, 68.0))
    positions = with_speed(project_stage(tracks, ball, table, 105.0, 68.0), 25.0)
    lap("project")
    assert frames.height == n and isinstance(positions, pl.DataFrame)
    return {"wall": times, "cpu": cpu, "frames": n, "boxes": detections.height / n}


def synthetic_players(frames: int = 1500, players: int = 25, seed: int = 11):
    """A BoxTable of ``players`` people walking on a 1280x720 picture (3 % of boxes missing)."""
    from sideline.vision.track.evaluate import BoxTable

    rng = np.random.default_rng(seed)
    start = rng.uniform([100, 150], [1180, 650], (players, 2))
    velocity = rng.normal(0, 2.0, (players, 2))
    t = np.arange(frames)[:, None, None]
    centre = start[None] + velocity[None] * t + 20 * np.sin(t / rng.uniform(20, 60, (players, 1)))
    centre = np.stack([np.mod(centre[..., 0], 1180) + 50, np.mod(centre[..., 1], 520) + 150], axis=-1)
    size = np.array([30.0, 80.0])
    jitter = rng.normal(0, 1.5, (frames, players, 4))
    xyxy = np.concatenate([centre - size / 2, centre + size / 2], axis=-1) + jitter
    keep = rng.random((frames, players)) > 0.03
    frame = np.repeat(np.arange(frames), players).reshape(frames, players)
    conf = rng.uniform(0.5, 0.95, (frames, players))
    return BoxTable(frame[keep], np.tile(np.arange(players), (frames, 1))[keep], xyxy[keep], conf[keep])


def tracker_rates() -> list[tuple[str, float]]:
    import importlib.util

    from sideline.vision.track.bytetrack import ByteTrack, track_table

    spec = importlib.util.spec_from_file_location("tracking_eval", ROOT / "benchmarks" / "tracking_eval.py")
    tracking_eval = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tracking_eval)
    table = synthetic_players()
    frames = len(np.unique(table.frame))
    contenders = {"trackers ByteTrack": lambda: ByteTrack(frame_rate=25)}
    if tracking_eval.PEER.is_dir():
        old = tracking_eval.load_old_supervision(tracking_eval.PEER)
        contenders["supervision 0.26 ByteTrack"] = lambda: tracking_eval.SupervisionByteTrack(old)
    else:
        print(f"supervision 0.26 not found at {tracking_eval.PEER}: peer skipped")
    best = {name: 0.0 for name in contenders}
    for _ in range(3):  # interleaved, best of three: the machine may be shared
        for name, make in contenders.items():
            start = time.perf_counter()
            result = track_table(table, make())
            best[name] = max(best[name], frames / (time.perf_counter() - start))
            assert len(result) > 0.8 * len(table)  # both really track (confirmed boxes come back)
    return list(best.items())


def main() -> None:
    import onnxruntime as ort

    from sideline.vision.pipeline import make_detector

    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--sizes", type=int, nargs="+", default=[720, 1080])
    parser.add_argument("--detector", default="centernet")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, onnxruntime {ort.__version__} "
          f"providers {ort.get_available_providers()}; load average {os.getloadavg()}")
    detector = make_detector(args.detector)
    print(f"detector {args.detector}: session providers {detector.session.get_providers()}")
    with tempfile.TemporaryDirectory(prefix="sideline-bench-") as tmp:
        for height in args.sizes:
            path = scaled_clip(Path(tmp), height, args.frames)
            pipeline(path, detector)  # warm-up (model load, first inference, imports)
            # The machine is shared: each stage's best of ``--repeat`` runs.
            runs = [pipeline(path, detector) for _ in range(args.repeat)]
            n, boxes = runs[0]["frames"], runs[0]["boxes"]
            for kind in ("wall", "cpu"):
                times = {k: min(r[kind][k] for r in runs) for k in runs[0][kind]}
                total = sum(times.values())
                shares = ", ".join(f"{k} {v / n * 1000:.1f} ms ({v / total:.0%})" for k, v in times.items())
                print(f"{height}p {kind}: {n} frames, {boxes:.1f} boxes/frame: {n / total:.2f} frames/s end to end "
                      f"({n / total / 25:.2f}x real time at 25 fps); {shares}")
            print(f"    load average after: {os.getloadavg()}")
    rates = tracker_rates()
    for name, rate in rates:
        print(f"tracker only, 25 objects/frame: {name}: {rate:.0f} frames/s")
    if len(rates) == 2:
        print(f"ratio trackers / supervision 0.26: {rates[0][1] / rates[1][1]:.2f}x")


if __name__ == "__main__":
    main()
