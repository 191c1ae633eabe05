#!/usr/bin/env python3
"""Pose throughput for swing analysis (issue 5): frames per second of the BlazePose landmark models
(lite / full / heavy, LiteRT, 2 threads) at 720p and 1080p, with MoveNet MultiPose (onnxruntime,
256 input) as the peer measured on the same frames in the same run.

Extends ``benchmarks/pose_fps.py`` (whose golf cases it reuses: the GolfDB swing scaled onto a
720p/1080p canvas, tracking mode = detector on the first frame, then landmarks from the previous
frame's region) with the tennis path of the swing job: the real ATP broadcast clip (1080p, and the
same frames scaled to 720p) with ``PlayerTracker`` following the near player (MoveNet-512 finds him
on the first frame; BlazePose tracks him from its own landmarks), as ``estimate_player`` runs it.
Decoding is timed separately.

    .venv/bin/python benchmarks/swing_pose_fps.py [--frames 60] [--threads 2]

The machine is shared: compare ratios from one run; the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pose_fps import DATA, canvas_frames, decode_fps, per_second  # noqa: E402

RALLY = DATA / "video" / "tennis_atp_rally_artlabss_input3.mp4"


def rally_frames(count: int, height: int) -> list[np.ndarray]:
    from sideline.vision.decode import iter_frames

    frames = []
    for _, _, image in iter_frames(RALLY):
        if image.shape[0] != height:
            image = np.asarray(Image.fromarray(image).resize((round(image.shape[1] * height / image.shape[0]), height),
                                                             Image.BILINEAR))
        frames.append(image)
        if len(frames) == count:
            break
    return frames


def tracking_fps(make, frames: list[np.ndarray]) -> float:
    """Frames per second of ``make().track`` over the frames, from a fresh tracker (first-frame detection included)."""
    import time

    model = make()
    model.track(frames[0])  # warm-up: first-call allocations
    model.reset()
    start = time.perf_counter()
    for frame in frames:
        model.track(frame)
    return len(frames) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from sideline.vision.pose.blazepose import BlazePose
    from sideline.vision.pose.movenet import MoveNet
    from sideline.vision.pose.players import PlayerTracker

    print(f"swing pose fps, {args.frames} frames per case, {args.threads} threads, {os.cpu_count()} CPUs visible, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    movenet = MoveNet(num_threads=args.threads)
    rows = []
    for label, (width, height) in {"720p": (1280, 720), "1080p": (1920, 1080)}.items():
        golf = canvas_frames(args.frames, width, height)
        tennis = rally_frames(args.frames, height)
        peer_golf = per_second(movenet.detect, golf)
        peer_tennis = per_second(movenet.detect, tennis)
        print(f"{label}: decode (PyAV, rgb24) {decode_fps(width, height, args.frames):6.1f} fps; peer MoveNet-256 "
              f"{peer_golf:5.1f} fps (golf canvas), {peer_tennis:5.1f} fps (broadcast)")
        for variant in ("lite", "full", "heavy"):
            golf_fps = tracking_fps(lambda: BlazePose(variant, num_threads=args.threads), golf)
            tennis_fps = tracking_fps(lambda: PlayerTracker(variant, which="near", num_threads=args.threads), tennis)
            rows.append((label, variant, golf_fps, golf_fps / peer_golf, tennis_fps, tennis_fps / peer_tennis))
            print(f"{label}: BlazePose {variant:5s} golf {golf_fps:5.1f} fps (x{golf_fps / peer_golf:.2f} MoveNet); "
                  f"tennis near player {tennis_fps:5.1f} fps (x{tennis_fps / peer_tennis:.2f} MoveNet)")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    print("\n| input | model | golf fps | vs MoveNet | tennis (near player) fps | vs MoveNet |")
    print("|---|---|---|---|---|---|")
    for label, variant, golf_fps, golf_ratio, tennis_fps, tennis_ratio in rows:
        print(f"| {label} | {variant} | {golf_fps:.1f} | x{golf_ratio:.2f} | {tennis_fps:.1f} | x{tennis_ratio:.2f} |")


if __name__ == "__main__":
    main()
