#!/usr/bin/env python3
"""Pitch-control benchmark: the vectorised model against the straightforward per-cell one.

On the SkillCorner match (Bayern v Dortmund, 10 Hz broadcast tracking), 105 x 68 grid at 1 m:

- vectorised (``sideline.analytics.football.pitch_control``): ms per frame and frames per
  second over the first half's frames with players (or an evenly spaced sample of them with
  ``--sample N``, extrapolated and labelled), with 1 and 2 worker threads;
- per-cell reference (Laurie Shaw's ``calculate_pitch_control_at_target`` ported in
  ``tests/football/test_pitch_control_reference.py``): timed on ``--reference-frames`` frames
  only and extrapolated (labelled), and the values of both compared on those frames.

    .venv/bin/python benchmarks/football_pitch_control.py [--sample 1500] [--reference-frames 2]

Wall time and this process's CPU time are both printed: on a shared machine the CPU time is
the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from sideline.analytics.football.pitch_control import (  # noqa: E402
    estimate_velocities, pitch_control, pitch_grid, summarise_control,
)
from sideline.ingest.football import load_match  # noqa: E402
from tests.football.test_pitch_control_reference import reference_for_frame  # noqa: E402


def shared_data() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data")).resolve()


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1500, help="frames of the first half to time (0 = all)")
    parser.add_argument("--reference-frames", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    folder = shared_data() / "football" / "tracking" / "skillcorner_bayern_dortmund_2019"
    match, load_s, _ = timed(lambda: load_match("skillcorner", {"meta_data": folder / "skillcorner_match_data.json",
                                                                "raw_data": folder / "skillcorner_structured_data.json"}))
    tracking = match.tracking
    velocities, vel_s, _ = timed(lambda: estimate_velocities(tracking))
    grid = pitch_grid(tracking)
    with_players = tracking.observed.any(axis=1)
    half = np.flatnonzero(with_players & (tracking.period == 1))
    all_frames = int(with_players.sum())
    frames = half if args.sample <= 0 or args.sample >= len(half) else half[np.linspace(0, len(half) - 1, args.sample).astype(int)]
    label = "whole first half" if len(frames) == len(half) else f"sample of {len(frames)} evenly spaced first-half frames, extrapolated"
    print(f"load {load_s:.1f} s, velocities {vel_s:.2f} s; grid {grid.shape[1]} x {grid.shape[0]} cells; "
          f"first half {len(half)} frames with players, match {all_frames}; "
          f"players seen per timed frame {tracking.observed[frames].sum(axis=1).mean():.1f}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    per_frame = {}
    for workers in (1, 2):
        summary, wall, cpu = timed(lambda: summarise_control(tracking, frames, velocities=velocities, grid=grid,
                                                             batch_size=args.batch_size, workers=workers))
        per_frame[workers] = wall / len(frames)
        print(f"vectorised, {workers} thread(s) [{label}]: {1000 * wall / len(frames):.1f} ms/frame wall, "
              f"{1000 * cpu / len(frames):.1f} ms/frame CPU, {len(frames) / wall:.1f} frames/s; "
              f"whole half {len(half) * wall / len(frames) / 60:.1f} min, whole match {all_frames * wall / len(frames) / 60:.1f} min "
              f"(extrapolated); home controls {summary.home_share:.1%} of the pitch")

    picks = frames[np.linspace(0, len(frames) - 1, args.reference_frames).astype(int)]
    ours, ours_wall, _ = timed(lambda: pitch_control(tracking, picks, velocities=velocities, grid=grid))
    worst, off = 0.0, 0
    started = time.perf_counter()
    for k, frame in enumerate(picks):
        ref_home, ref_away = reference_for_frame(tracking, velocities, int(frame), grid.points())
        diff = np.maximum(np.abs(ours.home[k].ravel() - ref_home), np.abs(ours.away[k].ravel() - ref_away))
        worst, off = max(worst, float(diff.max())), off + int((diff > 1e-3).sum())
    ref_per_frame = (time.perf_counter() - started) / len(picks)
    print(f"per-cell reference [timed on {len(picks)} frames, extrapolated]: {ref_per_frame:.2f} s/frame, "
          f"whole match {all_frames * ref_per_frame / 3600:.1f} h; same frames vectorised {1000 * ours_wall / len(picks):.0f} ms/frame")
    print(f"agreement on {len(picks)} frames x {grid.shape[0] * grid.shape[1]} cells: max |difference| {worst:.2e}, "
          f"cells off by more than 1e-3: {off}")
    print(f"ratio per-cell / vectorised (1 thread): {ref_per_frame / per_frame[1]:.0f}x; (2 threads): {ref_per_frame / per_frame[2]:.0f}x")


if __name__ == "__main__":
    main()
