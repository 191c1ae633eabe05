"""Notable moments of a match, listed as clip candidates: goals, shots, sprints and
high-intensity sequences (several players of one team running fast at once).

Pure functions on ``sideline.core.football`` types. Every moment is a window on the match
timeline (seconds since kick-off, periods laid end to end) padded with a lead-in and a
lead-out so a clip shows the build-up, clipped to the period the moment happens in.
Overlapping windows of the same kind are merged into one moment (the best one names it).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from sideline.core.football import Match, MatchMeta
from sideline.errors import InvalidInput

GOAL, SHOT, SPRINT, HIGH_INTENSITY = "goal", "shot", "sprint", "high_intensity"
KINDS = (GOAL, SHOT, SPRINT, HIGH_INTENSITY)

MOMENT_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String, "label": pl.String, "start_s": pl.Float64, "end_s": pl.Float64,
    "side": pl.String, "player_id": pl.String, "score": pl.Float64,
}
SPRINT_COLUMNS = ("player_id", "side", "period", "start_s", "end_s", "peak_speed_ms", "distance_m")

# Where each period's match clock starts (minutes): 45:00 for the second half, and so on.
_PERIOD_CLOCK_START_MIN = {1: 0, 2: 45, 3: 90, 4: 105, 5: 120}


@dataclasses.dataclass(frozen=True, slots=True)
class MomentsConfig:
    # Padding (seconds) before / after each kind: enough to see the build-up of a goal.
    goal_lead_in_s: float = 12.0
    goal_lead_out_s: float = 8.0
    shot_lead_in_s: float = 8.0
    shot_lead_out_s: float = 4.0
    sprint_lead_in_s: float = 3.0
    sprint_lead_out_s: float = 2.0
    high_intensity_lead_in_s: float = 3.0
    high_intensity_lead_out_s: float = 2.0
    # High-intensity running: 19.8 km/h is the usual lower bound of the HSR zone.
    high_intensity_speed_ms: float = 19.8 / 3.6
    high_intensity_min_players: int = 3
    high_intensity_min_duration_s: float = 2.0
    # Active stretches closer than this are one sequence (a player dipping under the
    # threshold for a frame or two does not end it); a tracking gap longer than this does.
    high_intensity_join_gap_s: float = 1.0


def list_moments(match: Match, *, sprints: pl.DataFrame | None = None, speeds: np.ndarray | None = None,
                 config: MomentsConfig = MomentsConfig()) -> pl.DataFrame:
    """Goals, shots, sprints and high-intensity sequences as clip candidates (``MOMENT_SCHEMA``),
    best first (``score`` descending).

    ``sprints``: one row per sprint with ``SPRINT_COLUMNS`` (``start_s``/``end_s`` on the match
    timeline), as ``sideline.analytics.football.physical.sprints`` produces.
    ``speeds``: float [F, P] m/s per tracking frame and player of ``match.tracking`` (NaN =
    unknown); high-intensity sequences are found only when it is given.
    """
    bounds = _period_bounds(match, sprints)
    parts = [_shot_moments(match, bounds, config)]
    if sprints is not None:
        parts.append(_sprint_moments(match.meta, sprints, bounds, config))
    if speeds is not None:
        parts.append(_high_intensity_moments(match, speeds, bounds, config))
    merged = [_merge_overlapping(p) for p in parts if p.height]
    moments = pl.concat(merged, how="vertical") if merged else _empty()
    return moments.sort(["score", "start_s"], descending=[True, False]).select(list(MOMENT_SCHEMA))


# --- goals and shots ----------------------------------------------------------------------

def _shot_moments(match: Match, bounds: pl.DataFrame, config: MomentsConfig) -> pl.DataFrame:
    if match.events is None:
        return _empty()
    shots = match.events.of_type("shot").filter(pl.col("timeline").is_not_nan() & pl.col("timeline").is_not_null())
    if shots.height == 0:
        return _empty()
    meta = match.meta
    is_goal = (shots["result"].fill_null("") == "goal").to_numpy()
    # On-target shots rank above blocked / off-target ones.
    on_target = shots["result"].fill_null("").is_in(["goal", "saved", "post"]).to_numpy()
    labels = [
        f"{'Goal' if goal else 'Shot'} — {_who(meta, pid, side)} {match_clock(meta, int(period), t)}"
        for goal, pid, side, period, t in zip(is_goal, shots["player_id"], shots["side"], shots["period"],
                                              shots["t"], strict=True)]
    at = shots["timeline"].to_numpy()
    moments = pl.DataFrame({
        "kind": np.where(is_goal, GOAL, SHOT), "label": labels,
        "start_s": at - np.where(is_goal, config.goal_lead_in_s, config.shot_lead_in_s),
        "end_s": at + np.where(is_goal, config.goal_lead_out_s, config.shot_lead_out_s),
        "side": shots["side"], "player_id": shots["player_id"],
        "score": np.where(is_goal, 100.0, np.where(on_target, 50.0, 40.0)),
        "period": shots["period"].cast(pl.Int64),
    }, schema_overrides={"player_id": pl.String, "side": pl.String})
    return _clip_to_period(moments, bounds)


# --- sprints --------------------------------------------------------------------------------

def _sprint_moments(meta: MatchMeta, sprints: pl.DataFrame, bounds: pl.DataFrame,
                    config: MomentsConfig) -> pl.DataFrame:
    missing = [c for c in SPRINT_COLUMNS if c not in sprints.columns]
    if missing:
        raise InvalidInput(f"The sprints table lacks column(s) {', '.join(missing)}; "
                           f"expected {', '.join(SPRINT_COLUMNS)}")
    if sprints.height == 0:
        return _empty()
    timeline_by_period = {p.period_id: p.timeline_offset for p in meta.periods}
    labels = [
        f"Sprint — {_who(meta, pid, side, with_team=False)} {peak:.1f} m/s, {dist:.0f} m "
        f"{match_clock(meta, int(period), start - timeline_by_period.get(int(period), 0.0))}"
        for pid, side, period, start, peak, dist in zip(
            sprints["player_id"], sprints["side"], sprints["period"], sprints["start_s"],
            sprints["peak_speed_ms"], sprints["distance_m"], strict=True)]
    moments = pl.DataFrame({
        "kind": SPRINT, "label": labels,
        "start_s": sprints["start_s"].cast(pl.Float64) - config.sprint_lead_in_s,
        "end_s": sprints["end_s"].cast(pl.Float64) + config.sprint_lead_out_s,
        "side": sprints["side"].cast(pl.String), "player_id": sprints["player_id"].cast(pl.String),
        # Faster and longer sprints first: peak speed dominates, distance breaks ties.
        "score": sprints["peak_speed_ms"].cast(pl.Float64) + sprints["distance_m"].cast(pl.Float64) / 100.0,
        "period": sprints["period"].cast(pl.Int64),
    })
    return _clip_to_period(moments, bounds)


# --- high-intensity sequences ---------------------------------------------------------------

def _high_intensity_moments(match: Match, speeds: np.ndarray, bounds: pl.DataFrame,
                            config: MomentsConfig) -> pl.DataFrame:
    tracking = match.tracking
    if tracking is None:
        raise InvalidInput("High-intensity sequences need the match's tracking data, and this match has none")
    speeds = np.asarray(speeds, dtype=np.float64)
    if speeds.shape != (tracking.n_frames, tracking.n_players):
        raise InvalidInput(f"The speed array has shape {speeds.shape}; expected (frames, players) = "
                           f"({tracking.n_frames}, {tracking.n_players}) to match the tracking data")
    timeline, period = tracking.timeline, tracking.period.astype(np.int64)
    rows = []
    with np.errstate(invalid="ignore"):  # NaN (unknown speed) simply does not count as fast
        fast = speeds > config.high_intensity_speed_ms
    for side in ("home", "away"):
        n_fast = fast[:, tracking.meta.side_mask(side)].sum(axis=1)
        for start, end, peak, pid in _active_stretches(n_fast, timeline, period, config):
            rows.append((side, start, end, peak, pid))
    if not rows:
        return _empty()
    side, start, end, peak, pid = (np.array(c) for c in zip(*rows, strict=True))
    duration = end - start
    labels = [
        f"High intensity — {_team_name(match.meta, s)}: {int(n)} players above "
        f"{config.high_intensity_speed_ms * 3.6:.1f} km/h for {d:.0f} s "
        f"{match_clock(match.meta, int(p), s0 - _offset(match.meta, int(p)))}"
        for s, n, d, p, s0 in zip(side, peak, duration, pid, start, strict=True)]
    moments = pl.DataFrame({
        "kind": HIGH_INTENSITY, "label": labels,
        "start_s": start - config.high_intensity_lead_in_s, "end_s": end + config.high_intensity_lead_out_s,
        "side": side.astype(str), "player_id": pl.Series([None] * len(side), dtype=pl.String),
        # More players at once first, then longer sequences.
        "score": peak.astype(np.float64) + np.minimum(duration, 30.0) / 30.0,
        "period": pid.astype(np.int64),
    })
    return _clip_to_period(moments, bounds)


def _active_stretches(n_fast: np.ndarray, timeline: np.ndarray, period: np.ndarray,
                      config: MomentsConfig) -> list[tuple[float, float, int, int]]:
    """(start_s, end_s, peak player count, period) of each stretch with enough fast players."""
    active = np.flatnonzero(n_fast >= config.high_intensity_min_players)
    if active.size == 0:
        return []
    t, p, n = timeline[active], period[active], n_fast[active]
    # A new stretch starts after a long gap (inactive frames or a tracking gap) or a new period.
    new = np.r_[True, (np.diff(t) > config.high_intensity_join_gap_s) | (np.diff(p) != 0)]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], active.size] - 1
    peaks = np.maximum.reduceat(n, starts)
    keep = (t[ends] - t[starts]) >= config.high_intensity_min_duration_s
    return [(float(t[s]), float(t[e]), int(k), int(p[s])) for s, e, k in
            zip(starts[keep], ends[keep], peaks[keep], strict=True)]


# --- shared helpers -------------------------------------------------------------------------

def _merge_overlapping(moments: pl.DataFrame) -> pl.DataFrame:
    """One moment per group of overlapping windows; the best-scored member names it."""
    ordered = moments.sort("kind", "start_s").with_columns(
        # A window starts a new group when it begins after every earlier window of its kind has ended.
        group=(pl.col("start_s") > pl.col("end_s").cum_max().shift(1)).fill_null(True).cum_sum().over("kind"))
    merged = ordered.group_by("kind", "group", maintain_order=True).agg(
        pl.col("label").sort_by("score", descending=True).first(),
        pl.col("start_s").min(), pl.col("end_s").max(),
        pl.col("side").sort_by("score", descending=True).first(),
        pl.col("player_id").sort_by("score", descending=True).first(),
        pl.col("score").max(), n=pl.len())
    more = pl.when(pl.col("n") > 1).then(pl.format(" (+{} more)", pl.col("n") - 1)).otherwise(pl.lit(""))
    return merged.with_columns(label=pl.col("label") + more).select(list(MOMENT_SCHEMA))


def _period_bounds(match: Match, sprints: pl.DataFrame | None) -> pl.DataFrame:
    """Each period's [start, end] on the timeline: what padding is clipped to."""
    periods = match.meta.periods
    if periods:
        return pl.DataFrame({
            "period": [p.period_id for p in periods],
            "period_start": [p.timeline_offset + p.start_t for p in periods],
            "period_end": [p.timeline_offset + p.end_t for p in periods],
        }, schema={"period": pl.Int64, "period_start": pl.Float64, "period_end": pl.Float64})
    # No period metadata: the span the data itself covers, per period.
    spans = []
    if match.tracking is not None and match.tracking.n_frames:
        spans.append(pl.DataFrame({"period": match.tracking.period.astype(np.int64), "t": match.tracking.timeline}))
    if match.events is not None and match.events.table.height:
        spans.append(match.events.table.select(pl.col("period").cast(pl.Int64), pl.col("timeline").alias("t")))
    if sprints is not None and sprints.height and "period" in sprints.columns:
        spans.append(sprints.select(pl.col("period").cast(pl.Int64), pl.col("start_s").cast(pl.Float64).alias("t")))
        spans.append(sprints.select(pl.col("period").cast(pl.Int64), pl.col("end_s").cast(pl.Float64).alias("t")))
    if not spans:
        return pl.DataFrame(schema={"period": pl.Int64, "period_start": pl.Float64, "period_end": pl.Float64})
    return pl.concat(spans).drop_nans().group_by("period").agg(
        period_start=pl.col("t").min(), period_end=pl.col("t").max())


def _clip_to_period(moments: pl.DataFrame, bounds: pl.DataFrame) -> pl.DataFrame:
    joined = moments.join(bounds, on="period", how="left")
    return joined.with_columns(
        start_s=pl.max_horizontal("start_s", pl.col("period_start").fill_null(-np.inf)),
        end_s=pl.min_horizontal("end_s", pl.col("period_end").fill_null(np.inf)),
    ).filter(pl.col("end_s") > pl.col("start_s")).select(list(MOMENT_SCHEMA))


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=MOMENT_SCHEMA)


def _offset(meta: MatchMeta, period_id: int) -> float:
    for p in meta.periods:
        if p.period_id == period_id:
            return p.timeline_offset
    return 0.0


def match_clock(meta: MatchMeta, period_id: int, t: float) -> str:
    """The match clock as broadcasters show it ("67:12"): the period's base minute plus the
    time since the period's first frame or event (``t`` is period-relative, as in ``Tracking.t``)."""
    start = next((p.start_t for p in meta.periods if p.period_id == period_id), 0.0)
    seconds = max(0.0, t - start) + 60 * _PERIOD_CLOCK_START_MIN.get(period_id, 0)
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def short_name(name: str | None) -> str | None:
    """ "Robert Lewandowski" -> "R. Lewandowski" (single names stay as they are)."""
    if not name or not name.strip():
        return None
    parts = name.split()
    return name.strip() if len(parts) == 1 else f"{parts[0][0]}. {' '.join(parts[1:])}"


def _team_name(meta: MatchMeta, side: str | None) -> str:
    if side in ("home", "away"):
        return meta.team(side).name or side
    return "unknown team"


def _who(meta: MatchMeta, player_id: str | None, side: str | None, *, with_team: bool = True) -> str:
    player = next((p for p in meta.players if p.player_id == player_id), None) if player_id is not None else None
    parts = []
    if player is not None and player.jersey_no is not None and not with_team:
        parts.append(f"#{player.jersey_no}")
    name = short_name(player.name) if player is not None else None
    if name:
        parts.append(name)
    elif player_id is not None and not parts:
        parts.append(f"player {player_id}")
    who = " ".join(parts) or "unknown player"
    return f"{who} ({_team_name(meta, side)})" if with_team else who
