"""Server-rendered clips: a time range of a match's tracking as a 2D animation, H.264 MP4.

The static pitch is drawn once; each output frame copies it, adds fading trails (vectorised
pixel writes), player discs with shirt numbers and the ball (small pre-drawn sprites), the
clock and event captions, and goes straight to the encoder. Positions are interpolated to the
output frame times on the match timeline; a player unknown at a time is not drawn.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import BinaryIO

import numpy as np
import polars as pl

from sideline.core.football import MatchMeta, Player, Tracking
from sideline.errors import InvalidInput
from sideline.vision.clip_positions import sample_at_times, typical_step
from sideline.vision.mp4_writer import Mp4Writer
from sideline.vision.pitch_drawing import (
    BALL, GRASS, HEADER_BG, PitchLayout, Sprite, blend_sprite, disc_sprite, draw_background,
    pitch_layout, team_colours, text_strip,
)

MAX_CLIP_S = 600.0  # ten minutes: longer renders belong in several clips
MIN_WIDTH, MAX_WIDTH = 320, 3840
MAX_FPS = 60
TRAIL_SAMPLE_S = 0.1  # trail points this far apart: the tracking rate of most providers
EVENT_SHOW_S = 2.0  # an event's marker and caption stay this long
CAPTION_BG = (24, 32, 40)
_PERIOD_CLOCK_START_MIN = {1: 0, 2: 45, 3: 90, 4: 105, 5: 120}
_PERIOD_SHORT = {1: "1H", 2: "2H", 3: "ET1", 4: "ET2", 5: "PEN"}


@dataclasses.dataclass(frozen=True, slots=True)
class RenderResult:
    frames: int
    duration_s: float
    width: int
    height: int
    bytes: int


def render_clip(tracking: Tracking, start_s: float, end_s: float, out: str | os.PathLike | BinaryIO, *,
                width: int = 1280, fps: int = 25, trails_s: float = 2.0, show_numbers: bool = True,
                events: pl.DataFrame | None = None, title: str | None = None,
                progress: Callable[[float], None] | None = None) -> RenderResult:
    """Render ``[start_s, end_s)`` of the match timeline to an H.264 MP4 (``out``: a path or a
    writable binary stream), ``width`` x 9/16 pixels at ``fps``; ``progress`` gets 0..1."""
    _check_request(tracking, start_s, end_s, width, fps, trails_s)
    meta = tracking.meta
    layout = pitch_layout(meta, width)
    n_frames = int(round((end_s - start_s) * fps))
    trail_every = max(1, int(round(TRAIL_SAMPLE_S * fps)))
    trail_points = int(trails_s * fps) // trail_every
    history = trail_points * trail_every  # output frames before the clip the first trail needs
    times = start_s + np.arange(-history, n_frames) / fps

    timeline = tracking.timeline
    step = typical_step(timeline)
    # Only the tracking frames around the clip, and only the players seen in them (a
    # broadcast-tracked match can list hundreds of anonymous tracks): positions for the whole
    # clip are then a few MB at most (frames x objects x 2 floats); pictures are never kept.
    first = max(int(np.searchsorted(timeline, times[0])) - 1, 0)
    last = min(int(np.searchsorted(timeline, times[-1], side="right")) + 1, tracking.n_frames)
    near = slice(first, last)
    drawn = np.flatnonzero(np.isfinite(tracking.xy[near, :, 0]).any(axis=0))
    objects = np.concatenate([tracking.xy[near][:, drawn], tracking.ball[near, None, :2]], axis=1)  # ball last
    pixels = layout.to_pixels(sample_at_times(timeline[near], tracking.period[near], objects, times,
                                              max_gap_s=max(1.0, 2.5 * step), hold_s=0.55 * step))
    clock = _clock_labels(tracking, timeline, times[history:])
    players = [meta.players[i] for i in drawn]
    sprites = _object_sprites(meta, players, layout, show_numbers)
    trail_colours = _trail_colours(meta, players, trail_points)
    trail_offsets = _disc_offsets(max(1.0, layout.disc_radius_px * 0.2)).astype(np.int32)
    overlay = _EventOverlay(meta, layout, events, start_s, end_s) if events is not None else None
    background = draw_background(layout, title)
    clock_cache: dict[str, np.ndarray] = {}

    with Mp4Writer(out, layout.width, layout.height, fps) as writer:
        frame = writer.canvas
        for k in range(n_frames):
            now = history + k
            np.copyto(frame, background)
            visible = np.flatnonzero(np.isfinite(pixels[now]).all(axis=1))
            if trail_points and visible.size:
                # Only objects on screen now keep a trail: no tails of players who left the view.
                _draw_trails(frame, pixels[now - history:now + 1:trail_every, visible][::-1],
                             trail_colours[:, visible], trail_offsets, layout.header_px)
            if overlay is not None:
                overlay.draw(frame, times[now])
            for index in visible:
                blend_sprite(frame, sprites[index], *pixels[now, index], top=layout.header_px)
            _draw_clock(frame, layout, clock[k], clock_cache)
            writer.write()
            if progress is not None and (k + 1) % fps == 0 and k + 1 < n_frames:
                progress((k + 1) / n_frames)
    if progress is not None:
        progress(1.0)
    return RenderResult(frames=writer.frames, duration_s=writer.frames / fps, width=layout.width,
                        height=layout.height, bytes=writer.bytes)


def _check_request(tracking: Tracking, start_s: float, end_s: float, width: int, fps: int, trails_s: float) -> None:
    name = f"match {tracking.meta.match_id}" if tracking.meta.match_id else "this match"
    if tracking.n_frames == 0:
        raise InvalidInput(f"Cannot render a clip of {name}: it has no tracking frames")
    if not (np.isfinite(start_s) and np.isfinite(end_s)) or end_s <= start_s:
        raise InvalidInput(f"Clip range {start_s}–{end_s} s is empty or not a number: end must be after start")
    if end_s - start_s > MAX_CLIP_S:
        raise InvalidInput(f"Clip of {end_s - start_s:.0f} s is too long: at most {MAX_CLIP_S / 60:.0f} minutes "
                           "can be rendered at once")
    # The match's extent from its periods (tracking may be a window of it, or miss its edges
    # when a broadcast camera looked away); from the frames when the periods are unknown.
    timeline = tracking.timeline
    periods = tracking.meta.periods
    first = min((p.timeline_offset + p.start_t for p in periods), default=float(timeline[0]))
    last = max((p.timeline_offset + p.end_t for p in periods), default=float(timeline[-1]))
    slack = typical_step(timeline)  # the last frame shows until the next would have come
    if start_s < first - slack or end_s > last + slack:
        raise InvalidInput(f"Clip range {start_s:.1f}–{end_s:.1f} s is outside {name}: it covers "
                           f"{first:.1f}–{last:.1f} s of the match timeline")
    if not (MIN_WIDTH <= width <= MAX_WIDTH) or width % 2:
        raise InvalidInput(f"Clip width {width} px is not allowed: use an even number from {MIN_WIDTH} to {MAX_WIDTH}")
    if not (1 <= fps <= MAX_FPS):
        raise InvalidInput(f"Clip frame rate {fps} is not allowed: use 1 to {MAX_FPS} frames per second")
    if not (0 <= trails_s <= 10):
        raise InvalidInput(f"Trail length {trails_s} s is not allowed: use 0 to 10 seconds")


def _clock_labels(tracking: Tracking, timeline: np.ndarray, times: np.ndarray) -> list[str]:
    """"1H 23:45" per output frame: the period of the nearest tracking frame and its match clock."""
    nearest = np.clip(np.searchsorted(timeline, times), 0, len(timeline) - 1)
    earlier = np.clip(nearest - 1, 0, None)
    nearest = np.where(np.abs(timeline[earlier] - times) < np.abs(timeline[nearest] - times), earlier, nearest)
    periods = tracking.period[nearest].astype(np.int64)
    starts = {p.period_id: (p.timeline_offset, p.start_t) for p in tracking.meta.periods}
    offset = np.array([starts.get(int(p), (0.0, 0.0))[0] for p in range(periods.max() + 1)])
    first_t = np.array([starts.get(int(p), (0.0, 0.0))[1] for p in range(periods.max() + 1)])
    base = np.array([_PERIOD_CLOCK_START_MIN.get(p, 0) * 60 for p in range(periods.max() + 1)])
    seconds = np.maximum(times - offset[periods] - first_t[periods], 0) + base[periods]
    whole = np.floor(seconds).astype(np.int64)
    return [f"{_PERIOD_SHORT.get(int(p), f'P{p}')}  {s // 60:02d}:{s % 60:02d}"
            for p, s in zip(periods, whole, strict=True)]


def _object_sprites(meta: MatchMeta, players: list[Player], layout: PitchLayout, show_numbers: bool) -> list[Sprite]:
    """One sprite per drawn player (kit colour and number), then the ball's."""
    colours = team_colours(meta)
    radius = layout.disc_radius_px
    cache: dict[tuple, Sprite] = {}
    sprites = []
    for player in players:
        label = str(player.jersey_no) if show_numbers and player.jersey_no is not None else None
        key = (colours.get(player.side, BALL), label)
        if key not in cache:
            cache[key] = disc_sprite(radius, key[0], label)
        sprites.append(cache[key])
    sprites.append(disc_sprite(max(3, round(radius * 0.5)), BALL))
    return sprites


def _trail_colours(meta: MatchMeta, players: list[Player], trail_points: int) -> np.ndarray:
    """uint8 [segments, objects, 3]: each object's colour faded into the grass with age."""
    colours = team_colours(meta)
    base = np.array([colours.get(p.side, BALL) for p in players] + [BALL], dtype=np.float32)
    strength = 0.8 * (1 - (np.arange(trail_points) + 0.5) / max(trail_points, 1))  # newest segment first
    grass = np.array(GRASS, dtype=np.float32)
    return (grass + strength[:, None, None] * (base[None] - grass) + 0.5).astype(np.uint8)


def _disc_offsets(radius: float) -> np.ndarray:
    """int [K, 2] pixel offsets (dx, dy) within ``radius``: the pen that draws trails."""
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    inside = dx**2 + dy**2 <= radius**2 + 0.25
    return np.stack([dx[inside], dy[inside]], axis=1)


def _draw_trails(frame: np.ndarray, points: np.ndarray, colours: np.ndarray, pen: np.ndarray, top: int) -> None:
    """Trails from ``points`` [T, O, 2] (index 0 = now, then older), all at once with NumPy."""
    newer, older = points[:-1], points[1:]
    valid = np.isfinite(newer).all(axis=-1) & np.isfinite(older).all(axis=-1)  # [T-1, O]
    if not valid.any():
        return
    new, old, ink = newer[valid][::-1], older[valid][::-1], colours[valid][::-1]
    # About one sample per pixel of each segment (ragged: slow players need few, the ball many).
    counts = np.clip(np.ceil(np.linalg.norm(new - old, axis=-1)).astype(np.int64) + 1, 2, 64)
    segment = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    u = ((np.arange(segment.size) - first) / (counts[segment] - 1)).astype(np.float32)[:, None]
    along = np.rint(old[segment] + u * (new[segment] - old[segment])).astype(np.int32)  # [N, 2]
    xs = (along[:, None, 0] + pen[None, :, 0]).ravel()
    ys = (along[:, None, 1] + pen[None, :, 1]).ravel()
    inside = (xs >= 0) & (xs < frame.shape[1]) & (ys >= top) & (ys < frame.shape[0])
    # Oldest segments come first, so newer (stronger) ones are written over them.
    flat = frame.reshape(-1, 3)
    flat[(ys * frame.shape[1] + xs)[inside]] = np.repeat(ink[segment], len(pen), axis=0)[inside]


def _draw_clock(frame: np.ndarray, layout: PitchLayout, text: str, cache: dict[str, np.ndarray]) -> None:
    strip = cache.get(text)
    if strip is None:
        if len(cache) > 256:
            cache.clear()
        strip = cache[text] = text_strip(text, layout.header_px, HEADER_BG, max_width=layout.width // 4)
    h, w = strip.shape[:2]
    y0 = (layout.header_px - h) // 2
    x0 = layout.width - round(layout.header_px * 0.4) - w
    frame[y0:y0 + h, x0:x0 + w] = strip


class _EventOverlay:
    """A ring where each event happened and a caption in the header, for ``EVENT_SHOW_S``."""

    def __init__(self, meta: MatchMeta, layout: PitchLayout, events: pl.DataFrame, start_s: float, end_s: float):
        missing = [c for c in ("timeline", "type") if c not in events.columns]
        if missing:
            raise InvalidInput(f"The events to draw lack column(s) {', '.join(missing)}")
        shown = events.filter(pl.col("timeline").is_between(start_s - EVENT_SHOW_S, end_s)).sort("timeline")
        self.layout = layout
        self.times = shown["timeline"].cast(pl.Float64).to_numpy()
        xy = np.stack([shown[c].cast(pl.Float64).to_numpy() if c in shown.columns else np.full(shown.height, np.nan)
                       for c in ("x", "y")], axis=1)
        self.pixels = layout.to_pixels(xy)
        names = {p.player_id: p for p in meta.players}
        self.captions = [_caption(row, names) for row in shown.iter_rows(named=True)]
        self.ring = _ring_sprite(layout.disc_radius_px * 2)
        self.cache: dict[str, np.ndarray] = {}

    def draw(self, frame: np.ndarray, now: float) -> None:
        active = np.flatnonzero((self.times <= now) & (now < self.times + EVENT_SHOW_S))
        for index in active:
            if np.isfinite(self.pixels[index]).all():
                blend_sprite(frame, self.ring, *self.pixels[index], top=self.layout.header_px)
        if active.size:  # the latest event's caption, centred just above the bottom touchline
            text = self.captions[active[-1]]
            strip = self.cache.get(text)
            if strip is None:
                strip = self.cache[text] = text_strip(text, self.layout.header_px, CAPTION_BG,
                                                      max_width=self.layout.width * 2 // 3)
            h, w = strip.shape[:2]
            x0 = (self.layout.width - w) // 2
            bottom = int(self.layout.to_pixels(np.array([0.0, -self.layout.pitch_width / 2]))[1])
            y0 = min(bottom - h - 4, self.layout.height - h)
            frame[y0:y0 + h, x0:x0 + w] = strip


def _caption(row: dict, players: dict) -> str:
    text = str(row["type"]).replace("_", " ").capitalize()
    if row.get("result"):
        text += f" — {row['result']}"
    player = players.get(row.get("player_id"))
    if player is not None and (player.name or player.jersey_no is not None):
        text += f" · {player.name or '#' + str(player.jersey_no)}"
    return text


def _ring_sprite(radius: int) -> Sprite:
    from PIL import Image, ImageDraw

    scale = 4
    size = 2 * radius + 3
    image = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    centre, r = size * scale / 2, radius * scale
    ImageDraw.Draw(image).ellipse((centre - r, centre - r, centre + r, centre + r), outline=(80, 220, 255, 255),
                                   width=2 * scale)
    small = np.asarray(image.resize((size, size), Image.Resampling.LANCZOS), dtype=np.float32)
    return Sprite(rgb=small[..., :3].copy(), alpha=small[..., 3:] / 255.0)
