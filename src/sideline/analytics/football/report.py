"""Everything stored for a match, computed in one pass: what the import and recompute jobs
save and the dashboard reads (pure: takes a ``Match``, returns tables and JSON-able dicts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from sideline.analytics.football import physical
from sideline.analytics.football.moments import list_moments
from sideline.core.football import AWAY, HOME, SIDES, Events, Match, Tracking

Progress = Callable[[float, str], None]


@dataclasses.dataclass
class MatchReport:
    streams: dict[str, pl.DataFrame]  # stream name -> table with a float "t" (timeline seconds) column
    meta: dict[str, Any]  # merged into the match dataset's meta


def _with_t(frame: pl.DataFrame, column: str | None) -> pl.DataFrame:
    """Stored streams are keyed by timeline seconds; rows without a time sort first."""
    t = pl.col(column).cast(pl.Float64).fill_null(0.0) if column else pl.lit(0.0, dtype=pl.Float64)
    return frame.with_columns(t.alias("t"))


def _speed_frame(tracking: Tracking, speed: np.ndarray) -> pl.DataFrame:
    columns = {"t": tracking.timeline}
    for i in range(tracking.n_players):
        columns[f"s_{i}"] = speed[:, i].astype(np.float32)
    return pl.DataFrame(columns)


def _team_physical(match_rows: pl.DataFrame) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for side in SIDES:
        rows = match_rows.filter(pl.col("side") == side)
        out[side] = {
            "distance_m": float(rows["distance_m"].sum()), "hsr_m": float(rows["hsr_m"].sum()),
            "sprint_m": float(rows["sprint_m"].sum()), "sprint_count": int(rows["sprint_count"].sum()),
            "accelerations": int(rows["accelerations"].sum()), "decelerations": int(rows["decelerations"].sum()),
            "top_speed_kmh": float(rows["top_speed_kmh"].max()) if rows.height and rows["top_speed_kmh"].max() is not None else None,
        }
    return out


def _physical(tracking: Tracking, config: physical.PhysicalConfig, streams: dict, meta: dict) -> np.ndarray:
    kinematics = physical.compute_kinematics(tracking, config)
    by_column = {"match": None, "period": None, "window": "window_start_s"}
    for by, column in by_column.items():
        rows = physical.physical_summary(tracking, config, by=by, kinematics=kinematics)
        streams[f"physical.{by}"] = _with_t(rows, column)
        if by == "match":
            meta["player_summary"] = {
                r["player_id"]: {"minutes_played": r["minutes_played"], "observed_minutes": r["observed_minutes"],
                                 "coverage": r["coverage"]} for r in rows.iter_rows(named=True)}
            meta["team_stats"] = _team_physical(rows)
    sprint_rows = physical.sprints(tracking, config, kinematics=kinematics)
    streams["sprints"] = _with_t(sprint_rows, "start_s")
    streams["speed"] = _speed_frame(tracking, kinematics.speed)
    return kinematics.speed


def compute_report(match: Match, config: physical.PhysicalConfig | None = None, *,
                   progress: Progress | None = None) -> MatchReport:
    config = config or physical.PhysicalConfig()
    report_progress = progress or (lambda _f, _m: None)
    streams: dict[str, pl.DataFrame] = {}
    meta: dict[str, Any] = {"metrics": {"physical_config": config.to_dict(), "metrics_version": config.definition_hash},
                            "team_stats": {HOME: {}, AWAY: {}}}
    speed = None
    sprint_rows = None
    if match.tracking is not None and match.tracking.n_frames:
        report_progress(0.0, "Physical metrics")
        speed = _physical(match.tracking, config, streams, meta)
        sprint_rows = streams["sprints"]
        report_progress(0.5, "Team shape and possession")
        _tactical_tracking(match.tracking, meta["team_stats"], has_events=match.events is not None)
    if match.events is not None:
        report_progress(0.8, "Passes and expected threat")
        _tactical_events(match.events, meta["team_stats"])
    moments = list_moments(match, sprints=sprint_rows.drop("t") if sprint_rows is not None else None, speeds=speed)
    streams["moments"] = _with_t(moments, "start_s")
    report_progress(1.0, "Metrics done")
    return MatchReport(streams=streams, meta=meta)


def _tactical_tracking(tracking: Tracking, team_stats: dict, *, has_events: bool) -> None:
    """Shape, formation and (without events) possession from tracking; filled in below."""


def _tactical_events(events: Events, team_stats: dict) -> None:
    """Possession, passes and xT from events; filled in below."""
