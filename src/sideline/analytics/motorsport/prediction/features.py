"""Pre-race features: one row per starter and race, using only what is known before the start.

Everything about earlier races is shifted by one race (``shift(1)`` within the driver's or
team's history), so a race's own result never leaks into its features.
"""

from __future__ import annotations

import polars as pl

# Not starters: did not (pre-)qualify, did not practise, excluded, did not start.
NON_STARTERS = ("DNQ", "DNPQ", "DNP", "EX", "DNS")
FORM_RACES = 5
LONG_FORM_RACES = 15

FEATURES = (
    "grid", "pit_lane", "grid_share", "quali_gap_pct", "quali_position", "field_size",
    "driver_points_form", "driver_finish_form", "driver_win_rate", "driver_podium_rate", "driver_dnf_rate",
    "team_points_form", "team_best_finish_form", "team_win_rate", "team_dnf_rate",
    "circuit_starts", "circuit_wins", "circuit_best_finish", "teammate_quali_gap_pct",
)


def _history(frame: pl.DataFrame, key: str, columns: dict[str, int], prefix: str) -> pl.DataFrame:
    """Rolling means of earlier races per ``key`` (window per column), this race excluded."""
    ordered = frame.sort(key, "date", "race_id")
    return ordered.with_columns(
        pl.col(c).shift(1).rolling_mean(window, min_samples=1).over(key).alias(f"{prefix}_{name}")
        for name, (c, window) in columns.items()
    )


def race_features(races: pl.DataFrame, results: pl.DataFrame, grid: pl.DataFrame,
                  qualifying: pl.DataFrame) -> pl.DataFrame:
    """Features and targets (``win``, ``podium``) for every starter of every race given."""
    starters = (results.filter(~pl.col("status").is_in(NON_STARTERS))
                .join(races.select("race_id", "year", "date", "circuit"), on="race_id")
                .with_columns(finish=pl.col("position").fill_null(99).clip(upper_bound=30),
                              win=(pl.col("position") == 1).fill_null(False).cast(pl.Int8),
                              podium=(pl.col("position") <= 3).fill_null(False).cast(pl.Int8),
                              dnf=pl.col("position").is_null().cast(pl.Float64)))
    starters = starters.join(grid.select("race_id", "driver", pl.col("position").alias("grid_pos"), "pit_lane"),
                             on=["race_id", "driver"], how="left")
    field = starters.group_by("race_id").agg(field_size=pl.len())
    starters = (starters.join(field, on="race_id")
                .with_columns(grid=pl.coalesce("grid_pos", "grid", "field_size").cast(pl.Float64),
                              pit_lane=pl.col("pit_lane").fill_null(False).cast(pl.Float64))
                .with_columns(grid_share=pl.col("grid") / pl.col("field_size")))

    pole = qualifying.group_by("race_id").agg(pole_s=pl.col("best_s").min())
    quali = (qualifying.join(pole, on="race_id")
             .with_columns(quali_gap_pct=(pl.col("best_s") / pl.col("pole_s") - 1) * 100)
             .with_columns(teammate_quali_gap_pct=pl.col("quali_gap_pct") - pl.col("quali_gap_pct").min()
                           .over("race_id", "constructor"))
             .select("race_id", "driver", "quali_gap_pct", "teammate_quali_gap_pct",
                     pl.col("position").cast(pl.Float64).alias("quali_position")))
    starters = starters.join(quali, on=["race_id", "driver"], how="left")

    starters = _history(starters, "driver", {
        "points_form": ("points", FORM_RACES), "finish_form": ("finish", FORM_RACES),
        "win_rate": ("win", LONG_FORM_RACES), "podium_rate": ("podium", LONG_FORM_RACES),
        "dnf_rate": ("dnf", LONG_FORM_RACES)}, "driver")

    team = (starters.group_by("race_id", "constructor")
            .agg(pl.col("date").first(), team_points=pl.col("points").sum(), team_best=pl.col("finish").min(),
                 team_win=pl.col("win").max().cast(pl.Float64), team_dnf=pl.col("dnf").mean()))
    team = _history(team, "constructor", {
        "points_form": ("team_points", FORM_RACES), "best_finish_form": ("team_best", FORM_RACES),
        "win_rate": ("team_win", LONG_FORM_RACES), "dnf_rate": ("team_dnf", LONG_FORM_RACES)}, "team")
    starters = starters.join(team.select("race_id", "constructor", "team_points_form", "team_best_finish_form",
                                         "team_win_rate", "team_dnf_rate"),
                             on=["race_id", "constructor"], how="left")

    # Circuit history: the driver's earlier starts, wins and best finish at this circuit.
    starters = starters.sort("driver", "circuit", "date").with_columns(
        circuit_starts=pl.int_range(pl.len()).over("driver", "circuit").cast(pl.Float64),
        circuit_wins=pl.col("win").cum_sum().shift(1).over("driver", "circuit").fill_null(0).cast(pl.Float64),
        circuit_best_finish=pl.col("finish").cum_min().shift(1).over("driver", "circuit").cast(pl.Float64),
    )
    return starters.sort("date", "race_id", "grid").select(
        "race_id", "year", "date", "driver", "constructor", "number", "position", "win", "podium",
        *(pl.col(f).cast(pl.Float64) for f in FEATURES))
