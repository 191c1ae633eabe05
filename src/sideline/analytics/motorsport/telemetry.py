"""Car telemetry analysis (pure, no I/O) on the ``ingest.telemetry_csv`` table: traces over lap
distance, a track map from GPS coloured by speed or gear, and two laps compared with a
time-delta trace.

Lap time of a lap = the time between two line crossings, each estimated from the lap's first
sample (its distance into the lap over its speed), which is finer than the ~1 Hz samples. The time-delta trace interpolates each lap's elapsed time at
common distances: ``delta(d) = t_b(d) - t_a(d)`` (positive: lap b is behind lap a there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from sideline.errors import InvalidInput

EARTH_RADIUS_M = 6_371_000.0
TRACES = ("speed", "throttle", "brake", "gear", "rpm")
COLOUR_BY = ("speed", "gear", "throttle", "brake")


def lap_table(telemetry: pl.DataFrame) -> pl.DataFrame:
    """``lap, samples, start_t, lap_time, top_speed, distance`` per lap (the last lap has no end)."""
    # the line was crossed distance / speed before a lap's first sample (samples are ~1 s apart)
    first = pl.col("t").sort_by("t").first() - pl.col("distance").sort_by("t").first() \
        / (pl.col("speed").sort_by("t").first() / 3.6).clip(lower_bound=1.0)
    laps = telemetry.group_by("lap").agg(pl.len().alias("samples"), first.alias("start_t"),
                                         pl.col("speed").max().alias("top_speed"),
                                         pl.col("distance").max().alias("distance")).sort("lap")
    return laps.with_columns((pl.col("start_t").shift(-1) - pl.col("start_t")).alias("lap_time"))


def _lap(telemetry: pl.DataFrame, lap: int) -> pl.DataFrame:
    rows = telemetry.filter(pl.col("lap") == lap).sort("t")
    if rows.height < 2:
        raise InvalidInput(f"telemetry: lap {lap} has {rows.height} samples (laps {telemetry['lap'].min()}-"
                           f"{telemetry['lap'].max()})")
    return rows


def lap_traces(telemetry: pl.DataFrame, lap: int) -> dict[str, Any]:
    """Speed, throttle, brake, gear and rpm against lap distance for one lap."""
    rows = _lap(telemetry, lap)
    return {"lap": lap, "distance": rows["distance"].to_list(),
            **{c: rows[c].to_list() for c in TRACES if c in rows.columns}}


def track_map(telemetry: pl.DataFrame, lap: int, colour_by: str = "speed") -> dict[str, Any]:
    """x/y in metres (east/north of the lap's mean position, equirectangular: exact enough over a
    few km) and the value to colour each point by."""
    if colour_by not in COLOUR_BY:
        raise InvalidInput(f"telemetry: cannot colour by {colour_by!r}; use one of {', '.join(COLOUR_BY)}")
    rows = _lap(telemetry, lap).filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    lat, lon = np.radians(rows["lat"].to_numpy()), np.radians(rows["lon"].to_numpy())
    x = (lon - lon.mean()) * np.cos(lat.mean()) * EARTH_RADIUS_M
    y = (lat - lat.mean()) * EARTH_RADIUS_M
    return {"lap": lap, "colour_by": colour_by, "x": np.round(x, 1).tolist(), "y": np.round(y, 1).tolist(),
            "value": rows[colour_by].to_list()}


def compare_laps(telemetry: pl.DataFrame, lap_a: int, lap_b: int, step_m: float = 10.0) -> dict[str, Any]:
    """Both laps' speed over a common distance grid and the time delta of b against a."""
    a, b = _lap(telemetry, lap_a), _lap(telemetry, lap_b)
    laps = lap_table(telemetry)
    ends = dict(zip(laps["lap"].to_list(), laps["lap_time"].to_list(), strict=True))

    def elapsed(rows: pl.DataFrame, lap: int) -> tuple[np.ndarray, np.ndarray]:
        # close the lap at its full length so the delta at the line equals the lap-time difference
        start = float(laps.filter(pl.col("lap") == lap)["start_t"][0])
        d, t = rows["distance"].to_numpy(), rows["t"].to_numpy() - start
        d, t = np.insert(d, 0, 0.0), np.insert(t, 0, 0.0)
        if ends.get(lap) is not None:
            d, t = np.append(d, max(d.max(), a["distance"].max(), b["distance"].max())), np.append(t, ends[lap])
        order = np.argsort(d, kind="stable")
        return d[order], t[order]

    da, ta = elapsed(a, lap_a)
    db, tb = elapsed(b, lap_b)
    grid = np.arange(max(da[0], db[0]), min(da[-1], db[-1]) + 1e-9, step_m)
    delta = np.interp(grid, db, tb) - np.interp(grid, da, ta)
    return {"lap_a": lap_a, "lap_b": lap_b, "distance": np.round(grid, 1).tolist(),
            "speed_a": np.round(np.interp(grid, a["distance"].to_numpy(), a["speed"].to_numpy()), 1).tolist(),
            "speed_b": np.round(np.interp(grid, b["distance"].to_numpy(), b["speed"].to_numpy()), 1).tolist(),
            "delta": np.round(delta, 3).tolist(), "lap_time_a": ends.get(lap_a), "lap_time_b": ends.get(lap_b)}
