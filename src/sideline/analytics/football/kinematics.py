"""Speed and acceleration from tracked positions: jump cutting, smoothing, plausibility.

The pipeline (docs/football-metrics.md, "Physical"), on frames x players arrays at once:

1. Split each player's track into *segments* of contiguous observed frames: a segment ends at
   a missing frame, a time gap (frames the provider skipped), a period boundary, or a *jump*
   (a raw step faster than ``jump_speed_ms``: broadcast tracking re-identifies a player
   elsewhere and the position teleports). Nothing is ever smoothed or differentiated across
   a segment boundary.
2. Savitzky–Golay fit (``smoothing_polyorder``, ``smoothing_window_s``) inside every segment:
   smoothed position and velocity from the same local polynomial; near a segment's edges
   the window is shifted inward (scipy's ``mode="interp"``), never padded. Segments shorter
   than one window are too short to fit and count as not observed.
3. Speeds above ``speed_cap_ms`` are tracking errors: rejected (NaN, ``valid`` False), not
   clipped. Acceleration is the same Savitzky–Golay derivative of speed (so ``accel`` is the
   rate of change of speed, what acceleration counts and metabolic power use), within runs
   of valid speed; values beyond ``accel_cap_ms2`` are rejected the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from typing import Any

import numpy as np

from sideline.core.football import Tracking
from sideline.errors import InvalidInput

# Frames further apart than this many frame periods are not contiguous (the provider skipped some).
_GAP_TOLERANCE_FRAMES = 1.5
_BLOCK = 1 << 16


@dataclasses.dataclass(frozen=True)
class PhysicalConfig:
    """Definitions of every physical metric; stored with the results they produced."""

    speed_zones_kmh: tuple[float, ...] = (7.2, 14.4, 19.8, 25.2)  # zone edges: n edges -> n + 1 zones
    hsr_kmh: float = 19.8  # high-speed running at or above this
    sprint_kmh: float = 25.2
    sprint_min_s: float = 1.0  # a sprint is at least this long above sprint_kmh
    accel_ms2: float = 3.0
    decel_ms2: float = -3.0
    # 0.5 s: the shortest effort duration common in the GPS literature (Harper et al. 2019) and
    # 5 frames at 10 Hz, so one noisy frame of broadcast tracking cannot make an effort.
    accel_min_s: float = 0.5
    speed_cap_ms: float = 12.0  # faster than any footballer (~10.5 m/s): a tracking error
    accel_cap_ms2: float = 10.0  # beyond the ~6 (accel) / ~-9 (decel) m/s^2 peaks reported in elite football
    jump_speed_ms: float = 12.0  # a raw step faster than this is a teleport: the segment is cut there
    smoothing_window_s: float = 0.9  # Savitzky–Golay window (9 frames at 10 Hz, 23 at 25 Hz)
    smoothing_polyorder: int = 2
    top_speed_hold_s: float = 0.5  # top speed: the highest speed held for at least this long
    window_s: float = 300.0  # by="window" rows
    metabolic_terrain_factor: float = 1.29  # KT for grass (Osgnach et al. 2010)
    metabolic_min_hz: float = 5.0  # below this the acceleration is too coarse for metabolic power

    VERSION = 1  # bump when a definition changes without a field changing

    def __post_init__(self) -> None:
        problems = []
        try:
            edges = tuple(float(e) for e in self.speed_zones_kmh)
        except (TypeError, ValueError):
            raise InvalidInput(f"speed_zones_kmh must be a list of numbers, got {self.speed_zones_kmh!r}") from None
        object.__setattr__(self, "speed_zones_kmh", edges)
        if not edges or any(e <= 0 for e in edges) or any(b <= a for a, b in zip(edges, edges[1:])):
            problems.append(f"speed_zones_kmh must be positive and strictly increasing, got {list(edges)}")
        for name in ("hsr_kmh", "sprint_kmh", "sprint_min_s", "accel_ms2", "accel_min_s", "speed_cap_ms",
                     "accel_cap_ms2", "jump_speed_ms", "smoothing_window_s", "top_speed_hold_s", "window_s",
                     "metabolic_terrain_factor", "metabolic_min_hz"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value <= 0:
                problems.append(f"{name} must be a positive number, got {value!r}")
        if not isinstance(self.decel_ms2, int | float) or not self.decel_ms2 < 0:
            problems.append(f"decel_ms2 must be negative, got {self.decel_ms2!r}")
        if not isinstance(self.smoothing_polyorder, int) or not 1 <= self.smoothing_polyorder <= 5:
            problems.append(f"smoothing_polyorder must be an integer from 1 to 5, got {self.smoothing_polyorder!r}")
        if problems:
            raise InvalidInput("Invalid physical metrics configuration: " + "; ".join(problems))

    @property
    def version(self) -> int:
        return self.VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields plus ``version`` and ``definition_hash`` (what stored metrics cite)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["speed_zones_kmh"] = list(self.speed_zones_kmh)
        return {**fields, "version": self.VERSION, "definition_hash": self.definition_hash}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhysicalConfig:
        """Inverse of ``to_dict``; missing fields take their defaults, unknown ones are an error."""
        if not isinstance(data, dict):
            raise InvalidInput(f"Physical metrics configuration must be an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known - {"version", "definition_hash"})
        if unknown:
            raise InvalidInput(f"Unknown physical metrics setting(s): {', '.join(unknown)}")
        values = {k: v for k, v in data.items() if k in known}
        if "speed_zones_kmh" in values:
            values["speed_zones_kmh"] = tuple(values["speed_zones_kmh"])
        config = cls(**values)
        claimed = data.get("definition_hash")
        if claimed is not None and data.get("version", cls.VERSION) == cls.VERSION and claimed != config.definition_hash:
            raise InvalidInput("Physical metrics configuration does not match its definition_hash")
        return config

    @property
    def definition_hash(self) -> str:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["speed_zones_kmh"] = list(self.speed_zones_kmh)
        canonical = json.dumps({"version": self.VERSION, **fields}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]




@dataclasses.dataclass(eq=False)
class Kinematics:
    """Motion of every player where it is known, as *samples*: one per (player, frame) with a
    valid speed, ordered by player then frame (sparse: broadcast data has ~3 % of the frames x
    players cells filled). Dense frames x players views (``speed``, ``accel``, ``valid``)
    are built on first use."""

    config: PhysicalConfig
    frame_rate: float  # Hz
    timeline: np.ndarray  # float64 [F], seconds since kick-off, periods end to end
    period: np.ndarray  # int8 [F]
    n_players: int
    sample_frame: np.ndarray  # int64 [N]
    sample_player: np.ndarray  # int64 [N]
    sample_segment: np.ndarray  # int64 [N]: run of consecutive valid frames (never across a gap, jump or period)
    sample_position: np.ndarray  # float64 [N, 2], smoothed metres
    sample_speed: np.ndarray  # float64 [N], m/s, all within the cap
    sample_accel: np.ndarray  # float64 [N], m/s^2, rate of change of speed; NaN where not computable
    # One row per (player, period) in which the player appears at all: player, period, first
    # and last frame index (raw observations, whatever their quality: what minutes played rests on).
    appearances: np.ndarray  # int64 [A, 4]
    n_jumps: int  # segment cuts made at teleports
    n_rejected_speed: int  # frames whose smoothed speed exceeded the cap

    @property
    def dt(self) -> float:
        return 1.0 / self.frame_rate

    def _dense(self, values: np.ndarray, fill: float | bool, dtype) -> np.ndarray:
        out = np.full((len(self.timeline), self.n_players), fill, dtype=dtype)
        out[self.sample_frame, self.sample_player] = values
        return out

    @functools.cached_property
    def speed(self) -> np.ndarray:
        """float32 [F, P], m/s; NaN where unknown or rejected."""
        return self._dense(self.sample_speed, np.nan, np.float32)

    @functools.cached_property
    def accel(self) -> np.ndarray:
        """float32 [F, P], m/s^2; NaN where unknown or rejected."""
        return self._dense(self.sample_accel, np.nan, np.float32)

    @functools.cached_property
    def valid(self) -> np.ndarray:
        """bool [F, P]: speed known and plausible."""
        return self._dense(True, False, bool)

    def player_slice(self, player_index: int) -> slice:
        """The samples of one player (they are contiguous)."""
        lo, hi = np.searchsorted(self.sample_player, [player_index, player_index + 1])
        return slice(int(lo), int(hi))


def frame_rate_of(tracking: Tracking) -> float:
    """The declared frame rate, or the median frame step when the provider gives none."""
    if tracking.meta.frame_rate:
        return float(tracking.meta.frame_rate)
    steps = np.diff(tracking.t)[np.diff(tracking.period) == 0]
    steps = steps[steps > 0]
    if steps.size == 0:
        raise InvalidInput("Tracking has no frame rate and too few frames to infer one")
    return float(1.0 / np.median(steps))


def smoothing_window_frames(config: PhysicalConfig, frame_rate: float) -> int:
    """Odd window length in frames, long enough for the polynomial order."""
    frames = int(round(config.smoothing_window_s * frame_rate))
    frames += 1 - frames % 2
    minimum = config.smoothing_polyorder + 2 - config.smoothing_polyorder % 2
    return max(frames, minimum)


def savgol_tables(window: int, polyorder: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares polynomial coefficients ``[position in window, window sample]`` for the
    value and the first derivative (per frame) at each position of the window (the same
    numbers as ``scipy.signal.savgol_coeffs(window, polyorder, deriv, pos=position)``)."""
    offsets = np.arange(window, dtype=np.float64)
    powers = np.arange(polyorder + 1)
    fit = np.linalg.pinv(offsets[:, None] ** powers)  # [order + 1, window]: samples -> polynomial
    value_basis = offsets[:, None] ** powers
    deriv_basis = powers * offsets[:, None] ** np.maximum(powers - 1, 0)
    return value_basis @ fit, deriv_basis @ fit


def _segment_ids(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment id per sample from start flags, and each segment's first and last sample index."""
    ids = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.append(first[1:], len(starts)) - 1
    return ids, first, last


def segment_savgol(values: np.ndarray, segment: np.ndarray, first: np.ndarray, last: np.ndarray,
                   table: np.ndarray) -> np.ndarray:
    """A Savitzky–Golay coefficient table applied to ``values[C, N]`` (samples in segment
    order), each window shifted to stay inside its own segment (all at least one window long)."""
    window = table.shape[0]
    out = np.empty(values.shape)
    # Blocks keep the [block, window] temporaries small and reused: fresh memory pages cost
    # more than the arithmetic at this size.
    for lo in range(0, values.shape[-1], _BLOCK):
        index = np.arange(lo, min(lo + _BLOCK, values.shape[-1]))
        seg = segment[index]
        win_start = np.clip(index - window // 2, first[seg], last[seg] - window + 1)
        coeffs = table[index - win_start]  # [block, window]
        gather = win_start[:, None] + np.arange(window)
        for channel in range(values.shape[0]):
            out[channel, index] = np.einsum("nw,nw->n", coeffs, values[channel][gather])
    return out


def _appearances(player: np.ndarray, frame: np.ndarray, period: np.ndarray) -> np.ndarray:
    """First and last observed frame per (player, period) from player-major, time-ordered samples."""
    key = np.stack([player, period[frame].astype(np.int64)])
    new = np.ones(len(frame), bool)
    new[1:] = (key[:, 1:] != key[:, :-1]).any(axis=0)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(frame)) - 1
    return np.stack([player[first], key[1, first], frame[first], frame[last]], axis=1)


def compute_kinematics(tracking: Tracking, config: PhysicalConfig = PhysicalConfig()) -> Kinematics:
    """Smoothed positions, speed and acceleration of every player wherever they are known."""
    if tracking.n_frames == 0:
        raise InvalidInput("Tracking has no frames: nothing to compute physical metrics from")
    frame_rate = frame_rate_of(tracking)
    n_frames, n_players = tracking.n_frames, tracking.n_players

    # Observed cells as samples, player-major: consecutive samples of one player are in time order.
    frame, player = np.nonzero(~np.isnan(tracking.xy[..., 0]) & ~np.isnan(tracking.xy[..., 1]))
    by_player = np.argsort(player, kind="stable")
    frame, player = frame[by_player], player[by_player]
    xy = tracking.xy[frame, player].astype(np.float64).T  # [2, N]
    appearances = _appearances(player, frame, tracking.period)

    # A sample continues the previous one when it is the same player in the next frame, that
    # frame follows without a time gap or period change, and the step is no teleport.
    step_t = np.diff(tracking.t)
    frame_follows = np.zeros(n_frames, bool)
    frame_follows[1:] = (np.diff(tracking.period) == 0) & (step_t > 0) & (step_t <= _GAP_TOLERANCE_FRAMES / frame_rate)
    adjacent = (player[1:] == player[:-1]) & (frame[1:] == frame[:-1] + 1) & frame_follows[frame[1:]]
    step_speed = np.hypot(*np.diff(xy, axis=1)) * frame_rate
    jump = adjacent & (step_speed > config.jump_speed_ms)
    starts = np.ones(len(frame), bool)
    starts[1:] = ~adjacent | jump

    # Segments shorter than one smoothing window are too short to fit: dropped.
    window = smoothing_window_frames(config, frame_rate)
    segment, first, last = _segment_ids(starts)
    usable = (last - first + 1 >= window)[segment]
    player, frame, xy, starts = player[usable], frame[usable], xy[:, usable], starts[usable]
    segment, first, last = _segment_ids(starts)
    value_table, deriv_table = savgol_tables(window, config.smoothing_polyorder)
    position = segment_savgol(xy, segment, first, last, value_table)
    velocity = segment_savgol(xy, segment, first, last, deriv_table) * frame_rate
    speed = np.hypot(velocity[0], velocity[1])

    # Implausible speeds are rejected (not clipped); a rejected frame splits its segment.
    plausible = speed <= config.speed_cap_ms
    starts = starts | np.concatenate([[True], ~plausible[:-1]])
    keep = plausible
    player, frame, position, speed, starts = player[keep], frame[keep], position[:, keep], speed[keep], starts[keep]
    segment, first, last = _segment_ids(starts)

    # Acceleration: the same derivative of speed, in runs at least one window long.
    accel = np.full(len(speed), np.nan)
    long_enough = (last - first + 1 >= window)[segment]
    if long_enough.any():
        _, sub_first, sub_last = _segment_ids(starts[long_enough])
        sub_segment = np.cumsum(starts[long_enough]) - 1
        accel[long_enough] = segment_savgol(speed[None, long_enough], sub_segment, sub_first, sub_last,
                                            deriv_table)[0] * frame_rate
    accel[np.abs(accel) > config.accel_cap_ms2] = np.nan

    return Kinematics(
        config=config, frame_rate=frame_rate, timeline=tracking.timeline, period=tracking.period, n_players=n_players,
        sample_frame=frame, sample_player=player, sample_segment=segment, sample_position=position.T.copy(),
        sample_speed=speed, sample_accel=accel, appearances=appearances, n_jumps=int(jump.sum()), n_rejected_speed=int((~plausible).sum()))
