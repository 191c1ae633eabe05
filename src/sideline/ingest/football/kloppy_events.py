"""Any kloppy ``EventDataset`` -> canonical ``Events`` (EVENT_SCHEMA, plus 360 freeze frames).

Coordinates go through kloppy's own transform to the canonical pitch system (SecondSpectrum
coordinates, ``STATIC_HOME_AWAY``), freeze frames included, so the table and kloppy agree.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl

from sideline.core.football import (
    AWAY, EVENT_SCHEMA, FREEZE_FRAME_SCHEMA, HOME, Events, MatchMeta, Period, timeline_offsets,
)

from .kloppy_tracking import (
    canonical_player, canonical_team, match_date, ordered_players, pitch_of, score_of, side_of,
    to_canonical_orientation,
)


def _name(value) -> str | None:
    return None if value is None else str(getattr(value, "name", value)).lower()


def _qualifier(event, qualifier_name: str) -> str | None:
    for qualifier in event.qualifiers or ():
        if type(qualifier).__name__ == qualifier_name:
            return _name(qualifier.value)
    return None


def _end_point(event):
    # Passes end where they are received, shots where they end up, carries where they stop.
    for attribute in ("receiver_coordinates", "result_coordinates", "end_coordinates"):
        point = getattr(event, attribute, None)
        if point is not None:
            return point
    return None


def _xy(point) -> tuple[float, float]:
    if point is None or point.x is None or point.y is None:
        return np.nan, np.nan
    return float(point.x), float(point.y)


def _event_row(event) -> dict:
    x, y = _xy(event.coordinates)
    end_x, end_y = _xy(_end_point(event))
    receiver = getattr(event, "receiver_player", None)
    result = event.result
    return {
        "event_id": str(event.event_id), "period": event.period.id, "t": event.timestamp.total_seconds(),
        "side": side_of(event.team) if event.team is not None else None,
        "player_id": str(event.player.player_id) if event.player is not None else None,
        "type": _name(event.event_type), "result": _name(result),
        "success": bool(result.is_success) if result is not None and hasattr(result, "is_success") else None,
        "x": x, "y": y, "end_x": end_x, "end_y": end_y,
        "receiver_id": str(receiver.player_id) if receiver is not None else None,
        "body_part": _qualifier(event, "BodyPartQualifier"), "set_piece": _qualifier(event, "SetPieceQualifier"),
        "raw_type": event.event_name,
    }


def _freeze_frame_rows(event) -> list[dict]:
    # kloppy orients a freeze frame by the team in possession, the event by the team acting: for
    # a defending team's action (pressure, duel, interception) the two differ and the frame must
    # be turned round (a half-turn about the centre spot) to sit in the event's coordinates.
    owner, actor = event.ball_owning_team, event.team
    sign = -1.0 if owner is not None and actor is not None and owner != actor else 1.0
    rows = []
    for player, data in event.freeze_frame.players_data.items():
        x, y = _xy(data.coordinates)
        x, y = sign * x, sign * y
        position = player.starting_position
        rows.append({
            "event_id": str(event.event_id), "player_id": str(player.player_id), "side": side_of(player.team),
            "teammate": event.team is not None and player.team == event.team,
            "actor": event.player is not None and player == event.player,
            "keeper": position is not None and position.code == "GK", "x": x, "y": y,
        })
    return rows


def score_from_goals(table: pl.DataFrame) -> tuple[int, int]:
    """Final score from shots that went in plus own goals (credited to the other side)."""
    goals = table.filter((pl.col("type") == "shot") & (pl.col("result") == "goal"))
    own_goals = table.filter(pl.col("result") == "own_goal")
    home = goals.filter(pl.col("side") == HOME).height + own_goals.filter(pl.col("side") == AWAY).height
    away = goals.filter(pl.col("side") == AWAY).height + own_goals.filter(pl.col("side") == HOME).height
    return home, away


def events_from_kloppy(dataset, provider: str, notes: Sequence[str] = ()) -> Events:
    """Convert a kloppy EventDataset to ``Events`` in the canonical pitch system."""
    notes = list(notes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = to_canonical_orientation(dataset, notes)
    notes += [str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)]
    metadata, records = dataset.metadata, dataset.records

    table = pl.DataFrame([_event_row(e) for e in records], schema=EVENT_SCHEMA, orient="row")
    if table.height:
        table = table.with_row_index("_order").sort(["period", "t", "_order"]).drop("_order")
    periods = _periods(table)
    offsets = {p.period_id: p.timeline_offset for p in periods}
    table = table.with_columns(timeline=pl.col("t") + pl.col("period").replace_strict(offsets, default=0.0))

    freeze_rows = [row for e in records if getattr(e, "freeze_frame", None) is not None for row in _freeze_frame_rows(e)]
    freeze_frames = pl.DataFrame(freeze_rows, schema=FREEZE_FRAME_SCHEMA, orient="row") if freeze_rows else None

    players = ordered_players(metadata, ())
    home = next(t for t in metadata.teams if side_of(t) == HOME)
    away = next(t for t in metadata.teams if side_of(t) == AWAY)
    score = score_of(metadata)
    if score is None and table.height:
        score = score_from_goals(table)
        notes.append("final score counted from the goals in the events")
    length, width = pitch_of(metadata, notes)
    meta = MatchMeta(
        provider=provider, home=canonical_team(home), away=canonical_team(away),
        players=tuple(canonical_player(p) for p in players), pitch_length=length, pitch_width=width,
        periods=periods, frame_rate=None,
        match_id=str(metadata.game_id) if getattr(metadata, "game_id", None) is not None else None,
        date=match_date(metadata), score=score, warnings=tuple(dict.fromkeys(notes)))
    return Events(meta=meta, table=table, freeze_frames=freeze_frames)


def _periods(table: pl.DataFrame) -> tuple[Period, ...]:
    if table.height == 0:
        return ()
    spans = table.group_by("period").agg(start=pl.col("t").min(), end=pl.col("t").max()).sort("period")
    ids, starts, ends = spans["period"].to_list(), spans["start"].to_list(), spans["end"].to_list()
    offsets = timeline_offsets(ids, ends, starts)
    return tuple(Period(int(p), float(s), float(e), o) for p, s, e, o in zip(ids, starts, ends, offsets, strict=True))
