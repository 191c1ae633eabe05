"""2D clips: the MP4 is real H.264 that PyAV decodes, and what is drawn is where the data says."""

from __future__ import annotations

import io
import os
from pathlib import Path

import av
import numpy as np
import pytest

from sideline.core.football import MatchMeta, Period, Player, Team, Tracking
from sideline.errors import InvalidInput
from sideline.vision.clip_positions import sample_at_times
from sideline.vision.pitch_drawing import GRASS, pitch_layout
from sideline.vision.pitch_render import render_clip

HOME_KIT, AWAY_KIT = (200, 30, 30), (30, 60, 200)


def shared_data() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", Path(__file__).resolve().parents[2] / "../shared/data"))


def decode(source, wanted: set[int]) -> tuple[dict, dict[int, np.ndarray]]:
    """Stream facts and the RGB pictures of the ``wanted`` frame numbers."""
    with av.open(source) as container:
        stream = container.streams.video[0]
        info = {"codec": stream.codec_context.name, "pix_fmt": stream.codec_context.pix_fmt,
                "width": stream.codec_context.width, "height": stream.codec_context.height,
                "rate": stream.average_rate}
        pictures, count = {}, 0
        for count, frame in enumerate(container.decode(stream), start=1):
            if count - 1 in wanted:
                pictures[count - 1] = frame.to_ndarray(format="rgb24")
        info["frames"] = count
    return info, pictures


def colour_distance(pixels: np.ndarray, colour) -> np.ndarray:
    return np.linalg.norm(pixels.astype(np.float64) - np.asarray(colour, dtype=np.float64), axis=-1)


def _around(picture: np.ndarray, centre: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of a square window around ``centre`` and their distances to it."""
    reach = int(np.ceil(radius)) + 1
    col0, row0 = max(int(centre[0]) - reach, 0), max(int(centre[1]) - reach, 0)
    window = picture[row0:int(centre[1]) + reach + 1, col0:int(centre[0]) + reach + 1]
    rows, cols = np.mgrid[row0:row0 + window.shape[0], col0:col0 + window.shape[1]]
    return window, np.hypot(cols + 0.5 - centre[0], rows + 0.5 - centre[1])  # pixel i covers [i, i + 1)


def ring_colour(picture: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    """Median colour of the disc's ring (0.5 r to 0.85 r): the kit, not the shirt number."""
    window, dist = _around(picture, centre, radius)
    return np.median(window[(dist >= 0.5 * radius) & (dist <= 0.85 * radius)], axis=0)


def pixels_near(picture: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    window, dist = _around(picture, centre, radius)
    return window[dist <= radius]


# --- synthetic match: every position known exactly ----------------------------------------

def synthetic_tracking() -> Tracking:
    players = (Player("h0", "home", "Runner", 7), Player("h1", "home", "Never Seen", 8),
               Player("a0", "away", "Statue", 9), Player("a1", "away", "Late Comer", 10))
    meta = MatchMeta(provider="synthetic", home=Team("H", "home", "Home", "#c81e1e"),
                     away=Team("A", "away", "Away", "#1e3cc8"), players=players, frame_rate=10.0,
                     periods=(Period(1, 0.0, 7.9, 0.0),))
    t = np.arange(80) / 10.0
    xy = np.full((80, 4, 2), np.nan, dtype=np.float32)
    xy[:, 0] = np.stack([-30 + 7.5 * t, np.full_like(t, 10.0)], axis=1)  # runs along +x at 7.5 m/s
    xy[:, 2] = (20.0, -15.0)
    xy[t >= 4.0, 3] = (-20.0, -20.0)  # not seen before 4 s
    ball = np.stack([5 * t - 10, np.full_like(t, -5.0), np.zeros_like(t)], axis=1).astype(np.float32)
    return Tracking(meta=meta, frame_id=np.arange(80), period=np.ones(80, np.int8), t=t, xy=xy, ball=ball,
                    ball_state=np.ones(80, np.int8), ball_owning_team=np.zeros(80, np.int8))


def runner_at(seconds: float) -> np.ndarray:
    return np.array([-30 + 7.5 * seconds, 10.0])


@pytest.fixture(scope="module")
def synthetic_clip(tmp_path_factory):
    tracking = synthetic_tracking()
    out = tmp_path_factory.mktemp("clip") / "synthetic.mp4"
    seen = []
    result = render_clip(tracking, 1.03, 5.03, out, width=960, title="Synthetic — Home v Away", progress=seen.append)
    info, pictures = decode(str(out), {20, 50, 90})
    return tracking, out, result, info, pictures, seen


def test_the_clip_is_browser_ready_h264_of_the_requested_length(synthetic_clip):
    _, out, result, info, _, seen = synthetic_clip
    assert (info["codec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert info["frames"] == result.frames == 100  # 4 s x 25 fps
    assert (info["width"], info["height"]) == (result.width, result.height) == (960, 540)
    assert info["rate"] == 25 and result.duration_s == pytest.approx(4.0)
    data = out.read_bytes()
    assert result.bytes == len(data)
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: the index comes first
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2


def test_players_are_drawn_in_their_kit_where_the_data_puts_them(synthetic_clip):
    tracking, _, _, _, pictures, _ = synthetic_clip
    layout = pitch_layout(tracking.meta, 960)
    radius = layout.disc_radius_px
    frame_50 = pictures[50]  # t = 1.03 + 50 / 25 = 3.03 s, between two tracking frames
    runner = layout.to_pixels(runner_at(3.03))
    assert colour_distance(ring_colour(frame_50, runner, radius), HOME_KIT) < 40
    assert colour_distance(ring_colour(frame_50, layout.to_pixels(np.array([20.0, -15.0])), radius), AWAY_KIT) < 40
    # Trails fade: the runner's path 0.3 s back is stronger than 1.5 s back, and both differ from grass.
    recent = np.median(pixels_near(frame_50, layout.to_pixels(runner_at(3.03 - 0.3)), 1.0), axis=0)
    old = np.median(pixels_near(frame_50, layout.to_pixels(runner_at(3.03 - 1.5)), 1.0), axis=0)
    assert colour_distance(recent, GRASS) > colour_distance(old, GRASS) > 10
    # The pitch colour dominates the rest of the picture.
    below_header = frame_50[layout.header_px:]
    assert (colour_distance(below_header, GRASS) < 30).mean() > 0.85


def test_unknown_players_are_not_drawn_anywhere(synthetic_clip):
    tracking, _, _, _, pictures, _ = synthetic_clip
    layout = pitch_layout(tracking.meta, 960)
    radius = layout.disc_radius_px
    late_comer = layout.to_pixels(np.array([-20.0, -20.0]))
    before, after = pictures[20], pictures[90]  # 1.83 s (not seen yet) and 4.63 s (seen)
    assert colour_distance(ring_colour(before, late_comer, radius), GRASS) < 30
    assert colour_distance(ring_colour(after, late_comer, radius), AWAY_KIT) < 40
    # "h1" is never seen: nothing in a kit colour at the centre spot (NaN must not become 0, 0).
    for picture in pictures.values():
        centre = pixels_near(picture, layout.to_pixels(np.zeros(2)), 2 * radius)
        assert (colour_distance(centre, HOME_KIT) < 80).sum() == 0


def test_positions_are_interpolated_to_output_frame_times_into_a_stream():
    tracking = synthetic_tracking()
    buffer = io.BytesIO()
    result = render_clip(tracking, 2.0, 3.0, buffer, width=640, trails_s=0, show_numbers=False)
    assert result.bytes == len(buffer.getvalue()) > 0
    layout = pitch_layout(tracking.meta, 640)
    _, pictures = decode(io.BytesIO(buffer.getvalue()), {7, 13})
    for k, picture in pictures.items():
        expected = layout.to_pixels(runner_at(2.0 + k / 25))  # 2.28 s and 2.52 s: not on the 10 Hz grid
        rows, cols = np.nonzero(colour_distance(picture, HOME_KIT) < 50)
        near = np.hypot(cols - expected[0], rows - expected[1]) < 3 * layout.disc_radius_px
        centroid = np.array([cols[near].mean(), rows[near].mean()]) + 0.5  # pixel i covers [i, i + 1)
        assert np.linalg.norm(centroid - expected) < 1.0


def test_interpolation_agrees_with_numpy_and_never_bridges_gaps():
    rng = np.random.default_rng(7)
    timeline = np.cumsum(rng.uniform(0.08, 0.12, 100))
    timeline[60:] += 3.0  # the camera looked away for 3 s
    values = np.sin(timeline)[:, None].astype(np.float32)
    values[20] = np.nan  # one unknown sample
    at = np.linspace(timeline[0], timeline[-1], 2000)
    got = sample_at_times(timeline, np.ones(100, np.int8), values, at, max_gap_s=1.0, hold_s=0.05)[:, 0]
    after = np.searchsorted(timeline, at).clip(1, 99)
    clean = (after != 20) & (after != 21) & (after != 60)
    assert np.allclose(got[clean], np.interp(at[clean], timeline, values[:, 0]), atol=1e-5)
    in_gap = (at > timeline[59] + 0.05) & (at < timeline[60] - 0.05)
    assert in_gap.sum() > 50 and np.isnan(got[in_gap]).all()
    beside_unknown = (at > timeline[19] + 0.05) & (at < timeline[21] - 0.05)
    assert np.isnan(got[beside_unknown]).all()
    held = (at > timeline[19]) & (at <= timeline[19] + 0.04)
    assert np.allclose(got[held], values[19, 0])


def test_a_stretch_without_tracking_inside_the_match_renders_an_empty_pitch():
    tracking = synthetic_tracking()
    later_only = tracking.select(tracking.t >= 3.0)  # the camera looked away for the first 3 s
    buffer = io.BytesIO()
    result = render_clip(later_only, 1.0, 2.0, buffer, width=320)
    info, pictures = decode(io.BytesIO(buffer.getvalue()), {12})
    assert info["frames"] == result.frames == 25
    pitch = pictures[12][pitch_layout(tracking.meta, 320).header_px:]
    for kit in (HOME_KIT, AWAY_KIT):
        assert (colour_distance(pitch, kit) < 60).sum() == 0


def test_a_render_stopped_by_its_progress_callback_leaves_no_file(tmp_path):
    class Cancelled(Exception):
        pass

    def cancel_after_a_second(fraction: float) -> None:
        if fraction > 0.3:
            raise Cancelled

    with pytest.raises(Cancelled):
        render_clip(synthetic_tracking(), 1.0, 6.0, tmp_path / "x.mp4", width=320, progress=cancel_after_a_second)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("start", "end", "kwargs", "message"), [
    (1.0, 1.0, {}, "end must be after start"),
    (-5.0, 2.0, {}, "outside this match"),
    (1.0, 9.5, {}, "outside this match"),
    (1.0, 2.0, {"width": 641}, "even number"),
    (1.0, 2.0, {"fps": 0}, "frame rate"),
])
def test_bad_requests_are_invalid_input(start, end, kwargs, message, tmp_path):
    with pytest.raises(InvalidInput, match=message):
        render_clip(synthetic_tracking(), start, end, tmp_path / "x.mp4", **kwargs)
    assert not list(tmp_path.iterdir())  # no partial file left behind


# --- a real match: SkillCorner Bayern v Dortmund (2019), checked against kloppy --------------

SKILLCORNER = "football/tracking/skillcorner_bayern_dortmund_2019"


@pytest.fixture(scope="module")
def bayern_dortmund():
    folder = shared_data() / SKILLCORNER
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder} (set SIDELINE_SHARED_DATA)")
    from sideline.ingest.football import load_match

    return load_match("skillcorner", {"meta_data": folder / "skillcorner_match_data.json",
                                      "raw_data": folder / "skillcorner_structured_data.json"})


def kloppy_frame(timestamp_s: float):
    """kloppy's own reading of the frame at ``timestamp_s`` of the first half: the reference."""
    from kloppy import skillcorner

    folder = shared_data() / SKILLCORNER
    dataset = skillcorner.load(meta_data=str(folder / "skillcorner_match_data.json"),
                               raw_data=str(folder / "skillcorner_structured_data.json"),
                               coordinates="secondspectrum", limit=510).transform(to_orientation="STATIC_HOME_AWAY")
    return next(f for f in dataset.frames if abs(f.timestamp.total_seconds() - timestamp_s) < 1e-6)


def test_a_real_match_clip_draws_each_team_where_kloppy_places_it(bayern_dortmund, tmp_path):
    tracking = bayern_dortmund.tracking
    first_half_start = bayern_dortmund.meta.period(1).start_t
    out = tmp_path / "real.mp4"
    result = render_clip(tracking, 60.0, 63.0, out, title="Bayern v Dortmund")
    info, pictures = decode(str(out), {25})
    assert (info["codec"], info["frames"], info["width"], info["height"]) == ("h264", 75, 1280, 720)
    assert result.frames == 75
    picture = pictures[25]  # timeline 61.0 s, a tracking frame of the first half
    reference = kloppy_frame(61.0 + first_half_start)
    layout = pitch_layout(tracking.meta, 1280)
    radius = layout.disc_radius_px
    kit = {"home": np.array([0xE4, 0x07, 0x0C]), "away": np.array([0xF4, 0xE4, 0x22])}  # the metadata's colours
    positions = {p.player_id: (p.team.ground.value, np.array([d.coordinates.x, d.coordinates.y]))
                 for p, d in reference.players_data.items()}
    ball = np.array([reference.ball_coordinates.x, reference.ball_coordinates.y])
    everything = np.array([xy for _, xy in positions.values()] + [ball])
    checked = 0
    for side, xy in positions.values():
        others = np.linalg.norm(everything - xy, axis=1)
        if np.sort(others)[1] * layout.scale < 2.5 * radius:
            continue  # overlapping discs: whose colour wins is a matter of drawing order
        colour = ring_colour(picture, layout.to_pixels(xy), radius)
        assert colour_distance(colour, kit[side]) < 45, (side, xy, colour)
        checked += 1
    assert checked >= 8
    assert (colour_distance(picture[layout.header_px:], GRASS) < 30).mean() > 0.85


def test_a_clip_beyond_the_real_match_or_too_long_is_refused(bayern_dortmund, tmp_path):
    tracking = bayern_dortmund.tracking
    with pytest.raises(InvalidInput, match=r"outside match 2417: it covers 0\.0–5551\.1 s"):
        render_clip(tracking, 5600.0, 5610.0, tmp_path / "late.mp4")
    with pytest.raises(InvalidInput, match="at most 10 minutes"):
        render_clip(tracking, 100.0, 800.0, tmp_path / "long.mp4")
