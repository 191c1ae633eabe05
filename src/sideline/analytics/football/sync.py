"""Link event data to a tracking match from another provider (pure).

Events and tracking of the same match usually come from different providers, with their own
player ids, clocks and sometimes home/away the other way round. ``attach_events`` maps each
event player to a tracking player (same team, then shirt number, then name), puts the events
on the tracking match's timeline (period by period, from the kick-off of each period) and
mirrors coordinates when the providers disagree on which team is at home.

Time is linked by period start, not by a synchronisation of ball and event positions: a
provider's clock that drifts within a period shows as events a few seconds off (the warning
says how it was done).
"""

from __future__ import annotations

import dataclasses
import unicodedata

import polars as pl

from sideline.core.football import AWAY, HOME, Events, Match, Player
from sideline.errors import InvalidInput


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("-", " ").replace(".", " ").split())


def _same_team(a: str, b: str) -> bool:
    a_words, b_words = set(_norm(a).split()) - {"fc", "bv", "cf", "sc"}, set(_norm(b).split()) - {"fc", "bv", "cf", "sc"}
    return bool(a_words & b_words) or _norm(a) in _norm(b) or _norm(b) in _norm(a)


def sides_swapped(tracking_match: Match, events: Events) -> bool:
    """True when the event provider's home team is the tracking provider's away team."""
    t_meta, e_meta = tracking_match.meta, events.meta
    straight = _same_team(t_meta.home.name, e_meta.home.name) + _same_team(t_meta.away.name, e_meta.away.name)
    crossed = _same_team(t_meta.home.name, e_meta.away.name) + _same_team(t_meta.away.name, e_meta.home.name)
    return crossed > straight


def player_mapping(tracking_players: tuple[Player, ...], event_players: tuple[Player, ...],
                   swapped: bool) -> dict[str, str]:
    """Event player id -> tracking player id (same side; shirt number, else normalised name)."""
    flip = {HOME: AWAY, AWAY: HOME}
    by_number = {(p.side, p.jersey_no): p.player_id for p in tracking_players if p.jersey_no is not None}
    by_name = {(p.side, _norm(p.name)): p.player_id for p in tracking_players if p.name}
    by_surname = {(p.side, _norm(p.name).split()[-1]): p.player_id for p in tracking_players if _norm(p.name)}
    mapping = {}
    for player in event_players:
        side = flip[player.side] if swapped else player.side
        target = (by_number.get((side, player.jersey_no)) if player.jersey_no is not None else None) \
            or by_name.get((side, _norm(player.name))) \
            or (by_surname.get((side, _norm(player.name).split()[-1])) if _norm(player.name) else None)
        if target is not None:
            mapping[player.player_id] = target
    return mapping


def attach_events(tracking_match: Match, events: Events) -> Match:
    """``tracking_match`` with ``events`` on its timeline, players and sides."""
    if tracking_match.tracking is None:
        raise InvalidInput("Events can only be linked to a match that has tracking data")
    meta = tracking_match.meta
    periods = {p.period_id: p for p in meta.periods}
    table = events.table
    unknown = sorted(set(table["period"].unique().to_list()) - set(periods))
    if unknown and set(unknown) != {5}:  # penalty shoot-outs have no tracking; other periods must exist
        raise InvalidInput(f"The events have period(s) {unknown} that the tracking data does not have")
    table = table.filter(pl.col("period").is_in(list(periods)))
    swapped = sides_swapped(tracking_match, events)
    mapping = player_mapping(meta.players, events.meta.players, swapped)
    start = {pid: p.start_t for pid, p in periods.items()}
    offset = {pid: p.timeline_offset for pid, p in periods.items()}
    table = table.with_columns(
        (pl.col("t") + pl.col("period").replace_strict(start, return_dtype=pl.Float64)).alias("t"),
    ).with_columns(
        (pl.col("t") + pl.col("period").replace_strict(offset, return_dtype=pl.Float64)).alias("timeline"),
        pl.col("player_id").replace(mapping), pl.col("receiver_id").replace(mapping),
    )
    if swapped:
        flip = {HOME: AWAY, AWAY: HOME}
        table = table.with_columns(pl.col("side").replace(flip), *[-pl.col(c) for c in ("x", "y", "end_x", "end_y")])
    mapped = sum(1 for p in events.meta.players if p.player_id in mapping)
    notes = [f"events from {events.meta.provider} linked by period start; {mapped} of "
             f"{len(events.meta.players)} event players matched to tracked players"
             + ("; the providers disagree on home and away, so the events were turned round" if swapped else "")]
    score = meta.score or (tuple(reversed(events.meta.score)) if swapped and events.meta.score else events.meta.score)
    new_meta = dataclasses.replace(meta, score=score, warnings=(*meta.warnings, *notes))
    freeze = events.freeze_frames
    if freeze is not None and freeze.height:
        freeze = freeze.with_columns(pl.col("player_id").replace(mapping))
        if swapped:
            freeze = freeze.with_columns(pl.col("side").replace({HOME: AWAY, AWAY: HOME}), -pl.col("x"), -pl.col("y"))
    linked = Events(meta=new_meta, table=table.sort(["period", "t"]), freeze_frames=freeze)
    return Match(meta=new_meta, tracking=dataclasses.replace(tracking_match.tracking, meta=new_meta), events=linked)
