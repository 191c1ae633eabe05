"""PFF FC's game and possession events, carried inside its tracking frames (kloppy reads the
positions only). Each frame that starts an event has ``game_event`` (who, which team, kick-offs
and other game events) and ``possession_event`` (pass, shot, cross, clearance, ...); events are
placed on the tracking timeline through their frame number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import polars as pl

from sideline.core.football import AWAY, EVENT_SCHEMA, HOME, Events, Match

# PFF possession event codes -> canonical event types (kloppy's names); the code stays in raw_type.
POSSESSION_TYPES = {"PA": "pass", "CR": "pass", "SH": "shot", "CL": "clearance", "BC": "carry", "CH": "duel",
                    "TC": "ball_receipt", "RE": "recovery"}
KICK_OFFS = {"FIRSTKICKOFF", "SECONDKICKOFF", "THIRDKICKOFF", "FOURTHKICKOFF"}


def _rows(raw_path: Path) -> list[dict]:
    rows = []
    with raw_path.open("rb") as f:
        for line in f:
            if b'"game_event"' not in line:  # cheap filter: most frames carry no event
                continue
            frame = orjson.loads(line)
            game, possession = frame.get("game_event"), frame.get("possession_event")
            if not game:
                continue
            code = (possession or {}).get("possession_event_type")
            game_type = str(game.get("game_event_type") or "")
            rows.append({
                "event_id": str(frame.get("game_event_id") or game.get("sequence")),
                "frame_id": int(frame["frameNum"]),
                "side": (HOME if game.get("home_team") else AWAY) if game.get("home_team") is not None else None,
                "player_id": str(game["player_id"]) if game.get("player_id") is not None else None,
                "type": POSSESSION_TYPES.get(code, "generic"),
                "raw_type": code or game_type.lower(),
                "set_piece": "kick_off" if game_type in KICK_OFFS else None,
            })
    return rows


def attach_pff_events(match: Match, raw_path: Path) -> Match:
    """``match`` (PFF tracking read by kloppy) with the events its frames carry, when any."""
    rows = _rows(raw_path)
    tracking = match.tracking
    if not rows or tracking is None:
        return match
    frame_ids = np.array([r["frame_id"] for r in rows])
    index = np.searchsorted(tracking.frame_id, frame_ids)
    found = (index < tracking.n_frames) & (tracking.frame_id[np.clip(index, 0, tracking.n_frames - 1)] == frame_ids)
    rows = [r for r, ok in zip(rows, found) if ok]
    index = index[found]
    if not rows:
        return match
    ball = tracking.ball[index]
    table = pl.DataFrame({
        "event_id": [r["event_id"] for r in rows], "period": tracking.period[index],
        "t": tracking.t[index], "timeline": tracking.timeline[index], "side": [r["side"] for r in rows],
        "player_id": [r["player_id"] for r in rows], "type": [r["type"] for r in rows],
        "result": [None] * len(rows), "success": [None] * len(rows),
        "x": ball[:, 0].astype(np.float64), "y": ball[:, 1].astype(np.float64),
        "end_x": np.full(len(rows), np.nan), "end_y": np.full(len(rows), np.nan),
        "receiver_id": [None] * len(rows), "body_part": [None] * len(rows),
        "set_piece": [r["set_piece"] for r in rows], "raw_type": [r["raw_type"] for r in rows],
    }, schema=EVENT_SCHEMA)
    return Match(meta=match.meta, tracking=tracking, events=Events(meta=match.meta, table=table))
