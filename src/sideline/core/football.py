"""The canonical football match: metadata, tracking frames and events, whatever the provider.

Every reader in ``sideline.ingest.football`` returns these types and nothing downstream knows
which provider the data came from (kloppy's habit: normalise at the boundary).

Pitch coordinate system (docs/football.md):
- metres, origin at the centre spot;
- ``x`` along the length, ``y`` along the width, ``x`` in ``[-length/2, length/2]``,
  ``y`` in ``[-width/2, width/2]``; ``z`` (ball height) metres above the grass;
- direction of play normalised: the home team attacks towards ``+x`` in every period, and
  ``+y`` is to the attacking home team's left (the pitch drawn with home playing left to
  right has ``+y`` at the top). This is kloppy's SecondSpectrum coordinate system with its
  ``STATIC_HOME_AWAY`` orientation, so kloppy is a direct reference for every reader.

Time: ``t`` is seconds since the start of the frame's period (as providers count it);
``timeline`` is seconds since kick-off with the periods laid end to end (monotonic, what
storage and the 2D player seek by).

Missing data is NaN, never zero: a player not on the pitch or not seen by a broadcast camera
has NaN coordinates in that frame; the ball's ``z`` is NaN when the provider has no height.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

HOME, AWAY = "home", "away"
SIDES = (HOME, AWAY)

# Ball state per frame.
BALL_DEAD, BALL_ALIVE, BALL_UNKNOWN = 0, 1, -1
# Ball-owning team per frame (index into SIDES), or unknown.
OWNER_HOME, OWNER_AWAY, OWNER_UNKNOWN = 0, 1, -1


@dataclasses.dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    side: str  # HOME or AWAY
    name: str
    colour: str | None = None  # "#rrggbb" kit colour when the provider gives one


@dataclasses.dataclass(frozen=True, slots=True)
class Player:
    player_id: str  # the provider's id, as text
    side: str  # HOME or AWAY
    name: str | None = None
    jersey_no: int | None = None
    position: str | None = None  # provider's position code, e.g. "GK", "LCB"
    starting: bool | None = None

    @property
    def is_goalkeeper(self) -> bool:
        return (self.position or "").upper() in {"GK", "GOALKEEPER", "G", "TW"}


@dataclasses.dataclass(frozen=True, slots=True)
class Period:
    period_id: int  # 1, 2 (regular), 3, 4 (extra time), 5 (penalties)
    start_t: float  # seconds, period-relative clock of its first frame/event (usually 0)
    end_t: float  # seconds, of its last frame/event
    timeline_offset: float  # seconds on the match timeline where this period starts

    @property
    def duration(self) -> float:
        return self.end_t - self.start_t


@dataclasses.dataclass(frozen=True, slots=True)
class MatchMeta:
    provider: str  # "skillcorner", "tracab", "statsbomb", "gnss", ...
    home: Team
    away: Team
    players: tuple[Player, ...]  # the tracking arrays' player axis follows this order
    pitch_length: float = 105.0  # metres
    pitch_width: float = 68.0
    periods: tuple[Period, ...] = ()
    frame_rate: float | None = None  # Hz, tracking only
    match_id: str | None = None
    date: dt.datetime | None = None
    score: tuple[int, int] | None = None  # home, away (final, when known)
    competition: str | None = None
    warnings: tuple[str, ...] = ()  # what the reader had to assume or repair

    def team(self, side: str) -> Team:
        if side not in SIDES:
            raise ValueError(f"side must be 'home' or 'away', not {side!r}")
        return self.home if side == HOME else self.away

    def player_index(self, player_id: str) -> int:
        for i, player in enumerate(self.players):
            if player.player_id == player_id:
                return i
        raise KeyError(f"No player with id {player_id!r}")

    def side_mask(self, side: str) -> np.ndarray:
        return np.array([p.side == side for p in self.players], dtype=bool)

    def period(self, period_id: int) -> Period:
        for period in self.periods:
            if period.period_id == period_id:
                return period
        raise KeyError(f"No period {period_id}")


def timeline_offsets(period_ids: Sequence[int], period_ends: Sequence[float], period_starts: Sequence[float]) -> list[float]:
    """Where each period starts on the match timeline: previous periods laid end to end."""
    offsets, clock = [], 0.0
    for _pid, start, end in zip(period_ids, period_starts, period_ends, strict=True):
        offsets.append(clock - start)
        clock += max(0.0, end - start)
    return offsets


@dataclasses.dataclass(eq=False)
class Tracking:
    """Frames x players arrays (structure of arrays: what vectorised metrics want).

    ``xy[f, p]`` is player ``meta.players[p]`` in frame ``f``; NaN where not observed.
    """

    meta: MatchMeta
    frame_id: np.ndarray  # int64 [F], provider frame numbers
    period: np.ndarray  # int8 [F]
    t: np.ndarray  # float64 [F], seconds since the start of the period
    xy: np.ndarray  # float32 [F, P, 2]
    ball: np.ndarray  # float32 [F, 3]
    ball_state: np.ndarray  # int8 [F], BALL_ALIVE / BALL_DEAD / BALL_UNKNOWN
    ball_owning_team: np.ndarray  # int8 [F], OWNER_HOME / OWNER_AWAY / OWNER_UNKNOWN

    def __post_init__(self) -> None:
        n_frames, n_players = len(self.frame_id), len(self.meta.players)
        expected = {
            "frame_id": (n_frames,), "period": (n_frames,), "t": (n_frames,), "xy": (n_frames, n_players, 2),
            "ball": (n_frames, 3), "ball_state": (n_frames,), "ball_owning_team": (n_frames,),
        }
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"Tracking.{name} has shape {actual}, expected {shape}")
        if n_frames > 1:
            order = np.lexsort((self.t, self.period))
            if not np.array_equal(order, np.arange(n_frames)):
                raise ValueError("Tracking frames must be sorted by period, then time")

    @property
    def n_frames(self) -> int:
        return len(self.frame_id)

    @property
    def n_players(self) -> int:
        return len(self.meta.players)

    @property
    def timeline(self) -> np.ndarray:
        """Seconds since kick-off with the periods laid end to end (monotonic)."""
        offsets = {p.period_id: p.timeline_offset for p in self.meta.periods}
        lookup = np.zeros(int(self.period.max(initial=0)) + 1)
        for pid, off in offsets.items():
            if pid < len(lookup):
                lookup[pid] = off
        return self.t + lookup[self.period]

    @property
    def observed(self) -> np.ndarray:
        """bool [F, P]: the player's position is known in that frame."""
        return ~np.isnan(self.xy[..., 0])

    def frames_with_objects(self) -> np.ndarray:
        """bool [F]: at least one player or the ball is known."""
        return self.observed.any(axis=1) | ~np.isnan(self.ball[:, 0])

    def select(self, frames: np.ndarray | slice) -> Tracking:
        """The same match restricted to some frames (a boolean mask, indices or a slice)."""
        return dataclasses.replace(
            self, frame_id=self.frame_id[frames], period=self.period[frames], t=self.t[frames],
            xy=self.xy[frames], ball=self.ball[frames], ball_state=self.ball_state[frames],
            ball_owning_team=self.ball_owning_team[frames])

    def to_polars(self) -> pl.DataFrame:
        """One row per frame: ``t`` (timeline), ``period``, ``period_t``, ``frame_id``,
        ``ball_state``, ``ball_owning_team``, ``ball_x/y/z``, then ``x_<i>``/``y_<i>`` per
        player index ``i`` of ``meta.players`` (the layout stored as Parquet)."""
        columns: dict[str, np.ndarray] = {
            "t": self.timeline, "period": self.period, "period_t": self.t, "frame_id": self.frame_id,
            "ball_state": self.ball_state, "ball_owning_team": self.ball_owning_team,
            "ball_x": self.ball[:, 0], "ball_y": self.ball[:, 1], "ball_z": self.ball[:, 2],
        }
        for i in range(self.n_players):
            columns[f"x_{i}"] = self.xy[:, i, 0]
            columns[f"y_{i}"] = self.xy[:, i, 1]
        # NaN stays NaN (not null): Parquet keeps it and numpy round-trips it unchanged.
        return pl.DataFrame(columns)

    @classmethod
    def from_polars(cls, meta: MatchMeta, frame: pl.DataFrame) -> Tracking:
        n_players = len(meta.players)
        xy = np.full((frame.height, n_players, 2), np.nan, dtype=np.float32)
        for i in range(n_players):
            if f"x_{i}" in frame.columns:
                xy[:, i, 0] = frame[f"x_{i}"].to_numpy()
                xy[:, i, 1] = frame[f"y_{i}"].to_numpy()
        ball = np.stack([frame[c].cast(pl.Float32).fill_null(np.nan).to_numpy()
                         for c in ("ball_x", "ball_y", "ball_z")], axis=1)
        return cls(meta=meta, frame_id=frame["frame_id"].to_numpy().astype(np.int64),
                   period=frame["period"].to_numpy().astype(np.int8), t=frame["period_t"].to_numpy().astype(np.float64),
                   xy=xy, ball=ball.astype(np.float32), ball_state=frame["ball_state"].to_numpy().astype(np.int8),
                   ball_owning_team=frame["ball_owning_team"].to_numpy().astype(np.int8))


# Event table columns (one row per event, sorted by period then t). Coordinates in the pitch
# system above, NaN when unknown. ``type`` is kloppy's event type in lower case ("pass",
# "shot", "carry", "recovery", ...); ``result`` its result in lower case ("complete",
# "incomplete", "goal", "saved", ...); ``success`` whether the result counts as successful.
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String, "period": pl.Int8, "t": pl.Float64, "timeline": pl.Float64,
    "side": pl.String, "player_id": pl.String, "type": pl.String, "result": pl.String,
    "success": pl.Boolean, "x": pl.Float64, "y": pl.Float64, "end_x": pl.Float64, "end_y": pl.Float64,
    "receiver_id": pl.String, "body_part": pl.String, "set_piece": pl.String, "raw_type": pl.String,
}
# 360 / freeze-frame positions attached to events.
FREEZE_FRAME_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String, "player_id": pl.String, "side": pl.String, "teammate": pl.Boolean,
    "actor": pl.Boolean, "keeper": pl.Boolean, "x": pl.Float64, "y": pl.Float64,
}


@dataclasses.dataclass(eq=False)
class Events:
    meta: MatchMeta
    table: pl.DataFrame  # EVENT_SCHEMA
    freeze_frames: pl.DataFrame | None = None  # FREEZE_FRAME_SCHEMA

    def __post_init__(self) -> None:
        missing = [c for c in EVENT_SCHEMA if c not in self.table.columns]
        if missing:
            raise ValueError(f"Events.table lacks column(s): {', '.join(missing)}")

    def of_type(self, event_type: str) -> pl.DataFrame:
        return self.table.filter(pl.col("type") == event_type)


@dataclasses.dataclass(eq=False)
class Match:
    """What an import produces: metadata with tracking, events, or both."""

    meta: MatchMeta
    tracking: Tracking | None = None
    events: Events | None = None
