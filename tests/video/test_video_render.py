"""The annotated video's minimap: drawn only when there are pitch positions, each player where the
projection puts them, in the team's colour, read back from the encoded MP4."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import polars as pl

from sideline.vision.video_render import Minimap, Overlays, render_annotated

W, H, N = 480, 272, 6
TEAMS = {"home": {"colour": "#ff2020"}, "away": {"colour": "#2040ff"}}
META = {"1": {"team": "home", "name": None, "merged_into": None}, "2": {"team": "away", "name": None, "merged_into": None}}
SPOTS = {1: (-26.25, 17.0), 2: (30.0, -20.0)}  # pitch metres, +y at the top


def _grey_video(path: Path) -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for _ in range(N):
            frame = av.VideoFrame.from_ndarray(np.full((H, W, 3), 128, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _render(tmp_path: Path, positions: pl.DataFrame | None, name: str) -> list[np.ndarray]:
    source = tmp_path / "grey.mp4"
    if not source.exists():
        _grey_video(source)
    tracks = pl.DataFrame({"track_id": [1, 2] * N, "frame": np.repeat(np.arange(N), 2),
                           "x0": [40.0, 300.0] * N, "y0": [60.0, 80.0] * N, "x1": [60.0, 320.0] * N, "y1": [120.0, 140.0] * N})
    ball = pl.DataFrame({"frame": np.arange(N), "bx": np.full(N, np.nan), "by": np.full(N, np.nan)})
    out = tmp_path / name
    written = render_annotated(source, out, tracks=tracks, ball=ball, track_meta=META, teams=TEAMS,
                               positions=positions, fps=10, overlays=Overlays(labels=False, trails=False))
    assert written == N
    return _frames(out)


def test_minimap_shows_each_projected_player_in_the_team_colour(tmp_path):
    positions = pl.DataFrame({"t": np.repeat(np.arange(N) / 10, 3), "frame": np.repeat(np.arange(N), 3),
                              "track_id": [1, 2, -1] * N,
                              "x": [SPOTS[1][0], SPOTS[2][0], 0.0] * N, "y": [SPOTS[1][1], SPOTS[2][1], 0.0] * N})
    frames = _render(tmp_path, positions, "with.mp4")
    minimap = Minimap(W, H)
    x, y, w, h = minimap.box
    assert x + w <= W and y + h <= H and w >= 120
    last = frames[-1].astype(int)
    panel = last[y:y + h, x:x + w]
    # Mostly pitch green (lines and dots aside).
    assert np.median(panel[..., 1]) > np.median(panel[..., 0]) + 40
    for track, colour in ((1, (255, 32, 32)), (2, (32, 64, 255))):
        px, py = minimap.to_pixels(np.array([SPOTS[track]]))[0]
        r, g, b = last[y + py, x + px]
        dominant = int(np.argmax(colour))
        assert [r, g, b][dominant] > 150 and [r, g, b][dominant] > max(v for i, v in enumerate((r, g, b)) if i != dominant) + 60, \
            f"track {track} at minimap ({px}, {py}) is {(r, g, b)}, not its team colour"
    # +y is at the top: the home player (y = +17) is drawn above the away player (y = -20).
    assert minimap.to_pixels(np.array([SPOTS[1]]))[0, 1] < minimap.to_pixels(np.array([SPOTS[2]]))[0, 1]


def test_no_positions_no_minimap(tmp_path):
    frames = _render(tmp_path, None, "without.mp4")
    x, y, w, h = Minimap(W, H).box
    panel = frames[-1][y:y + h, x:x + w].astype(int)
    assert np.abs(panel - 128).max() < 12  # the grey source, untouched by any minimap
