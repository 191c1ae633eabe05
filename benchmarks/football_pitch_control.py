#!/usr/bin/env python3
"""Pitch-control benchmark: the compiled model against the straightforward per-cell one.

On the SkillCorner match (Bayern v Dortmund, 10 Hz broadcast tracking), 105 x 68 grid at 1 m:

- compiled (``sideline.analytics.football.pitch_control``, a Numba kernel): ms per frame and
  the whole match's extrapolated wall time, over the first half's frames with players (or an
  evenly spaced sample of them with ``--sample N``, extrapolated and labelled), for both
  integrators with 1 and 2 threads (``numba.set_num_threads`` via ``workers``); the first
  call's compile (or cache load) time is printed; with ``--old REV`` the kernel as committed
  at git revision REV is timed in the same run, leg by leg next to the current one (an old
  NumPy kernel gets its threads from a pool of Python threads, each on part of the frames);
- per-cell reference (Laurie Shaw's ``calculate_pitch_control_at_target`` ported in
  ``tests/football/test_pitch_control_reference.py``): timed on ``--reference-frames`` frames
  only and extrapolated (labelled), and the values of both compared on those frames.

    .venv/bin/python benchmarks/football_pitch_control.py [--sample 1500] [--reference-frames 2] [--old HEAD]

Wall time and this process's CPU time are both printed: on a shared machine the CPU time is
the steadier figure.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import sideline.analytics.football.pitch_control as pitch_control_module  # noqa: E402
from sideline.analytics.football.pitch_control import (  # noqa: E402
    PitchControlParams, estimate_velocities, pitch_control, pitch_grid, summarise_control,
)
from sideline.ingest.football import load_match  # noqa: E402
from tests.football.test_pitch_control_reference import reference_for_frame  # noqa: E402


def shared_data() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data")).resolve()


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


KERNEL = "src/sideline/analytics/football/pitch_control_model.py"


def kernel_at(revision: str):
    """The kernel module as committed at ``revision`` (read with ``git show``), to time it."""
    source = subprocess.run(["git", "show", f"{revision}:{KERNEL}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path("/tmp") / f"pitch_control_model_{revision.replace('/', '_')}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pitch_control_model_old", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def kernel(module):
    """Run ``pitch_control`` with another kernel's ``control_surfaces`` and parameters."""
    if module is None:
        yield PitchControlParams
        return
    saved = pitch_control_module.control_surfaces
    pitch_control_module.control_surfaces = lambda *args, threads=None: module.control_surfaces(*args)
    try:
        yield module.PitchControlParams
    finally:
        pitch_control_module.control_surfaces = saved


def summarise(tracking, frames, workers: int, old: bool, **options):
    """Home share of the pitch over ``frames``: the current kernel threads itself; an old one runs on
    ``workers`` Python threads, each summarising an interleaved part of the frames."""
    if not old:
        return summarise_control(tracking, frames, workers=workers, **options).home_share
    parts = [frames[k::workers] for k in range(workers)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        summaries = list(pool.map(lambda part: summarise_control(tracking, part, **options), parts))
    return sum(s.home_share * s.n_frames for s in summaries) / sum(s.n_frames for s in summaries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1500, help="frames of the first half to time (0 = all)")
    parser.add_argument("--reference-frames", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--old", default=None, help="also time the kernel committed at this git revision")
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
    _, compile_s, _ = timed(lambda: pitch_control(tracking, frames[:1], velocities=velocities, grid=grid))
    print(f"first call (compile, or load from Numba's cache): {compile_s:.2f} s")

    kernels = {"current": None} | ({f"as of {args.old}": kernel_at(args.old)} if args.old else {})
    per_frame, cpu_per_frame = {}, {}
    for integrator in ("exponential", "euler"):
        for workers in (1, 2):
            for name, module in kernels.items():  # legs side by side: the load is the same
                with kernel(module) as params:
                    home_share, wall, cpu = timed(lambda: summarise(
                        tracking, frames, workers, module is not None, velocities=velocities, grid=grid,
                        batch_size=args.batch_size, params=params(integrator=integrator)))
                per_frame[integrator, workers, name] = wall / len(frames)
                cpu_per_frame[integrator, workers, name] = cpu / len(frames)
                print(f"{integrator}, {workers} thread(s), {name} kernel [{label}]: "
                      f"{1000 * wall / len(frames):.1f} ms/frame wall, {1000 * cpu / len(frames):.1f} ms/frame CPU; "
                      f"whole match {all_frames * wall / len(frames) / 60:.1f} min wall (extrapolated); "
                      f"home controls {home_share:.1%}; load average {os.getloadavg()[0]:.2f}")
    for integrator, workers in ((i, w) for i in ("exponential", "euler") for w in (1, 2)):
        for name in list(kernels)[1:]:
            print(f"speed-up over the kernel {name}, {integrator}, {workers} thread(s): "
                  f"{per_frame[integrator, workers, name] / per_frame[integrator, workers, 'current']:.2f}x wall, "
                  f"{cpu_per_frame[integrator, workers, name] / cpu_per_frame[integrator, workers, 'current']:.2f}x CPU")

    picks = frames[np.linspace(0, len(frames) - 1, args.reference_frames).astype(int)]
    # The reference takes Shaw's explicit Euler step: compare it with the same integrator.
    ours, ours_wall, _ = timed(lambda: pitch_control(tracking, picks, velocities=velocities, grid=grid, workers=1,
                                                     params=PitchControlParams(integrator="euler")))
    worst, off = 0.0, 0
    started = time.perf_counter()
    for k, frame in enumerate(picks):
        ref_home, ref_away = reference_for_frame(tracking, velocities, int(frame), grid.points())
        diff = np.maximum(np.abs(ours.home[k].ravel() - ref_home), np.abs(ours.away[k].ravel() - ref_away))
        worst, off = max(worst, float(diff.max())), off + int((diff > 1e-3).sum())
    ref_per_frame = (time.perf_counter() - started) / len(picks)
    print(f"per-cell reference [timed on {len(picks)} frames, extrapolated]: {ref_per_frame:.2f} s/frame, "
          f"whole match {all_frames * ref_per_frame / 3600:.1f} h; same frames compiled {1000 * ours_wall / len(picks):.0f} ms/frame")
    print(f"agreement on {len(picks)} frames x {grid.shape[0] * grid.shape[1]} cells: max |difference| {worst:.2e}, "
          f"cells off by more than 1e-3: {off}")
    print(f"ratio per-cell / compiled, Euler step (1 thread): {ref_per_frame / per_frame['euler', 1, 'current']:.0f}x; "
          f"(2 threads): {ref_per_frame / per_frame['euler', 2, 'current']:.0f}x")


if __name__ == "__main__":
    main()
