"""Any kloppy ``TrackingDataset`` -> canonical ``Tracking`` (the generic path for every provider).

kloppy does the provider-specific parsing and the coordinate work: the dataset is transformed
to its SecondSpectrum coordinate system (metres, origin at the centre spot, +y up) with the
``STATIC_HOME_AWAY`` orientation, which is exactly the canonical pitch system. What is left
here is flattening kloppy's per-frame objects into frames x players arrays: one pass over the
(frame, player) pairs kloppy's objects force on us, then NumPy scatters.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from sideline.core.football import (
    AWAY, BALL_ALIVE, BALL_DEAD, BALL_UNKNOWN, HOME, OWNER_AWAY, OWNER_HOME, OWNER_UNKNOWN,
    MatchMeta, Period, Player, Team, Tracking, timeline_offsets,
)

DEFAULT_PITCH = (105.0, 68.0)


def to_canonical_orientation(dataset, notes: list[str]):
    """kloppy's own transform to the canonical pitch system; notes what it could not do."""
    from kloppy.domain import Orientation

    try:
        return dataset.transform(to_coordinate_system="secondspectrum", to_orientation=Orientation.STATIC_HOME_AWAY)
    except Exception as exc:  # kloppy raises OrientationError (and friends) when it cannot tell directions
        notes.append(f"direction of play could not be normalised ({exc}); coordinates kept as the provider's, "
                     "converted to metres from the centre spot")
        return dataset.transform(to_coordinate_system="secondspectrum")


def side_of(team) -> str:
    return HOME if str(team.ground) == "home" else AWAY


def canonical_team(team, colour: str | None = None) -> Team:
    return Team(team_id=str(team.team_id), side=side_of(team), name=str(team.name) if team.name else side_of(team), colour=colour)


def canonical_player(player) -> Player:
    position = player.starting_position
    code = None if position is None or position.name == "Unknown" else position.code
    name = player.name or (f"{player.first_name or ''} {player.last_name or ''}".strip() or None)
    jersey = player.jersey_no
    try:
        jersey = int(jersey) if jersey is not None else None
    except (TypeError, ValueError):
        jersey = None
    return Player(player_id=str(player.player_id), side=side_of(player.team), name=name, jersey_no=jersey,
                  position=code, starting=bool(player.starting) if player.starting is not None else None)


def ordered_players(metadata, seen: Iterable) -> list:
    """Home players then away players: the metadata's order, then anyone only the frames know."""
    listed = [p for team in sorted(metadata.teams, key=lambda t: side_of(t) != HOME) for p in team.players]
    known = set(listed)
    extra: dict = {}
    for player in seen:
        if player not in known and player not in extra:
            extra[player] = None
    # Stable: within a side, the metadata's players first, then others by first appearance.
    return sorted(listed + list(extra), key=lambda p: side_of(p.team) != HOME)


def score_of(metadata) -> tuple[int, int] | None:
    score = getattr(metadata, "score", None)
    try:
        return (int(score.home), int(score.away)) if score is not None else None
    except (TypeError, ValueError):
        return None


def pitch_of(metadata, notes: list[str]) -> tuple[float, float]:
    dims = metadata.pitch_dimensions
    length, width = getattr(dims, "pitch_length", None), getattr(dims, "pitch_width", None)
    if not length or not width:
        notes.append(f"pitch size unknown; assumed {DEFAULT_PITCH[0]:g} x {DEFAULT_PITCH[1]:g} m")
        return DEFAULT_PITCH
    return float(length), float(width)


def match_date(metadata) -> dt.datetime | None:
    date = getattr(metadata, "date", None)
    return date if isinstance(date, dt.datetime) else None


def build_periods(period: np.ndarray, t: np.ndarray) -> tuple[Period, ...]:
    """Periods as the frames (or events) show them: first and last time, laid end to end."""
    ids = [int(p) for p in np.unique(period)]
    starts = [float(t[period == p].min()) for p in ids]
    ends = [float(t[period == p].max()) for p in ids]
    offsets = timeline_offsets(ids, ends, starts)
    return tuple(Period(pid, s, e, off) for pid, s, e, off in zip(ids, starts, ends, offsets, strict=True))


def sort_frames(period: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    order = np.lexsort((t, period))
    return None if np.array_equal(order, np.arange(len(order))) else order


def tracking_from_kloppy(dataset, provider: str, notes: Sequence[str] = ()) -> Tracking:
    """Convert a kloppy TrackingDataset (any provider, any orientation) to ``Tracking``."""
    notes = list(notes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = to_canonical_orientation(dataset, notes)
    notes += [str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)]
    metadata, frames = dataset.metadata, dataset.records
    n_frames = len(frames)

    # The one pass over kloppy's objects: (frame index, player, coordinates) triples.
    pairs = [(i, player, data.coordinates) for i, frame in enumerate(frames)
             for player, data in frame.players_data.items() if data.coordinates is not None]
    players = ordered_players(metadata, (player for _, player, _ in pairs))
    column = {player: j for j, player in enumerate(players)}

    xy = np.full((n_frames, len(players), 2), np.nan, dtype=np.float32)
    if pairs:
        rows = np.fromiter((i for i, _, _ in pairs), dtype=np.int64, count=len(pairs))
        cols = np.fromiter((column[p] for _, p, _ in pairs), dtype=np.int64, count=len(pairs))
        coords = np.array([(c.x, c.y) for _, _, c in pairs], dtype=np.float64).reshape(-1, 2)
        xy[rows, cols] = coords  # None coordinates became NaN in the float conversion

    ball = np.full((n_frames, 3), np.nan, dtype=np.float32)
    ball_rows = [(i, f.ball_coordinates) for i, f in enumerate(frames) if f.ball_coordinates is not None]
    if ball_rows:
        idx = np.array([i for i, _ in ball_rows], dtype=np.int64)
        ball[idx] = np.array([(b.x, b.y, getattr(b, "z", None)) for _, b in ball_rows], dtype=np.float64)

    state_code = {"alive": BALL_ALIVE, "dead": BALL_DEAD}
    ball_state = np.array([state_code.get(getattr(f.ball_state, "value", None), BALL_UNKNOWN) for f in frames],
                          dtype=np.int8)
    owner_code = {HOME: OWNER_HOME, AWAY: OWNER_AWAY}
    ball_owning_team = np.array([owner_code[side_of(f.ball_owning_team)] if f.ball_owning_team is not None
                                 else OWNER_UNKNOWN for f in frames], dtype=np.int8)
    frame_id = np.array([f.frame_id for f in frames], dtype=np.int64)
    period = np.array([f.period.id for f in frames], dtype=np.int8)
    t = np.array([f.timestamp.total_seconds() for f in frames], dtype=np.float64)

    order = sort_frames(period, t)
    if order is not None:
        notes.append("frames were not in time order and have been sorted")
        frame_id, period, t, xy, ball = frame_id[order], period[order], t[order], xy[order], ball[order]
        ball_state, ball_owning_team = ball_state[order], ball_owning_team[order]

    home = next(t_ for t_ in metadata.teams if side_of(t_) == HOME)
    away = next(t_ for t_ in metadata.teams if side_of(t_) == AWAY)
    length, width = pitch_of(metadata, notes)
    meta = MatchMeta(
        provider=provider, home=canonical_team(home), away=canonical_team(away),
        players=tuple(canonical_player(p) for p in players), pitch_length=length, pitch_width=width,
        periods=build_periods(period, t) if n_frames else (), frame_rate=metadata.frame_rate,
        match_id=str(metadata.game_id) if getattr(metadata, "game_id", None) is not None else None,
        date=match_date(metadata), score=score_of(metadata), warnings=tuple(dict.fromkeys(notes)))
    return Tracking(meta=meta, frame_id=frame_id, period=period, t=t, xy=xy, ball=ball,
                    ball_state=ball_state, ball_owning_team=ball_owning_team)
