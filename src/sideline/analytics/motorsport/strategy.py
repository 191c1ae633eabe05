"""Strategy analysis from the laps and pit-stop tables (pure, no I/O): tyre degradation per
stint, pit-stop time loss, undercut / overcut detection.

Degradation: per stint, the clean laps' (``analysis.with_flags``) lap times are fuel-corrected
(a car is ``FUEL_S_PER_LAP`` slower for every lap of fuel it still carries: ~1.7 kg/lap x
~0.035 s/kg) and regressed on tyre age by least squares; the slope is the degradation in s/lap
with a 95 % confidence interval from Student's t (fewer than ``MIN_STINT_LAPS`` clean laps: no
slope).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from sideline.analytics.motorsport.analysis import with_flags

FUEL_S_PER_LAP = 0.06
MIN_STINT_LAPS = 4
CONFIDENCE = 0.95
UNDERCUT_MAX_GAP_S = 6.0  # the car behind must be this close before it pits to be attacking
UNDERCUT_MAX_LAPS = 10  # the car ahead must answer within this many laps


def degradation(laps: pl.DataFrame, total_laps: int | None = None) -> list[dict[str, Any]]:
    """One row per stint (a driver's run of laps between pit stops): compound, laps, clean laps,
    ``slope`` (s per lap of tyre age, fuel-corrected), ``ci_low``/``ci_high``, ``raw_slope``."""
    flagged = with_flags(laps)
    total = total_laps or int(flagged["lap"].max() or 0)
    # a stint starts on lap 1 and after every pit in-lap
    flagged = flagged.sort("driver", "lap").with_columns(
        pl.col("pit_in").fill_null(False).cast(pl.Int32).cum_sum().shift(1, fill_value=0).over("driver")
        .alias("stint_index"))
    flagged = flagged.with_columns(
        (pl.col("lap_time") - FUEL_S_PER_LAP * (total - pl.col("lap"))).alias("fuel_corrected"),
        pl.col("tyre_age").fill_null(pl.col("lap") - pl.col("lap").min().over("driver", "stint_index") + 1)
        .alias("age"))
    rows = []
    for (driver, index), stint in flagged.group_by("driver", "stint_index", maintain_order=True):
        clean = stint.filter(pl.col("clean"))
        row = {"driver": driver, "stint": int(index) + 1, "compound": stint["compound"].drop_nulls().mode().first()
               if stint["compound"].drop_nulls().len() else None,
               "lap_start": int(stint["lap"].min()), "lap_end": int(stint["lap"].max()), "laps": stint.height,
               "clean_laps": clean.height, "slope": None, "ci_low": None, "ci_high": None, "raw_slope": None,
               "median_lap": None}
        if clean.height >= MIN_STINT_LAPS and clean["age"].n_unique() > 2:
            age = clean["age"].to_numpy().astype(float)
            row.update(_fit(age, clean["fuel_corrected"].to_numpy()))
            row["raw_slope"] = round(float(np.polyfit(age, clean["lap_time"].to_numpy(), 1)[0]), 4)
            row["median_lap"] = round(float(clean["lap_time"].median()), 3)
        rows.append(row)
    return sorted(rows, key=lambda r: (_number_key(r["driver"]), r["stint"]))


def _fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from scipy import stats  # here: scipy.stats takes ~1 s to import, which every server start would pay

    fit = stats.linregress(x, y)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(x) - 2) * fit.stderr
    return {"slope": round(float(fit.slope), 4), "ci_low": round(float(fit.slope - half), 4),
            "ci_high": round(float(fit.slope + half), 4)}


def pit_loss(laps: pl.DataFrame, pit_stops: pl.DataFrame) -> list[dict[str, Any]]:
    """Per stop: time lost = in-lap + out-lap - 2 x the driver's median clean lap. Stops whose
    in- or out-lap ran under a safety car / VSC are flagged ``neutralised`` (they cost less)."""
    flagged = with_flags(laps)
    reference = flagged.filter(pl.col("clean")).group_by("driver").agg(pl.col("lap_time").median().alias("ref"))
    in_laps = flagged.select("driver", pl.col("lap").alias("in_lap"), pl.col("lap_time").alias("in_time"),
                             pl.col("neutralised").alias("in_neutralised"))
    out_laps = flagged.select("driver", (pl.col("lap") - 1).alias("in_lap"), pl.col("lap_time").alias("out_time"),
                              pl.col("neutralised").alias("out_neutralised"))
    stops = pit_stops.select("driver", "stop", pl.col("lap").alias("in_lap"), "pit_lane_time")
    joined = (stops.join(in_laps, on=["driver", "in_lap"], how="left")
              .join(out_laps, on=["driver", "in_lap"], how="left").join(reference, on="driver", how="left"))
    joined = joined.with_columns(
        (pl.col("in_time") + pl.col("out_time") - 2 * pl.col("ref")).round(3).alias("time_lost"),
        (pl.col("in_neutralised").fill_null(False) | pl.col("out_neutralised").fill_null(False)).alias("neutralised"),
        # lap 1 has no lap time: the loss is unknown then
    ).rename({"in_lap": "lap", "ref": "reference_lap"})
    return sorted(joined.to_dicts(), key=lambda r: (_number_key(r["driver"]), r["stop"]))


def undercuts(laps: pl.DataFrame, pit_stops: pl.DataFrame) -> list[dict[str, Any]]:
    """Pairs where the car behind (``attacker``, within ``UNDERCUT_MAX_GAP_S`` at the line
    before its stop) pitted first and the car ahead (``defender``) answered within
    ``UNDERCUT_MAX_LAPS`` laps, both under green. ``result``: ``undercut`` when the attacker
    came out ahead once both had stopped, ``overcut`` when the defender stayed ahead."""
    flagged = with_flags(laps)
    ends = flagged.select("driver", "lap", "t_end", "position", "neutralised")
    stops = pit_stops.select("driver", "lap").sort("lap")
    by_driver = {d: sorted(g["lap"].to_list()) for (d,), g in stops.group_by("driver")}
    position = {(r["driver"], r["lap"]): r for r in ends.to_dicts()}
    by_place = {(r["lap"], r["position"]): r for r in position.values()}
    neutral_laps = set(flagged.filter(pl.col("neutralised"))["lap"].to_list())
    found = []
    for stop in stops.to_dicts():  # loop over pit stops (a few dozen)
        attacker, lap = stop["driver"], stop["lap"]
        before = position.get((attacker, lap - 1))
        if before is None or before["position"] in (None, 1) or lap in neutral_laps:
            continue
        ahead = by_place.get((lap - 1, before["position"] - 1))
        if ahead is None or before["t_end"] - ahead["t_end"] > UNDERCUT_MAX_GAP_S:
            continue
        defender = ahead["driver"]
        answer = next((s for s in by_driver.get(defender, []) if lap < s <= lap + UNDERCUT_MAX_LAPS), None)
        if answer is None or any(lp in neutral_laps for lp in range(lap, answer + 2)):
            continue
        after_a, after_d = position.get((attacker, answer + 1)), position.get((defender, answer + 1))
        if after_a is None or after_d is None:
            continue
        gained = after_a["t_end"] < after_d["t_end"]
        found.append({"attacker": attacker, "defender": defender, "attacker_pit_lap": lap, "defender_pit_lap": answer,
                      "gap_before": round(before["t_end"] - ahead["t_end"], 3),
                      "gap_after": round(after_a["t_end"] - after_d["t_end"], 3),
                      "result": "undercut" if gained else "overcut"})
    return found


def _number_key(number: str) -> tuple[int, str]:
    return (int(number) if number.isdigit() else 10_000, number)
