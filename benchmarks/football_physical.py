#!/usr/bin/env python3
"""Physical metrics benchmark: the full SkillCorner match (68,101 frames, 10 Hz), end to end from
the raw files to every physical metric for every player, against peers doing the same work in
the same run.

- sideline: ``load_match`` (native SkillCorner reader) -> ``compute_kinematics`` -> summaries by
  match, period and 5-min window, sprints.
- kloppy + floodlight: ``kloppy.skillcorner.load`` -> STATIC_HOME_AWAY -> data frame -> floodlight
  XY -> Savitzky–Golay filter, distance, velocity, acceleration, metabolic power models, speed
  zone distances per player.
- kloppy + databallpy (only when ``DATABALLPY_PYTHON`` names an interpreter with databallpy and
  kloppy: databallpy pins numpy < 2.3, so it lives in its own venv, e.g.
  ``python3 -m venv /tmp/databallpy-venv && /tmp/databallpy-venv/bin/pip install databallpy kloppy``):
  ``get_game_from_kloppy`` -> ``add_velocity`` (Savitzky–Golay) -> ``add_acceleration`` ->
  ``get_covered_distance`` per speed zone. Run as a subprocess that prints its stage times.

    .venv/bin/python benchmarks/football_physical.py [--data ../shared/data]

The machine is shared: compare ratios measured in one run, not figures between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MATCH = "football/tracking/skillcorner_bayern_dortmund_2019"
ZONES_KMH = (7.2, 14.4, 19.8, 25.2)

DATABALLPY_LEG = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
from kloppy import skillcorner
dataset = skillcorner.load(meta_data=sys.argv[1], raw_data=sys.argv[2], coordinates="secondspectrum")
# databallpy's schema rejects a ball further than 45 m from the centre line sideways (broadcast
# tracking has some): drop those ball positions, the players are what is measured here.
for frame in dataset.frames:
    if frame.ball_coordinates is not None and abs(frame.ball_coordinates.y) > 44.0:
        frame.ball_coordinates = None
t1 = time.perf_counter()
from databallpy.utils.get_game import get_game_from_kloppy
game = get_game_from_kloppy(tracking_dataset=dataset)
t2 = time.perf_counter()
td = game.tracking_data
ids = [c[:-2] for c in td.columns if c.endswith("_x") and c != "ball_x"]
td.add_velocity(column_ids=ids, filter_type="savitzky_golay", window_length=9, polyorder=2, max_velocity=12.0)
td.add_acceleration(column_ids=ids, filter_type="savitzky_golay", window_length=9, polyorder=2)
edges = [0.0] + [v / 3.6 for v in (7.2, 14.4, 19.8, 25.2)] + [12.0]
zones = tuple((lo, hi) for lo, hi in zip(edges[:-1], edges[1:]))
covered = td.get_covered_distance(column_ids=ids, velocity_intervals=zones, acceleration_intervals=((3.0, 99.0), (-99.0, -3.0)))
t3 = time.perf_counter()
print(json.dumps({"kloppy_load_s": t1 - t0, "to_databallpy_s": t2 - t1, "metrics_s": t3 - t2, "total_s": t3 - t0,
                  "players": len(ids), "distance_m": float(covered.iloc[:, 0].sum())}))
"""


def sideline_leg(meta: Path, raw: Path) -> dict:
    from sideline.analytics.football.physical import compute_kinematics, physical_summary, sprints
    from sideline.ingest.football import load_match

    t0 = time.perf_counter()
    match = load_match("skillcorner", {"meta_data": meta, "raw_data": raw})
    t1 = time.perf_counter()
    kinematics = compute_kinematics(match.tracking)
    t2 = time.perf_counter()
    summaries = {by: physical_summary(match.tracking, kinematics=kinematics, by=by) for by in ("match", "period", "window")}
    sprint_rows = sprints(match.tracking, kinematics=kinematics)
    t3 = time.perf_counter()
    return {"load_s": t1 - t0, "kinematics_s": t2 - t1, "summaries_s": t3 - t2, "total_s": t3 - t0,
            "players": summaries["match"].height, "rows": sum(s.height for s in summaries.values()),
            "sprints": sprint_rows.height, "distance_m": float(summaries["match"]["distance_m"].sum())}


def floodlight_leg(meta: Path, raw: Path) -> dict:
    from floodlight import XY
    from floodlight.models.kinematics import AccelerationModel, DistanceModel, VelocityModel
    from floodlight.models.kinetics import MetabolicPowerModel
    from floodlight.transforms.filter import savgol_lowpass
    from kloppy import skillcorner

    t0 = time.perf_counter()
    dataset = skillcorner.load(meta_data=str(meta), raw_data=str(raw), coordinates="secondspectrum")
    dataset = dataset.transform(to_orientation="STATIC_HOME_AWAY")
    t1 = time.perf_counter()
    frame = dataset.to_df(engine="pandas")
    player_columns = [c[:-2] for c in frame.columns if c.endswith("_x") and not c.startswith("ball")]
    xy = XY(np.stack([frame[f"{p}_{axis}"].to_numpy(np.float64) for p in player_columns for axis in "xy"], axis=1),
            framerate=dataset.metadata.frame_rate)
    t2 = time.perf_counter()
    smooth = savgol_lowpass(xy, window_length=9, poly_order=2)
    distance = DistanceModel()
    distance.fit(smooth)
    velocity = VelocityModel()
    velocity.fit(smooth)
    acceleration = AccelerationModel()
    acceleration.fit(smooth)
    power = MetabolicPowerModel()
    power.fit(smooth)
    step = distance.distance_covered().property
    zone = np.digitize(np.nan_to_num(velocity.velocity().property, nan=-1.0), np.array(ZONES_KMH) / 3.6)
    zone_m = [np.nansum(np.where(zone == i, step, 0.0), axis=0) for i in range(len(ZONES_KMH) + 1)]
    mean_power = np.nanmean(power.metabolic_power().property, axis=0)
    t3 = time.perf_counter()
    return {"kloppy_load_s": t1 - t0, "to_floodlight_s": t2 - t1, "metrics_s": t3 - t2, "total_s": t3 - t0,
            "players": len(player_columns), "distance_m": float(np.nansum(step)), "zones": len(zone_m),
            "power_players": int(np.isfinite(mean_power).sum())}


def databallpy_leg(meta: Path, raw: Path) -> dict | None:
    python = os.environ.get("DATABALLPY_PYTHON")
    if not python:
        print("databallpy: skipped (set DATABALLPY_PYTHON to an interpreter with databallpy and kloppy)")
        return None
    done = subprocess.run([python, "-c", DATABALLPY_LEG, str(meta), str(raw)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        print(f"databallpy: failed ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    args = parser.parse_args()
    folder = args.data / MATCH
    meta, raw = folder / "skillcorner_match_data.json", folder / "skillcorner_structured_data.json"
    if not raw.is_file():
        sys.exit(f"SkillCorner match not found under {folder}")
    print(f"== {time.strftime('%Y-%m-%dT%H:%M:%S')}  cpus: {os.cpu_count()}  load average: "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3]) if Path('/proc/loadavg').exists() else '?'}")

    ours = sideline_leg(meta, raw)
    print(f"sideline:            load {ours['load_s']:6.2f} s  kinematics {ours['kinematics_s']:5.2f} s  "
          f"summaries+sprints {ours['summaries_s']:5.2f} s  total {ours['total_s']:6.2f} s  "
          f"({ours['players']} players, {ours['rows']} rows, {ours['sprints']} sprints)")
    peer = floodlight_leg(meta, raw)
    print(f"kloppy + floodlight: load {peer['kloppy_load_s']:6.2f} s  to XY {peer['to_floodlight_s']:5.2f} s  "
          f"metrics {peer['metrics_s']:5.2f} s  total {peer['total_s']:6.2f} s  ({peer['players']} players)")
    print(f"  ratio end to end: {peer['total_s'] / ours['total_s']:.1f}x;  metrics only "
          f"(floodlight metrics vs kinematics+summaries): {peer['metrics_s'] / (ours['kinematics_s'] + ours['summaries_s']):.1f}x;  "
          f"load only (kloppy vs load_match): {peer['kloppy_load_s'] / ours['load_s']:.1f}x")
    other = databallpy_leg(meta, raw)
    if other:
        print(f"kloppy + databallpy: load {other['kloppy_load_s']:6.2f} s  to game {other['to_databallpy_s']:5.2f} s  "
              f"metrics {other['metrics_s']:5.2f} s  total {other['total_s']:6.2f} s  ({other['players']} players)")
        print(f"  ratio end to end: {other['total_s'] / ours['total_s']:.1f}x;  metrics only: "
              f"{other['metrics_s'] / (ours['kinematics_s'] + ours['summaries_s']):.1f}x")


if __name__ == "__main__":
    main()
