"""Fast SkillCorner reader: the v2 full-match layout (``structured_data`` JSON array + match
data JSON) straight into NumPy with orjson, no kloppy objects.

It reproduces what ``kloppy.skillcorner.load`` followed by kloppy's transform to the canonical
pitch system gives (tests compare every coordinate), following kloppy's rules:

- frames outside any period (``period: null``: before kick-off, half-time, after the whistle)
  are dropped; so are frames without any object unless ``include_empty_frames``;
- ``t`` is the match clock minus the period's nominal start (45', 90', 105', 120');
- the ball is the ball's trackable object (or group ``balls``), referees are skipped, and
  records with a team but no identity become anonymous players ``<side>_anon_<track_id>``;
- ball state is alive exactly when the possession group names a team (that team owns it);
- the direction of play in period 1 is the majority, over frames with players, of "the home
  side's mean x is below the away side's" (computed, as kloppy does, in its 0..1 pitch
  coordinates where a side with nobody visible counts as 0); periods the home team attacks
  towards -x are rotated by 180 degrees.

Layouts it does not recognise (the v3 JSON lines, any other) go to kloppy, and the match's
``meta.warnings`` says so.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson

from sideline.core.football import (
    AWAY, BALL_ALIVE, BALL_DEAD, HOME, OWNER_AWAY, OWNER_HOME, OWNER_UNKNOWN, Match, MatchMeta, Player, Team,
    Tracking,
)

from .checks import check_frame_rate, check_players_seen
from .errors import IngestError, file_error
from .kloppy_tracking import build_periods

FRAME_RATE = 10.0
PERIOD_CLOCK_START = {1: 0.0, 2: 45 * 60.0, 3: 90 * 60.0, 4: 105 * 60.0, 5: 120 * 60.0}
# kloppy's mapping of SkillCorner role ids to position codes (17 = substitute: no position).
POSITION_CODES = {0: "GK", 2: "CB", 3: "LCB", 4: "RCB", 5: "LB", 6: "RB", 7: "DM", 8: "CM", 9: "LM", 10: "RM",
                  11: "AM", 12: "LW", 13: "RW", 14: "LF", 15: "ST", 16: "RF", 19: "LB", 20: "RB", 21: "LDM",
                  22: "RDM"}
TEAM_GROUPS = {"home team": HOME, "home_team": HOME, "away team": AWAY, "away_team": AWAY}
# Unknown trackable objects beyond this share of player records mean the metadata is another match's.
UNKNOWN_ID_SHARE = 0.05


def _is_v2_array(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["


def _load_json(path: Path, raw: bytes | None = None):
    try:
        return orjson.loads(path.read_bytes() if raw is None else raw)
    except orjson.JSONDecodeError as exc:
        raise file_error(path, f"not valid JSON (truncated or corrupt?): {exc}") from None


def _clock_seconds(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def load_skillcorner(meta_path: Path, raw_path: Path, include_empty_frames: bool = False, **kloppy_options) -> Match:
    """Read a SkillCorner match; the v2 full-match layout natively, anything else with kloppy."""
    raw = raw_path.read_bytes()
    if kloppy_options or not _is_v2_array(raw):
        from .loading import load_with_kloppy

        why = (f"option(s) {', '.join(sorted(kloppy_options))} need kloppy" if kloppy_options
               else f"{raw_path.name} is not the v2 full-match JSON array")
        return load_with_kloppy("skillcorner", {"meta_data": meta_path, "raw_data": raw_path},
                                notes=[f"read with kloppy (slower): {why}"],
                                include_empty_frames=include_empty_frames, **kloppy_options)
    metadata = _load_json(meta_path)
    gc_was_on = gc.isenabled()
    gc.disable()  # half a million fresh dicts would trigger many useless collections
    try:
        frames = _load_json(raw_path, raw)
    finally:
        if gc_was_on:
            gc.enable()
    del raw
    try:
        tracking = _tracking(metadata, frames, include_empty_frames, meta_path, raw_path)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise IngestError(f"{meta_path.name}, {raw_path.name}: not SkillCorner match data and tracking of the "
                          f"expected layout ({type(exc).__name__}: {exc})") from None
    return Match(meta=tracking.meta, tracking=tracking)


def _players(metadata: dict, meta_path: Path) -> tuple[Team, Team, list[Player], dict[int, int]]:
    home_id, away_id = metadata["home_team"]["id"], metadata["away_team"]["id"]
    sides = {home_id: HOME, away_id: AWAY}
    kits = {HOME: metadata.get("home_team_kit") or {}, AWAY: metadata.get("away_team_kit") or {}}
    home, away = (Team(str(metadata[f"{s}_team"]["id"]), s, metadata[f"{s}_team"]["name"],
                       kits[s].get("jersey_color")) for s in (HOME, AWAY))
    players, trackable = [], []
    for side in (HOME, AWAY):
        for raw in metadata["players"]:
            if raw["team_id"] not in sides:
                raise file_error(meta_path, f"player {raw['id']} belongs to team {raw['team_id']}, "
                                            "which is neither the home nor the away team")
            if sides[raw["team_id"]] != side:
                continue
            players.append(Player(
                player_id=str(raw["id"]), side=side, name=f"{raw['first_name']} {raw['last_name']}",
                jersey_no=raw.get("number"), position=POSITION_CODES.get((raw.get("player_role") or {}).get("id")),
                starting=raw.get("start_time") == "00:00:00"))
            trackable.append(raw["trackable_object"])
    return home, away, players, {obj: i for i, obj in enumerate(trackable)}


def _tracking(metadata: dict, frames: list, include_empty: bool, meta_path: Path, raw_path: Path) -> Tracking:
    if not isinstance(frames, list) or not frames:
        raise file_error(raw_path, "no frames (expected a JSON array of frames)")
    home, away, players, column_of = _players(metadata, meta_path)
    ball_id = metadata["ball"]["trackable_object"]
    referees = {r["trackable_object"] for r in metadata.get("referees") or ()}
    length, width = float(metadata["pitch_length"]), float(metadata["pitch_width"])
    n_total = len(frames)

    # Per-frame fields (one pass each over the parsed list).
    period_all = np.array([f["period"] or 0 for f in frames], dtype=np.int8)
    time_key = "time" if "time" in frames[0] else "timestamp"
    has_time = np.array([f[time_key] is not None for f in frames], dtype=bool)
    n_records_all = np.fromiter((len(f["data"]) for f in frames), dtype=np.int64, count=n_total)
    keep = (period_all > 0) & has_time & ((n_records_all > 0) | include_empty)
    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        raise file_error(raw_path, "no frame lies within a period")
    sel = [frames[i] for i in kept]
    frame_id = np.fromiter((f["frame"] for f in sel), dtype=np.int64, count=len(sel))
    period = period_all[kept]
    clock_start = np.array([PERIOD_CLOCK_START.get(int(p), np.nan) for p in range(int(period.max()) + 1)])
    if np.isnan(clock_start[period]).any():
        raise file_error(raw_path, f"unknown period id(s) {sorted(set(np.unique(period)) - set(PERIOD_CLOCK_START))}")
    t = np.fromiter((_clock_seconds(f[time_key]) for f in sel), dtype=np.float64, count=len(sel)) - clock_start[period]
    groups = [(f["possession"] or {}).get("group") for f in sel]
    owner = np.array([OWNER_HOME if g == "home team" else OWNER_AWAY if g == "away team" else OWNER_UNKNOWN
                      for g in groups], dtype=np.int8)
    ball_state = np.where(owner != OWNER_UNKNOWN, BALL_ALIVE, BALL_DEAD).astype(np.int8)

    # Per-record fields: every object of every kept frame, flattened.
    n_records = n_records_all[kept]
    row = np.repeat(np.arange(len(sel)), n_records)
    records = [r for f in sel for r in f["data"]]
    obj_or_nan = np.array([r.get("trackable_object") for r in records], dtype=np.float64)  # None -> NaN
    obj = np.where(np.isnan(obj_or_nan), -1, obj_or_nan).astype(np.int64)
    rx = np.array([r["x"] for r in records], dtype=np.float64)
    ry = np.array([r["y"] for r in records], dtype=np.float64)
    rz = np.array([r.get("z") for r in records], dtype=np.float64)  # None (no height) -> NaN
    # Only records without an identity carry a group name (anonymous players, sometimes ball or referee).
    unnamed = np.flatnonzero(obj < 0)
    group = np.full(len(records), "", dtype=object)
    group[unnamed] = [records[i].get("group_name") or "" for i in unnamed]
    is_ball = (obj == ball_id) | (group == "balls")
    is_referee = ~is_ball & (np.isin(obj, list(referees)) | (group == "referee"))
    lookup_ids = np.array(sorted(column_of), dtype=np.int64)
    lookup_cols = np.array([column_of[i] for i in lookup_ids], dtype=np.int64)
    pos = np.clip(np.searchsorted(lookup_ids, obj), 0, max(len(lookup_ids) - 1, 0))
    is_known = ~is_ball & ~is_referee & (obj >= 0) & (lookup_ids[pos] == obj) if len(lookup_ids) else np.zeros_like(is_ball)
    anon_side = np.full(len(records), "", dtype=object)
    anon_side[unnamed] = [TEAM_GROUPS.get(g, "") for g in group[unnamed]]
    is_anon = ~is_ball & ~is_referee & (obj < 0) & (anon_side != "")
    is_unknown = ~is_ball & ~is_referee & (obj >= 0) & ~is_known
    anon_side = np.array([TEAM_GROUPS.get(g, "") for g in group.tolist()]) if (obj < 0).any() else np.full(len(obj), "")
    is_anon = ~is_ball & ~is_referee & (obj < 0) & (anon_side != "")

    n_player_records = int(is_known.sum() + is_unknown.sum())
    notes: list[str] = []
    if is_unknown.any():
        unknown_ids = np.unique(obj[is_unknown])
        listing = ", ".join(str(i) for i in unknown_ids[:5]) + (" ..." if len(unknown_ids) > 5 else "")
        if is_unknown.sum() > UNKNOWN_ID_SHARE * max(n_player_records, 1):
            raise IngestError(f"{raw_path.name}: {len(unknown_ids)} tracked object id(s) ({listing}) are not in "
                              f"{meta_path.name}; is the metadata from another match?")
        notes.append(f"{len(unknown_ids)} tracked object id(s) not in the metadata were skipped ({listing})")

    # Anonymous tracks: one column each, home then away, by first appearance (kloppy's ids).
    cols = np.full(len(obj), -1, dtype=np.int64)
    cols[is_known] = lookup_cols[pos[is_known]]
    if is_anon.any():
        for side in (HOME, AWAY):
            mine = np.flatnonzero(is_anon & (anon_side == side))
            if len(mine) == 0:
                continue
            track = np.array([records[i]["track_id"] for i in mine], dtype=np.int64)
            ids, first, inverse = np.unique(track, return_index=True, return_inverse=True)
            appearance = np.argsort(first, kind="stable")
            rank = np.empty_like(appearance)
            rank[appearance] = np.arange(len(appearance))
            cols[mine] = len(players) + rank[inverse]
            players.extend(Player(player_id=f"{side}_anon_{tid}", side=side, name=f"Anon_{tid}")
                           for tid in ids[appearance])
    del records
    # Home before away, each side's metadata players before its anonymous tracks.
    order = sorted(range(len(players)), key=lambda j: players[j].side != HOME)
    new_column = np.empty(len(players), dtype=np.int64)
    new_column[order] = np.arange(len(players))
    cols = np.where(cols >= 0, new_column[np.maximum(cols, 0)], -1)
    players = [players[j] for j in order]

    n_frames, n_players = len(sel), len(players)
    placed = np.flatnonzero(cols >= 0)
    home_column = np.array([p.side == HOME for p in players])
    rotate = np.isin(period, _periods_to_rotate(row[placed], home_column[cols[placed]], rx[placed], period, length))
    sign = np.where(rotate, -1.0, 1.0)  # a rotation by 180 degrees negates x and y
    xy = np.full((n_frames, n_players, 2), np.nan, dtype=np.float32)
    xy[row[placed], cols[placed]] = np.stack([rx[placed], ry[placed]], axis=1) * sign[row[placed], None]
    ball = np.full((n_frames, 3), np.nan, dtype=np.float32)
    ball_rows = np.flatnonzero(is_ball)
    flip = sign[row[ball_rows]]
    ball[row[ball_rows]] = np.stack([rx[ball_rows] * flip, ry[ball_rows] * flip, rz[ball_rows]], axis=1)

    names = f"{meta_path.name}, {raw_path.name}"
    outside = n_total - int(((period_all > 0) & has_time).sum())
    if outside:
        notes.append(f"{outside} of the file's {n_total} frames lie outside any period (before kick-off, half-time, "
                     "after the final whistle) and were left out")
    meta = MatchMeta(
        provider="skillcorner", home=home, away=away, players=tuple(players), pitch_length=length, pitch_width=width,
        periods=build_periods(period, t), frame_rate=FRAME_RATE,
        match_id=str(metadata["id"]) if metadata.get("id") is not None else None, date=_date(metadata),
        score=_score(metadata), competition=(metadata.get("competition_edition") or {}).get("name"),
        warnings=tuple(notes))
    tracking = Tracking(meta=meta, frame_id=frame_id, period=period, t=t, xy=xy, ball=ball,
                        ball_state=ball_state, ball_owning_team=owner)
    check_players_seen(tracking, names)
    check_frame_rate(tracking, names)
    return tracking


def _periods_to_rotate(row: np.ndarray, is_home: np.ndarray, x: np.ndarray, period: np.ndarray,
                       length: float) -> list[int]:
    """Periods in which the home team attacks towards -x (kloppy's majority rule, see module doc).

    ``row``/``is_home``/``x``: one entry per player record (frame index, side, raw x).
    """
    n_frames = len(period)
    x01 = (x + length / 2) / length  # kloppy's 0..1 pitch coordinates
    means = []
    for mask in (is_home, ~is_home):
        total = np.bincount(row[mask], weights=x01[mask], minlength=n_frames)
        count = np.bincount(row[mask], minlength=n_frames)
        means.append(np.where(count > 0, total / np.maximum(count, 1), 0.0))
    with_players = np.bincount(row, minlength=n_frames) > 0
    first = (period == 1) & with_players
    left_to_right = int((means[0] < means[1])[first].sum())
    home_attacks_right_first = left_to_right >= int(first.sum()) - left_to_right
    # Sides swap every period in regular and extra time; penalties (5) keep the last direction.
    return [p for p in (1, 2, 3, 4) if (p % 2 == 1) != home_attacks_right_first]


def _date(metadata: dict) -> dt.datetime | None:
    text = metadata.get("date_time")
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC) if text else None
    except ValueError:
        return None


def _score(metadata: dict) -> tuple[int, int] | None:
    home, away = metadata.get("home_team_score"), metadata.get("away_team_score")
    return (int(home), int(away)) if home is not None and away is not None else None
