"""GNSS (GPS) wearables -> ``Tracking`` in pitch metres (no ball: NaN).

Two CSV layouts:

- **SoccerTrack** (wide): four header rows - team ids, player ids, ``Lat``/``Lon`` labels, a
  ``Time`` label row - then one row per sample: wall-clock time, then a latitude and a
  longitude column per player. Team ``0`` is taken as home, ``1`` as away.
- **Generic long** (one row per player and sample), header
  ``time, player_id, team, lat, lon`` plus optional ``name`` and ``jersey_no``. ``time`` is
  seconds (a number), a clock time ``HH:MM:SS.fff`` or an ISO date-time; ``team`` is
  ``home``/``away`` (any other two values: the first in sort order is home, with a warning).

From degrees to pitch metres:

1. Local tangent plane around a reference point (lat0, lon0) (the pitch centre, or the data's
   centre): ``north = (lat - lat0) * M``, ``east = (lon - lon0) * N * cos(lat0)`` with the
   WGS84 radii of curvature at lat0, ``M = a (1 - e^2) / (1 - e^2 sin^2 lat0)^1.5`` (meridian)
   and ``N = a / sqrt(1 - e^2 sin^2 lat0)`` (prime vertical), angles in radians. Over a
   pitch (~100 m) the plane differs from the ellipsoid by well under a millimetre.
2. With the pitch's four corners (``corners=[(lat, lon), ...]``, in the order pitch
   ``(-L/2, -W/2)``, ``(+L/2, -W/2)``, ``(+L/2, +W/2)``, ``(-L/2, +W/2)``: counter-clockwise
   seen from above, starting at the home goal line's corner on the home attackers' right), the
   plane is mapped to the pitch by the projective transform (homography) taking the four
   surveyed corners exactly onto the pitch's; it absorbs a rotated pitch, a slightly
   non-rectangular survey, and unequal scale. ``L`` and ``W`` default to the surveyed side
   lengths (mean of opposite sides). Corners listed clockwise would mirror the pitch (y flipped);
   the reader keeps them as given and says so in ``meta.warnings``.
3. Without corners the pitch is estimated from the data: the principal axes of all positions
   (long axis = x), the centre of their extent as the centre spot and the extent as the pitch
   size. That is only as good as the players' coverage of the pitch, and which way is +x is
   unknown; ``meta.warnings`` says so.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from sideline.core.football import (
    AWAY, BALL_UNKNOWN, HOME, OWNER_UNKNOWN, MatchMeta, Period, Player, Team, Tracking,
)

from .checks import check_frame_rate
from .errors import IngestError, file_error

WGS84_A = 6_378_137.0
WGS84_E2 = 6.694_379_990_14e-3


def tangent_plane(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> tuple[np.ndarray, np.ndarray]:
    """Degrees -> metres east and north of (lat0, lon0) (step 1 of the module docstring)."""
    phi = np.radians(lat0)
    w = 1.0 - WGS84_E2 * np.sin(phi) ** 2
    meridian, prime_vertical = WGS84_A * (1 - WGS84_E2) / w ** 1.5, WGS84_A / np.sqrt(w)
    return np.radians(lon - lon0) * prime_vertical * np.cos(phi), np.radians(lat - lat0) * meridian


def homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """3x3 projective transform mapping four source points exactly onto four target points."""
    rows = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.array(rows, dtype=np.float64))
    return (vt[-1] / vt[-1, -1]).reshape(3, 3)


def apply_homography(matrix: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = matrix[2, 0] * x + matrix[2, 1] * y + matrix[2, 2]
    return ((matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2]) / w,
            (matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2]) / w)


def to_pitch(lat: np.ndarray, lon: np.ndarray, corners: Sequence[Sequence[float]] | None,
             pitch_length: float | None, pitch_width: float | None, notes: list[str]):
    """Degrees -> pitch metres; returns x, y, length, width (steps 2-3 of the module docstring)."""
    if corners is not None:
        corner_array = np.asarray(corners, dtype=np.float64)
        if corner_array.shape != (4, 2):
            raise IngestError(f"corners must be four (lat, lon) pairs, got shape {corner_array.shape}")
        lat0, lon0 = corner_array.mean(axis=0)
        east_c, north_c = tangent_plane(corner_array[:, 0], corner_array[:, 1], lat0, lon0)
        side = np.hypot(np.diff(np.append(east_c, east_c[0])), np.diff(np.append(north_c, north_c[0])))
        # Shoelace area in (east, north): negative = clockwise seen from above = a mirrored pitch.
        if np.dot(east_c, np.roll(north_c, -1)) - np.dot(north_c, np.roll(east_c, -1)) < 0:
            notes.append("the pitch corners run clockwise seen from above, so the pitch comes out mirrored "
                         "(y flipped); list them counter-clockwise from the corner at (-L/2, -W/2)")
        length = pitch_length or float((side[0] + side[2]) / 2)
        width = pitch_width or float((side[1] + side[3]) / 2)
        pitch_corners = np.array([[-length / 2, -width / 2], [length / 2, -width / 2],
                                  [length / 2, width / 2], [-length / 2, width / 2]])
        matrix = homography(np.stack([east_c, north_c], axis=1), pitch_corners)
        east, north = tangent_plane(lat, lon, lat0, lon0)
        x, y = apply_homography(matrix, east, north)
        return x, y, length, width
    seen = ~np.isnan(lat)
    if not seen.any():
        raise IngestError("no position in the file")
    lat0, lon0 = float(np.mean(lat[seen])), float(np.mean(lon[seen]))
    east, north = tangent_plane(lat, lon, lat0, lon0)
    points = np.stack([east[seen], north[seen]], axis=1)
    _, _, axes = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)
    along, across = axes[0], np.array([-axes[0][1], axes[0][0]])  # right-handed: +y left of +x
    u, v = east * along[0] + north * along[1], east * across[0] + north * across[1]
    u_range, v_range = (np.nanmin(u), np.nanmax(u)), (np.nanmin(v), np.nanmax(v))
    length = pitch_length or float(u_range[1] - u_range[0])
    width = pitch_width or float(v_range[1] - v_range[0])
    notes.append("pitch corners not given: pitch position, size and direction estimated from the extent of the "
                 "players' positions (which end is +x is a guess); give corners for accurate coordinates")
    return u - (u_range[0] + u_range[1]) / 2, v - (v_range[0] + v_range[1]) / 2, length, width


def _seconds(values: list[str], path: Path) -> np.ndarray:
    """Sample times as seconds: plain numbers, clock times, or ISO date-times."""
    series = pl.Series(values, dtype=pl.String).str.strip_chars()
    numbers = series.cast(pl.Float64, strict=False)
    if numbers.null_count() == 0:
        return numbers.to_numpy()
    if series.str.contains("T").all() or series.str.contains(r"^\d{4}-").all():
        stamps = series.str.to_datetime(strict=False, time_zone="UTC")
        if stamps.null_count() == 0:
            return (stamps.dt.epoch("us").to_numpy() / 1e6).astype(np.float64)
    parts = series.str.split(":")
    if parts.list.len().is_in([2, 3]).all():
        padded = parts.list.reverse()  # seconds, minutes[, hours]
        seconds = padded.list.get(0).cast(pl.Float64, strict=False)
        minutes = padded.list.get(1).cast(pl.Float64, strict=False)
        hours = padded.list.get(2, null_on_oob=True).cast(pl.Float64, strict=False).fill_null(0.0)
        total = seconds + 60 * minutes + 3600 * hours
        if total.null_count() == 0:
            return total.to_numpy()
    bad = next(v for v, ok in zip(values, numbers.is_not_null(), strict=True) if not ok)
    raise file_error(path, f"cannot read the time {bad!r} (seconds, HH:MM:SS.fff or an ISO date-time)")


def _read_soccertrack(path: Path, lines: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Player]]:
    teams, ids, labels = lines[0][1:], lines[1][1:], lines[2][1:]
    if len(teams) != len(ids) or len(ids) != len(labels) or len(labels) % 2 or labels[0::2] != ["Lat"] * (len(labels) // 2) \
            or labels[1::2] != ["Lon"] * (len(labels) // 2):
        raise file_error(path, "header rows 1-3 must give team ids, player ids and Lat,Lon pairs of equal length")
    try:
        frame = pl.read_csv(path, skip_rows=4, has_header=False, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise file_error(path, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    if frame.width != len(labels) + 1:
        raise file_error(path, f"data rows have {frame.width} columns, the header announces {len(labels) + 1}")
    if frame.height == 0:
        raise file_error(path, "no samples after the four header rows")
    t = _seconds(frame[:, 0].to_list(), path)
    coords = frame[:, 1:].select(pl.all().cast(pl.Float64, strict=False)).to_numpy()
    raw_bad = frame[:, 1:].select(pl.all().is_not_null()).to_numpy() & np.isnan(coords)
    if raw_bad.any():
        row, col = np.argwhere(raw_bad)[0]
        raise file_error(path, f"sample {row + 1}: {frame[int(row), int(col) + 1]!r} is not a number")
    team_values = sorted(set(teams[0::2]))
    side_of = {team: HOME if i == 0 else AWAY for i, team in enumerate(team_values)}
    players = [Player(player_id=f"{teams[k]}_{ids[k]}", side=side_of[teams[k]]) for k in range(0, len(labels), 2)]
    return t, coords[:, 0::2], coords[:, 1::2], players


def _read_long(path: Path, notes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Player]]:
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise file_error(path, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    missing = [c for c in ("time", "player_id", "team", "lat", "lon") if c not in frame.columns]
    if missing:
        raise file_error(path, f"missing column(s) {', '.join(missing)}; a GNSS CSV is either SoccerTrack's "
                               "layout or has the columns time, player_id, team, lat, lon[, name, jersey_no]")
    if frame.height == 0:
        raise file_error(path, "no samples")
    lat = frame["lat"].cast(pl.Float64, strict=False)
    lon = frame["lon"].cast(pl.Float64, strict=False)
    bad = (lat.is_null() & frame["lat"].is_not_null()) | (lon.is_null() & frame["lon"].is_not_null())
    if bad.any():
        row = int(bad.arg_max())
        raise file_error(path, f"row {row + 2}: lat/lon {frame['lat'][row]!r}, {frame['lon'][row]!r} are not numbers")
    seconds = _seconds(frame["time"].to_list(), path)
    team_values = sorted(set(frame["team"].to_list()))
    if set(team_values) <= {HOME, AWAY}:
        side_of = {HOME: HOME, AWAY: AWAY}
    elif len(team_values) <= 2:
        side_of = {team: HOME if i == 0 else AWAY for i, team in enumerate(team_values)}
        notes.append(f"team {team_values[0]!r} taken as home" + (f", {team_values[1]!r} as away" if len(team_values) > 1 else ""))
    else:
        raise file_error(path, f"{len(team_values)} teams ({', '.join(map(str, team_values[:5]))}); expected two")
    ids = frame["player_id"].to_list()
    first_rows = {pid: i for i, pid in reversed(list(enumerate(ids)))}
    order = sorted(first_rows, key=lambda pid: (side_of[frame["team"][first_rows[pid]]] != HOME, first_rows[pid]))
    names = frame["name"].to_list() if "name" in frame.columns else None
    jerseys = frame["jersey_no"].cast(pl.Int64, strict=False).to_list() if "jersey_no" in frame.columns else None
    players = [Player(player_id=str(pid), side=side_of[frame["team"][first_rows[pid]]],
                      name=names[first_rows[pid]] if names else None,
                      jersey_no=jerseys[first_rows[pid]] if jerseys else None) for pid in order]
    times, time_index = np.unique(seconds, return_inverse=True)
    column = {pid: j for j, pid in enumerate(order)}
    player_index = np.array([column[pid] for pid in ids], dtype=np.int64)
    lat_grid = np.full((len(times), len(players)), np.nan)
    lon_grid = np.full((len(times), len(players)), np.nan)
    lat_grid[time_index, player_index] = lat.fill_null(np.nan).to_numpy()
    lon_grid[time_index, player_index] = lon.fill_null(np.nan).to_numpy()
    return times, lat_grid, lon_grid, players


def _mean_by_group(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    seen = ~np.isnan(values)
    total = np.zeros((n_groups, values.shape[1]))
    count = np.zeros((n_groups, values.shape[1]))
    np.add.at(total, group, np.where(seen, values, 0.0))
    np.add.at(count, group, seen)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def read_gnss(path: Path, corners: Sequence[Sequence[float]] | None = None, pitch_length: float | None = None,
              pitch_width: float | None = None, home_name: str = "home", away_name: str = "away") -> Tracking:
    """Read a GNSS CSV (either layout) into ``Tracking`` in pitch metres."""
    path = Path(path)
    notes: list[str] = []
    with path.open(newline="", encoding="utf-8-sig", errors="strict") as handle:
        try:
            head = [row for _, row in zip(range(4), csv.reader(handle), strict=False)]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise file_error(path, f"not a text CSV ({exc})") from None
    if not head:
        raise file_error(path, "the file is empty")
    soccertrack = len(head) == 4 and head[0][:1] == [""] and "Lat" in head[2] and head[3][:1] == ["Time"]
    if soccertrack:
        t, lat, lon, players = _read_soccertrack(path, head)
        notes.append("SoccerTrack layout: team 0 taken as home, team 1 as away")
    else:
        t, lat, lon, players = _read_long(path, notes)
    order = np.argsort(t, kind="stable")
    t, lat, lon = t[order], lat[order], lon[order]
    times, group = np.unique(t, return_inverse=True)
    if len(times) < len(t):
        # Loggers sometimes stamp consecutive samples with the same time: average them.
        notes.append(f"{len(t) - len(times)} sample row(s) repeat an earlier time stamp; rows sharing a time "
                     "were averaged")
        lat, lon = _mean_by_group(lat, group, len(times)), _mean_by_group(lon, group, len(times))
        t = times
    x, y, length, width = to_pitch(lat, lon, corners, pitch_length, pitch_width, notes)
    steps = np.diff(t)
    frame_rate = float(round(1.0 / np.median(steps), 3)) if len(steps) else None
    t = t - t[0]
    n = len(t)
    meta = MatchMeta(
        provider="gnss", home=Team("home", HOME, home_name), away=Team("away", AWAY, away_name),
        players=tuple(players), pitch_length=float(length), pitch_width=float(width),
        periods=(Period(1, 0.0, float(t[-1]), 0.0),), frame_rate=frame_rate, warnings=tuple(notes))
    tracking = Tracking(
        meta=meta, frame_id=np.arange(n, dtype=np.int64), period=np.ones(n, dtype=np.int8), t=t,
        xy=np.stack([x, y], axis=-1).astype(np.float32), ball=np.full((n, 3), np.nan, dtype=np.float32),
        ball_state=np.full(n, BALL_UNKNOWN, dtype=np.int8), ball_owning_team=np.full(n, OWNER_UNKNOWN, dtype=np.int8))
    check_frame_rate(tracking, path.name)
    return tracking
