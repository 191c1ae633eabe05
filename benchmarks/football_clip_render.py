#!/usr/bin/env python3
"""Clip rendering benchmark: 60 s of a real match (SkillCorner Bayern v Dortmund, 2019) rendered
by ``sideline.vision.pitch_render.render_clip`` to H.264 MP4 at 1280x720 / 25 fps.

Prints the render time, frames rendered per second and the ratio against real time (how many
seconds of clip per second of rendering). Measured side by side in the same run, the floor:
the same number of frames of the static pitch through the same encoder settings, so the cost
of drawing (interpolation, trails, discs, clock) is the difference.

    .venv/bin/python benchmarks/football_clip_render.py [--start 1620] [--seconds 60] [--width 1280] [--fps 25]

The data folder comes from SIDELINE_SHARED_DATA (default ../shared/data from the repo root).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sideline.ingest.football import load_match  # noqa: E402
from sideline.vision.mp4_writer import Mp4Writer  # noqa: E402
from sideline.vision.pitch_drawing import draw_background, pitch_layout  # noqa: E402
from sideline.vision.pitch_render import render_clip  # noqa: E402

MATCH = "football/tracking/skillcorner_bayern_dortmund_2019"


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", type=float, default=1620.0,
                        help="clip start on the match timeline, s (default: a minute tracked almost throughout)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()

    folder = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT.parent / "shared" / "data")) / MATCH
    if not folder.is_dir():
        sys.exit(f"shared data not found at {folder} (set SIDELINE_SHARED_DATA)")
    match, load_s, _ = timed(lambda: load_match("skillcorner", {
        "meta_data": folder / "skillcorner_match_data.json", "raw_data": folder / "skillcorner_structured_data.json"}))
    tracking = match.tracking
    start, end = args.start, args.start + args.seconds
    window = (tracking.timeline >= start) & (tracking.timeline <= end)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}; Python {platform.python_version()}")
    print(f"match loaded in {load_s:.1f} s: {tracking.n_frames} frames; clip {start:.0f}-{end:.0f} s has "
          f"{window.sum()} tracking frames, {tracking.observed[window].sum(axis=1).mean():.1f} players seen per frame")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.mp4"
        result, render_wall, render_cpu = timed(lambda: render_clip(
            tracking, start, end, out, width=args.width, fps=args.fps, title="FC Bayern München v Borussia Dortmund"))

        layout = pitch_layout(tracking.meta, args.width)
        background = draw_background(layout, "FC Bayern München v Borussia Dortmund")

        def encode_static() -> int:
            with Mp4Writer(Path(tmp) / "static.mp4", layout.width, layout.height, args.fps) as writer:
                for _ in range(result.frames):
                    writer.write(background)
            return writer.frames

        _, floor_wall, floor_cpu = timed(encode_static)

    print(f"render_clip: {result.frames} frames {result.width}x{result.height} @ {args.fps} fps "
          f"({result.duration_s:.0f} s of clip, {result.bytes / 1e6:.2f} MB)")
    print(f"  render time {render_wall:.1f} s wall, {render_cpu:.1f} s CPU -> "
          f"{result.frames / render_wall:.1f} frames/s, {result.duration_s / render_wall:.2f}x real time")
    print("  peer, the encoder floor (static pitch: RGB->yuv420p + x264, same frames and settings; a lower bound):")
    print(f"    {floor_wall:.1f} s wall, {floor_cpu:.1f} s CPU -> {result.frames / floor_wall:.1f} frames/s, "
          f"{result.duration_s / floor_wall:.2f}x real time")
    print(f"  drawing overhead over the encoder floor: {render_wall / floor_wall:.2f}x wall, "
          f"{render_cpu / floor_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
