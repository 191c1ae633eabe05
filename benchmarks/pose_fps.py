#!/usr/bin/env python3
"""Pose throughput: frames per second of BlazePose (lite/full/heavy, LiteRT) at 720p and 1080p
input, tracking mode (detector on the first frame, then landmarks from the previous frame's
region), as ``estimate_video`` runs it: letterbox-resize for the detector, rotated 256x256 crop
from the full-resolution frame for the landmark model. Decoding is timed separately.

Peer, same frames, same run: MoveNet MultiPose (onnxruntime, 256 input) via ``MoveNet.detect``.
MediaPipe's own Python pipeline cannot be the peer: its legacy API needs numpy < 2.

The frames are the GolfDB test swing (354x492) scaled to the target height and centred on a
grey canvas, so the person is large, as in a real swing video.

    .venv/bin/python benchmarks/pose_fps.py [--frames 60] [--threads 2]

The machine is shared: compare ratios measured in one run, not figures between runs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIDELINE_SHARED_DATA", REPO / ".." / "shared" / "data")).resolve()


def canvas_frames(count: int, width: int, height: int) -> list[np.ndarray]:
    from sideline.vision.decode import iter_frames

    frames = []
    for index, _, image in iter_frames(DATA / "video" / "golfdb_test_video.mp4"):
        if index < 60:  # start just before the swing so tracking sees motion
            continue
        scaled = Image.fromarray(image).resize((round(image.shape[1] * height / image.shape[0]), height), Image.BILINEAR)
        canvas = np.full((height, width, 3), 128, np.uint8)
        x0 = (width - scaled.width) // 2
        canvas[:, x0:x0 + scaled.width] = np.asarray(scaled)
        frames.append(canvas)
        if len(frames) == count:
            break
    return frames


def per_second(run, frames: list[np.ndarray]) -> float:
    run(frames[0])  # warm-up (first-call allocations, detector run)
    start = time.perf_counter()
    for frame in frames:
        run(frame)
    return len(frames) / (time.perf_counter() - start)


def decode_fps(width: int, height: int, count: int) -> float:
    """Decode cost of an H.264 clip at this size (written once to /tmp with PyAV)."""
    import av

    path = Path(f"/tmp/sideline_pose_bench_{height}p.mp4")
    if not path.exists():
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for frame in canvas_frames(count, width, height):
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    from sideline.vision.decode import iter_frames

    start = time.perf_counter()
    decoded = sum(1 for _ in iter_frames(path))
    return decoded / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from sideline.vision.pose.blazepose import BlazePose
    from sideline.vision.pose.movenet import MoveNet

    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else "?"
    print(f"pose fps, {args.frames} frames per case, {args.threads} threads, {os.cpu_count()} CPUs visible, load {load}")
    movenet = MoveNet(num_threads=args.threads)
    for label, (width, height) in {"720p": (1280, 720), "1080p": (1920, 1080)}.items():
        frames = canvas_frames(args.frames, width, height)
        peer = per_second(movenet.detect, frames)
        print(f"{label}: decode (PyAV, rgb24) {decode_fps(width, height, args.frames):6.1f} fps;"
              f" peer MoveNet-256 {peer:5.1f} fps")
        for variant in ("lite", "full", "heavy"):
            model = BlazePose(variant, num_threads=args.threads)
            fps = per_second(model.track, frames)
            detect_fps = per_second(model.detect, frames[:10])  # detector + landmarks every frame
            print(f"{label}: BlazePose {variant:5s} tracking {fps:5.1f} fps (x{fps / peer:.2f} MoveNet);"
                  f" detector every frame {detect_fps:5.1f} fps")


if __name__ == "__main__":
    main()
