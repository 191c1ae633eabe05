"""GNSS (SoccerTrack) -> pitch metres, checked against SoccerTrack's own pitch coordinates.

``sample_codf.csv`` (the same match, from video): metres on a 105 x 68 pitch, origin at a
corner. Three things about it had to be found from the data before the two files can be compared:

- **Its rows are 30 frames a second, not 25.** Fitting GNSS time -> video frame as an offset
  and a rate gives 30.0 fps (frame ``k`` is GNSS time ``1.0 s + k / 30``): 750 frames are 25 s of
  the GNSS file's 30 s. Read at 25 Hz the video clock drifts 5 s over the clip, which is why an
  alignment fitted on the first seconds decayed from 2.4 m to 12 m.
- **Its y axis is mirrored** (image convention): the GNSS tangent plane maps onto it only with
  a reflection, so canonical pitch coordinates are ``(x - L/2, W/2 - y)``.
- **Its team and player ids differ from the GNSS file's** (four players even sit in the other
  team), so players are matched by Hungarian assignment on mean distance.

The pitch corners' latitude and longitude are not published with the sample, so the corners,
the time mapping and the player matching are calibrated on alternate 2 s blocks (the clock rate
needs the whole clip as baseline: 10 s alone leave it +-2 fps), and the reader is judged on the
other blocks. Held out: median 1.76 m, 90th percentile 4.6 m; the issue's < 1 m is not reachable
(see the xfail: per-device GNSS biases).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.optimize import linear_sum_assignment

from sideline.ingest.football import load_match
from sideline.ingest.football.gnss import WGS84_A, WGS84_E2, tangent_plane

LENGTH, WIDTH = 105.0, 68.0
BLOCK_S = 2.0  # alternate 2 s blocks of GNSS time: even blocks calibrate, odd blocks judge


def _video_positions(path) -> np.ndarray:
    """Frames x 22 players x 2, canonical pitch metres (centre origin, y mirrored back)."""
    teams = np.array(path.read_text().splitlines()[0].split(",")[1:])
    data = pl.read_csv(path, skip_rows=4, has_header=False).to_numpy().astype(float)
    players = teams[0::2] != "3"  # team 3 is the ball
    xy = data[:, 1:].reshape(len(data), -1, 2)[:, players]
    return np.stack([xy[..., 0] - LENGTH / 2, WIDTH / 2 - xy[..., 1]], axis=-1)


def _video_at(video: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Video positions linearly interpolated at fractional frames (NaN outside the clip)."""
    inside = (frames >= 0) & (frames <= len(video) - 1)
    low = np.clip(np.floor(frames).astype(int), 0, len(video) - 2)
    weight = np.clip(frames - low, 0, 1)[:, None, None]
    out = video[low] * (1 - weight) + video[low + 1] * weight
    out[~inside] = np.nan
    return out


def _similarity(source: np.ndarray, target: np.ndarray):
    """Least-squares scale * rotation + shift (no reflection) taking points source onto target."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    u, sv, vt = np.linalg.svd((target - mu_t).T @ (source - mu_s))
    sign = np.sign(np.linalg.det(u @ vt))
    rotation = u @ np.diag([1.0, sign]) @ vt
    scale = (sv[0] + sign * sv[1]) / ((source - mu_s) ** 2).sum()
    return lambda p: (p - mu_s) @ (scale * rotation).T + mu_t


def _motion_misfit(enu: np.ndarray, truth: np.ndarray) -> float:
    """Median distance after a similarity, each player's mean offset removed: how well the
    motions superimpose, blind to the per-device GNSS biases that would blur the clock fit."""
    seen = ~np.isnan(truth[:, 0, 0])
    if seen.sum() < 50:
        return np.inf
    source, target = enu[seen].reshape(-1, 2), truth[seen].reshape(-1, 2)
    residual = (_similarity(source, target)(source) - target).reshape(truth[seen].shape)
    return float(np.median(np.linalg.norm(residual - residual.mean(0), axis=-1)))


def _match_players(enu: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """GNSS player i <-> video player order[i]: Hungarian on mean distance after a similarity.

    Started from the principal axes of both clouds (four sign choices), refined by refitting.
    """
    seen = ~np.isnan(truth[:, 0, 0])
    a, b = enu[seen] - enu[seen].mean((0, 1)), truth[seen] - truth[seen].mean((0, 1))
    _, _, axes_a = np.linalg.svd(a.reshape(-1, 2), full_matrices=False)
    _, _, axes_b = np.linalg.svd(b.reshape(-1, 2), full_matrices=False)
    best = None
    for flip in ([1, 1], [1, -1], [-1, 1], [-1, -1]):
        order = None
        moved = a @ axes_a.T * flip @ axes_b
        for _ in range(4):
            cost = np.linalg.norm(moved[:, :, None] - b[:, None], axis=-1).mean(0)
            order = linear_sum_assignment(cost)[1]
            moved = _similarity(a.reshape(-1, 2), b[:, order].reshape(-1, 2))(a.reshape(-1, 2)).reshape(a.shape)
        total = np.linalg.norm(moved - b[:, order], axis=-1).mean()
        if best is None or total < best[0]:
            best = (total, order)
    return best[1]


def _fit_clock(t: np.ndarray, enu: np.ndarray, video: np.ndarray, order: np.ndarray) -> tuple[float, float]:
    """Video frame rate and GNSS time of frame 0 that best superimpose the motions (coarse then
    fine grid; rates 20-40 fps whatever the README says, offsets within +-4 s)."""
    rate, offset, rate_step, offset_step = 30.0, 0.0, 1.0, 0.25
    rates, offsets = np.arange(20.0, 40.01, rate_step), np.arange(-4.0, 4.01, offset_step)
    for _ in range(2):
        misfit = np.array([[_motion_misfit(enu, _video_at(video, (t - o) * r)[:, order]) for o in offsets]
                           for r in rates])
        i, j = np.unravel_index(np.argmin(misfit), misfit.shape)
        rate, offset = float(rates[i]), float(offsets[j])
        rates = rate + np.arange(-1.0, 1.01, 0.05) * rate_step
        offsets = offset + np.arange(-1.0, 1.01, 0.1) * offset_step
    return rate, offset


def _to_degrees(east: np.ndarray, north: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    phi = np.radians(lat0)
    w = 1 - WGS84_E2 * np.sin(phi) ** 2
    meridian, prime_vertical = WGS84_A * (1 - WGS84_E2) / w ** 1.5, WGS84_A / np.sqrt(w)
    return np.stack([lat0 + np.degrees(north / meridian), lon0 + np.degrees(east / (prime_vertical * np.cos(phi)))], 1)


@pytest.fixture(scope="module")
def comparison(shared_data):
    """Calibrate on the first seconds; return the reader's held-out errors and what was fitted."""
    gnss_path = shared_data / "football" / "gnss" / "G_20200220_1_0000_0030_gnss.csv"
    video = _video_positions(shared_data / "football" / "video_ground_truth" / "sample_codf.csv")
    plain = load_match("gnss", {"data": gnss_path}).tracking
    # Raw degrees, read independently of the reader; rows sharing a time stamp averaged as the
    # reader does, so both use the reader's time base.
    raw = pl.read_csv(gnss_path, skip_rows=4, has_header=False, infer_schema=False)
    clock = raw[:, 0].str.split(":").list.eval(pl.element().cast(pl.Float64)).to_numpy()
    seconds = np.array([h * 3600 + m * 60 + s for h, m, s in clock])
    t, group = np.unique(np.round(seconds - seconds[0], 3), return_inverse=True)
    coords = raw[:, 1:].cast(pl.Float64).to_numpy()
    coords = np.stack([coords[group == k].mean(0) for k in range(len(t))])
    lat, lon = coords[:, 0::2], coords[:, 1::2]
    lat0, lon0 = float(lat.mean()), float(lon.mean())
    enu = np.stack(tangent_plane(lat, lon, lat0, lon0), axis=-1)

    calib = np.floor(t / BLOCK_S) % 2 == 0
    # Match at the README's 25 Hz first (a rough start), fit the clock, re-match, refit.
    order = _match_players(enu[calib], _video_at(video, t[calib] * 25.0))
    rate, offset = _fit_clock(t[calib], enu[calib], video, order)
    order = _match_players(enu[calib], _video_at(video, (t[calib] - offset) * rate))
    rate, offset = _fit_clock(t[calib], enu[calib], video, order)
    truth = _video_at(video, (t - offset) * rate)[:, order]
    seen = calib & ~np.isnan(truth[:, 0, 0])
    enu_to_pitch = _similarity(enu[seen].reshape(-1, 2), truth[seen].reshape(-1, 2))
    inverse = _similarity(enu_to_pitch(enu[seen].reshape(-1, 2)), enu[seen].reshape(-1, 2))
    # Corners in the reader's order, counter-clockwise seen from above from (-L/2, -W/2).
    pitch_corners = np.array([[-LENGTH / 2, -WIDTH / 2], [LENGTH / 2, -WIDTH / 2], [LENGTH / 2, WIDTH / 2],
                              [-LENGTH / 2, WIDTH / 2]])
    corner_enu = inverse(pitch_corners)
    corners = _to_degrees(corner_enu[:, 0], corner_enu[:, 1], lat0, lon0)

    tracking = load_match("gnss", {"data": gnss_path}, corners=corners.tolist(), pitch_length=LENGTH,
                          pitch_width=WIDTH).tracking
    np.testing.assert_allclose(tracking.t, t, atol=1e-6)
    judged = ~calib & ~np.isnan(truth[:, 0, 0])
    error = np.linalg.norm(tracking.xy[judged] - truth[judged], axis=-1)
    return {"plain": plain, "tracking": tracking, "rate": rate, "offset": offset, "error": error,
            "judged_s": judged.sum() / 10.0}


def test_gnss_reader_shape(comparison):
    plain = comparison["plain"]
    assert plain.n_frames == 298 and plain.n_players == 22 and plain.meta.frame_rate == 10.0
    assert np.isnan(plain.ball).all()
    assert any("estimated" in w for w in plain.meta.warnings)
    tracking = comparison["tracking"]
    assert (tracking.meta.pitch_length, tracking.meta.pitch_width) == (LENGTH, WIDTH)
    assert not any("estimated" in w or "clockwise" in w for w in tracking.meta.warnings)


def test_video_ground_truth_runs_at_30_fps(comparison):
    # Fitted on the calibration seconds only; 25 (the stated rate) is far outside the tolerance.
    assert comparison["rate"] == pytest.approx(30.0, abs=0.5)
    assert comparison["offset"] == pytest.approx(1.0, abs=0.3)


def test_gnss_matches_video_ground_truth_within_gnss_accuracy(comparison):
    error = comparison["error"]
    print(f"GNSS vs video over {comparison['judged_s']:.1f} held-out s at {comparison['rate']:.2f} fps, "
          f"offset {comparison['offset']:.2f} s: median {np.median(error):.2f} m, "
          f"90th percentile {np.percentile(error, 90):.2f} m")
    assert comparison["judged_s"] > 10
    assert np.median(error) < 2.5
    assert np.percentile(error, 90) < 6.0


@pytest.mark.xfail(strict=True, reason=(
    "not reachable by any pitch-wide calibration: with the clock (30 fps, ~1 s offset), the "
    "matching and the corners fitted on the calibration blocks, the held-out median is 1.76 m "
    "(an affine fit: 1.90 m) because several GNSS units sit 2-5 m off their video track by a "
    "near-constant per-device bias, in different directions for neighbouring players; even "
    "subtracting each player's own bias measured on the calibration blocks (which no user has) "
    "leaves 1.04 m, the noise floor of GNSS against this video annotation"))
def test_gnss_matches_video_ground_truth_under_1m(comparison):
    assert np.median(comparison["error"]) < 1.0


def _ecef(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    prime_vertical = WGS84_A / np.sqrt(1 - WGS84_E2 * np.sin(phi) ** 2)
    return np.stack([prime_vertical * np.cos(phi) * np.cos(lam), prime_vertical * np.cos(phi) * np.sin(lam),
                     prime_vertical * (1 - WGS84_E2) * np.sin(phi)], axis=-1)


def test_tangent_plane_matches_exact_east_north():
    # Exact route: geodetic -> Earth-centred Cartesian -> east/north axes at the reference point.
    lat0, lon0 = 36.1026, 140.1076
    rng = np.random.default_rng(7)
    lat = lat0 + rng.uniform(-6e-4, 6e-4, 200)  # about +-65 m
    lon = lon0 + rng.uniform(-6e-4, 6e-4, 200)
    phi, lam = np.radians(lat0), np.radians(lon0)
    east_axis = np.array([-np.sin(lam), np.cos(lam), 0.0])
    north_axis = np.array([-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)])
    offset = _ecef(lat, lon) - _ecef(np.array(lat0), np.array(lon0))
    east, north = tangent_plane(lat, lon, lat0, lon0)
    np.testing.assert_allclose(east, offset @ east_axis, atol=2e-3)
    np.testing.assert_allclose(north, offset @ north_axis, atol=2e-3)


def test_generic_long_layout(tmp_path):
    # Two players 10 m apart along a meridian, at 10 Hz; corners of a 100 x 60 m pitch due north.
    lat0, lon0 = 36.1, 140.1
    corners = _to_degrees(np.array([-50.0, 50.0, 50.0, -50.0]), np.array([-30.0, -30.0, 30.0, 30.0]), lat0, lon0)
    # Pitch x along east; the reader's corner order starts at (-L/2, -W/2).
    points = _to_degrees(np.array([0.0, 0.0]), np.array([0.0, 10.0]), lat0, lon0)
    rows = ["time,player_id,team,lat,lon,name,jersey_no"]
    for k in range(5):
        for pid, (la, lo) in zip(("a", "b"), points, strict=True):
            rows.append(f"{k / 10:.1f},{pid},{'home' if pid == 'a' else 'away'},{la:.9f},{lo:.9f},P {pid},{k + 1}")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows))
    tracking = load_match("gnss", {"data": path}, corners=corners.tolist()).tracking
    assert tracking.n_frames == 5 and [p.side for p in tracking.meta.players] == ["home", "away"]
    np.testing.assert_allclose(tracking.xy[0], [[0, 0], [0, 10]], atol=0.01)
    assert tracking.meta.pitch_length == pytest.approx(100, abs=0.01)
    assert not any("clockwise" in w for w in tracking.meta.warnings)
    # The same corners listed clockwise would mirror the pitch: the reader says so.
    mirrored = load_match("gnss", {"data": path}, corners=corners[::-1].tolist()).tracking
    assert any("clockwise" in w for w in mirrored.meta.warnings)
