"""Race analysis from the laps table (``core.timing.LAP_SCHEMA`` columns; pure, no I/O).

Lap chart, lap-by-lap positions, gap to the leader, sector comparison and race pace. Gaps are
computed from the times each car crossed the line (``t_end``), the way a race history chart is
drawn, rather than parsed from the feed's display strings (which turn into "LAP n" for the
leader and "1L" for lapped cars). "Clean" laps exclude lap 1, pit in/out laps, deleted laps,
laps run under a safety car, VSC or red flag, and laps slower than 107 % of the driver's median.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sideline.errors import InvalidInput

NEUTRALISED = ("sc", "vsc", "vsc_ending", "red")
SLOW_LAP_FACTOR = 1.07  # slower than 107 % of the driver's median: traffic, damage, a spin

REQUIRED_COLUMNS = ("driver", "lap", "lap_time", "position", "t_end", "pit_in", "pit_out")


def check_laps(laps: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS if c not in laps.columns]
    if missing:
        raise InvalidInput(f"laps table: missing columns {', '.join(missing)}")
    if "track_status" not in laps.columns:
        laps = laps.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("track_status"))
    if "deleted" not in laps.columns:
        laps = laps.with_columns(pl.lit(False).alias("deleted"))
    return laps


def with_flags(laps: pl.DataFrame) -> pl.DataFrame:
    """Adds ``neutralised`` (any SC/VSC/red during the lap) and ``clean`` (usable for pace)."""
    laps = check_laps(laps)
    neutralised = pl.col("track_status").list.eval(pl.element().is_in(NEUTRALISED)).list.any().fill_null(False)
    laps = laps.with_columns(neutralised.alias("neutralised"))
    candidate = (
        (pl.col("lap") > 1) & pl.col("lap_time").is_not_null() & ~pl.col("pit_in").fill_null(False)
        & ~pl.col("pit_out").fill_null(False) & ~pl.col("deleted").fill_null(False) & ~pl.col("neutralised")
    )
    median = pl.col("lap_time").filter(candidate).median().over("driver")
    return laps.with_columns((candidate & (pl.col("lap_time") <= median * SLOW_LAP_FACTOR)).fill_null(False)
                             .alias("clean"))


def lap_chart(laps: pl.DataFrame) -> list[dict[str, Any]]:
    """Per driver: lap numbers, lap times (s, null for lap 1), and which laps are pit/neutralised."""
    laps = with_flags(laps).sort("driver", "lap")
    out = []
    for (driver,), rows in laps.group_by("driver", maintain_order=True):
        out.append({"driver": driver, "laps": rows["lap"].to_list(), "lap_times": rows["lap_time"].to_list(),
                    "pit": (rows["pit_in"].fill_null(False) | rows["pit_out"].fill_null(False)).to_list(),
                    "neutralised": rows["neutralised"].to_list(), "clean": rows["clean"].to_list()})
    return out


def positions(laps: pl.DataFrame, grid: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Per driver: position at the end of each lap (lap 0 = grid position when given)."""
    laps = check_laps(laps).sort("driver", "lap")
    out = []
    for (driver,), rows in laps.group_by("driver", maintain_order=True):
        lap_numbers, places = rows["lap"].to_list(), rows["position"].to_list()
        if grid and grid.get(driver) is not None:
            lap_numbers, places = [0, *lap_numbers], [grid[driver], *places]
        out.append({"driver": driver, "laps": lap_numbers, "positions": places})
    return out


def gaps_to_leader(laps: pl.DataFrame) -> pl.DataFrame:
    """``driver, lap, gap`` (s): time the car crossed the line at the end of ``lap`` less the
    time the first car to complete that lap did."""
    laps = check_laps(laps).filter(pl.col("t_end").is_not_null())
    return (laps.with_columns((pl.col("t_end") - pl.col("t_end").min().over("lap")).round(3).alias("gap"))
            .select("driver", "lap", "gap").sort("driver", "lap"))


def intervals(laps: pl.DataFrame) -> pl.DataFrame:
    """``driver, lap, position, ahead, interval``: the gap to the car that crossed the line just
    before on the same lap (the crossing order; the feed's position can lag it by a timing point)."""
    laps = check_laps(laps).filter(pl.col("t_end").is_not_null())
    ordered = laps.sort("lap", "t_end")
    return ordered.with_columns(
        pl.col("driver").shift(1).over("lap").alias("ahead"),
        (pl.col("t_end") - pl.col("t_end").shift(1).over("lap")).round(3).alias("interval"),
    ).select("driver", "lap", "position", "ahead", "interval")


def sector_comparison(laps: pl.DataFrame) -> list[dict[str, Any]]:
    """Per driver: best time in each sector (any valid lap), the sum of those (ideal lap), the
    best lap, and the deficit in each sector to the session's best sector."""
    laps = check_laps(laps).filter(~pl.col("deleted").fill_null(False))
    sectors = [c for c in ("sector_1", "sector_2", "sector_3") if c in laps.columns]
    if not sectors:
        raise InvalidInput("laps table: no sector columns")
    best = laps.group_by("driver").agg(*[pl.col(c).min() for c in sectors], pl.col("lap_time").min().alias("best_lap"))
    overall = {c: best[c].min() for c in sectors}
    best = best.with_columns(pl.sum_horizontal(sectors).round(3).alias("ideal_lap"),
                             *[(pl.col(c) - overall[c]).round(3).alias(f"{c}_deficit") for c in sectors])
    return best.sort("ideal_lap", nulls_last=True).to_dicts()


def race_pace(laps: pl.DataFrame) -> list[dict[str, Any]]:
    """Per driver: median, mean and best of clean laps (see module doc), fastest median first."""
    flagged = with_flags(laps)
    clean = flagged.filter(pl.col("clean"))
    pace = clean.group_by("driver").agg(
        pl.len().alias("clean_laps"), pl.col("lap_time").median().round(3).alias("median"),
        pl.col("lap_time").mean().round(3).alias("mean"), pl.col("lap_time").min().alias("best"),
        pl.col("lap_time").std().round(3).alias("std"))
    excluded = flagged.filter(~pl.col("clean")).group_by("driver").agg(pl.len().alias("excluded_laps"))
    pace = pace.join(excluded, on="driver", how="left").with_columns(pl.col("excluded_laps").fill_null(0))
    fastest = pace["median"].min()
    return pace.with_columns((pl.col("median") - fastest).round(3).alias("delta_to_fastest")).sort("median").to_dicts()


def neutralised_windows(race_control: list[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """(start t, end t, kind) of safety car, VSC and red-flag periods from race-control messages,
    for stored laps that no longer carry their track statuses. An SC ends when its "IN THIS LAP"
    message's lap is run: approximated by the next green flag / the restart, else an open end."""
    windows: list[tuple[float, float, str]] = []
    open_kind: str | None = None
    start = 0.0
    for m in sorted(race_control, key=lambda r: r.get("t") or 0.0):
        text = (m.get("message") or "").upper()
        t = float(m.get("t") or 0.0)
        kind = None
        if "VIRTUAL SAFETY CAR DEPLOYED" in text or text.startswith("VSC DEPLOYED"):
            kind = "vsc"
        elif "SAFETY CAR DEPLOYED" in text:
            kind = "sc"
        elif (m.get("flag") or "").upper() == "RED":
            kind = "red"
        if kind and open_kind is None:
            open_kind, start = kind, t
            continue
        ends = ("ENDING" in text and open_kind == "vsc") or ("IN THIS LAP" in text and open_kind == "sc") \
            or ((m.get("flag") or "").upper() == "GREEN" and open_kind == "red")
        if open_kind and ends:
            windows.append((start, t, open_kind))
            open_kind = None
    if open_kind:
        windows.append((start, float("inf"), open_kind))
    return windows


def track_status_from_windows(laps: pl.DataFrame, windows: list[tuple[float, float, str]]) -> pl.DataFrame:
    """Fills ``track_status`` of stored laps from ``neutralised_windows``: a lap is neutralised
    when it overlaps a window. An SC window runs to the first line crossing after its
    "IN THIS LAP" message (the safety car comes in at the end of that lap)."""
    crossings = laps["t_end"].drop_nulls().sort()
    lap_start = pl.col("t_end") - pl.col("lap_time").fill_null(0.0)
    status = pl.lit(None, dtype=pl.String)
    for start, end, kind in windows:
        if kind == "sc":
            later = crossings.filter(crossings > end)
            end = float(later[0]) if later.len() else end
        status = pl.when((lap_start < end) & (pl.col("t_end") > start)).then(pl.lit(kind)).otherwise(status)
    return laps.with_columns(pl.concat_list(status.fill_null("green")).alias("track_status"))
