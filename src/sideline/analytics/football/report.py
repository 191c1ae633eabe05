"""Everything stored for a match, computed in one pass: what the import and recompute jobs
save and the dashboard reads (pure: takes a ``Match``, returns tables and JSON-able dicts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from sideline.analytics.football import formation, heatmaps, passes, physical, pitch_control, possession, shape, xt
from sideline.analytics.football.moments import list_moments
from sideline.core.football import AWAY, HOME, OWNER_AWAY, OWNER_HOME, SIDES, Events, Match, Tracking
from sideline.errors import InvalidInput

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


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _tactical_tracking(tracking: Tracking, team_stats: dict, *, has_events: bool) -> None:
    """Shape and formation per phase, and (without events) possession from ball proximity."""
    owner = tracking.ball_owning_team
    if not (owner >= 0).any():  # the provider gives no owner: derive it from who is nearest the ball
        derived = possession.possession_from_tracking(tracking)
        owner = derived.owner
        if not has_events:
            for side in SIDES:
                team_stats[side]["possession"] = _finite(getattr(derived.shares, side))
    elif not has_events:
        for side, code in ((HOME, OWNER_HOME), (AWAY, OWNER_AWAY)):
            known = owner >= 0
            team_stats[side]["possession"] = _finite((owner[known] == code).mean()) if known.any() else None
    for side in SIDES:
        by_phase = shape.shape_by_phase(tracking, side, owner=owner)
        for phase_name in ("in_possession", "out_of_possession"):
            values = by_phase[phase_name]
            for key in ("centroid_x", "width", "depth", "hull_area"):
                team_stats[side][f"{key}_{phase_name}"] = _finite(values[key])
            frames = shape.phase_of_frames(tracking, side, owner) == shape.PHASES.index(phase_name)
            try:
                fit = formation.detect_formation(tracking, side, frames=frames)
                team_stats[side][f"formation_{phase_name}"] = fit.formation
            except InvalidInput:  # too few frames with enough players seen
                team_stats[side][f"formation_{phase_name}"] = None


def _tactical_events(events: Events, team_stats: dict) -> None:
    """Possession, passes and expected threat from events."""
    try:
        shares = possession.possession_from_events(events)
        for side in SIDES:
            team_stats[side]["possession"] = _finite(getattr(shares, side))
    except InvalidInput:
        pass  # no on-ball events: possession stays as tracking gave it
    for row in passes.pass_counts(events).iter_rows(named=True):
        if row["side"] in SIDES:
            team_stats[row["side"]].update(passes=int(row["passes"]), passes_complete=int(row["complete"]),
                                           pass_completion=_finite(row["completion"]))
    for row in xt.xt_totals(events, by="side").iter_rows(named=True):
        if row["side"] in SIDES:
            team_stats[row["side"]]["xt"] = _finite(row["xt_total"])
    shots = events.table.filter(pl.col("type") == "shot")
    for side in SIDES:
        team_stats[side]["shots"] = int(shots.filter(pl.col("side") == side).height)


@dataclasses.dataclass(frozen=True)
class GridValues:
    t: float
    nx: int
    ny: int
    extent: tuple[float, float, float, float]
    values: np.ndarray  # [ny, nx], row 0 at y min


def pitch_control_at(tracking: Tracking, t: float, *, resolution: float = 1.0) -> GridValues:
    """Home team's pitch control at the frame nearest timeline second ``t`` (velocities from the
    frames around it)."""
    timeline = tracking.timeline
    index = int(np.argmin(np.abs(timeline - t)))
    grid = pitch_control.PitchGrid.for_pitch(tracking.meta.pitch_length, tracking.meta.pitch_width, resolution)
    control = pitch_control.pitch_control(tracking, np.array([index]), grid=grid)
    ny, nx = grid.shape
    return GridValues(t=float(timeline[index]), nx=nx, ny=ny, extent=grid.extent, values=control.home[0])


def pitch_control_over(tracking: Tracking, t0: float, t1: float, *, resolution: float = 2.0,
                       hz: float = 2.0) -> tuple[GridValues, float]:
    """Mean home control per cell over a phase [t0, t1] (frames sampled at ``hz``) and the
    share of the pitch home held on average."""
    timeline = tracking.timeline
    inside = np.flatnonzero((timeline >= t0) & (timeline <= t1))
    if len(inside) == 0:
        raise InvalidInput("No tracking frames in this time range")
    step = max(1, int(round((tracking.meta.frame_rate or 10.0) / hz)))
    grid = pitch_control.PitchGrid.for_pitch(tracking.meta.pitch_length, tracking.meta.pitch_width, resolution)
    summary = pitch_control.summarise_control(tracking, inside[::step], grid=grid)
    ny, nx = grid.shape
    return GridValues(t=float(t0), nx=nx, ny=ny, extent=grid.extent, values=summary.home_mean), summary.home_share


def player_heatmap(tracking: Tracking, bins: tuple[int, int] = (21, 14)) -> GridValues:
    """Seconds per cell of the tracking's first (only) player."""
    heat = heatmaps.player_heatmaps(tracking, players=np.array([0]), bins=bins)
    grid = next(iter(heat.values()))
    ny, nx = grid.seconds.shape
    return GridValues(t=0.0, nx=nx, ny=ny, extent=grid.extent, values=grid.seconds)


def team_heatmap_grid(tracking: Tracking, side: str, bins: tuple[int, int] = (21, 14)) -> GridValues:
    heat = heatmaps.team_heatmap(tracking, side, bins=bins)
    ny, nx = heat.seconds.shape
    return GridValues(t=0.0, nx=nx, ny=ny, extent=heat.extent, values=heat.seconds)


def player_event_stats(events: Events, player_id: str) -> dict[str, Any]:
    """Passes, completion, shots and expected threat added by one player."""
    table = events.table.filter(pl.col("player_id") == player_id)
    passes_made = table.filter(pl.col("type") == "pass")
    complete = int((passes_made["result"] == "complete").sum()) if passes_made.height else 0
    xt_rows = xt.xt_totals(events, by="player").filter(pl.col("player_id") == player_id)
    return {
        "events": table.height, "passes": passes_made.height, "passes_complete": complete,
        "pass_completion": _finite(complete / passes_made.height) if passes_made.height else None,
        "shots": int((table["type"] == "shot").sum()), "goals": int((table["result"] == "goal").sum()),
        "xt": _finite(float(xt_rows["xt_total"].sum())) if xt_rows.height else 0.0,
    }


def pass_network_json(events: Events, side: str, *, min_passes: int = 3) -> dict[str, Any]:
    network = passes.pass_network(events, side, min_passes=min_passes)

    def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
        return [{k: (_finite(v) if isinstance(v, float) else v) for k, v in r.items()} for r in frame.iter_rows(named=True)]

    return {"side": side, "nodes": rows(network.nodes), "edges": rows(network.edges)}
