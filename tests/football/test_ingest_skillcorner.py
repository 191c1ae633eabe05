"""The fast SkillCorner reader against kloppy on the full Bayern v Dortmund match."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from sideline.core.football import BALL_ALIVE, BALL_DEAD, OWNER_AWAY, OWNER_HOME, OWNER_UNKNOWN
from sideline.ingest.football import demo_skillcorner_files, load_match


@pytest.fixture(scope="module")
def fast_with_empty_frames(skillcorner_files):
    return load_match("skillcorner", skillcorner_files, include_empty_frames=True).tracking


@pytest.fixture(scope="module")
def kloppy_reference(skillcorner_files):
    """kloppy's own read (SecondSpectrum coordinates), flipped by kloppy's orientation verdict.

    Flattened here with a plain loop, independently of the reader under test.
    """
    from kloppy import skillcorner
    from kloppy.domain import Orientation

    dataset = skillcorner.load(meta_data=str(skillcorner_files["meta_data"]), raw_data=str(skillcorner_files["raw_data"]),
                               coordinates="secondspectrum", include_empty_frames=True)
    # HOME_AWAY: home attacks +x in period 1 and -x in period 2; AWAY_HOME the reverse.
    home_left_in = {Orientation.HOME_AWAY: {2, 4}, Orientation.AWAY_HOME: {1, 3}}[dataset.metadata.orientation]
    players = {}
    rows = []
    for frame in dataset.records:
        sign = -1.0 if frame.period.id in home_left_in else 1.0
        coords = {}
        for player, data in frame.players_data.items():
            players.setdefault(player.player_id, player)
            coords[player.player_id] = (sign * data.coordinates.x, sign * data.coordinates.y)
        ball = frame.ball_coordinates
        rows.append((frame.frame_id, frame.period.id, frame.timestamp.total_seconds(),
                     None if frame.ball_state is None else frame.ball_state.value,
                     None if frame.ball_owning_team is None else frame.ball_owning_team.ground.value,
                     None if ball is None else (sign * ball.x, sign * ball.y, getattr(ball, "z", None)), coords))
    return dataset.metadata, players, rows


def test_full_match_frame_counts(skillcorner_match, fast_with_empty_frames, skillcorner_files):
    raw_frames = orjson.loads(skillcorner_files["raw_data"].read_bytes())
    assert len(raw_frames) == 68_101
    in_periods = sum(1 for f in raw_frames if f["period"] is not None)
    tracking = skillcorner_match.tracking
    assert tracking.n_frames == 34_783 and tracking.frames_with_objects().all()
    assert fast_with_empty_frames.n_frames == in_periods
    assert fast_with_empty_frames.frames_with_objects().sum() == 34_783
    assert any("68101" in w for w in tracking.meta.warnings)
    # The default read is exactly the frames with objects of the full read.
    keep = fast_with_empty_frames.frames_with_objects()
    np.testing.assert_array_equal(fast_with_empty_frames.frame_id[keep], tracking.frame_id)
    np.testing.assert_array_equal(fast_with_empty_frames.xy[keep], tracking.xy)


def test_fast_reader_equals_kloppy(fast_with_empty_frames, kloppy_reference):
    metadata, kloppy_players, rows = kloppy_reference
    tracking = fast_with_empty_frames
    assert tracking.n_frames == len(rows)
    np.testing.assert_array_equal(tracking.frame_id, [r[0] for r in rows])
    np.testing.assert_array_equal(tracking.period, [r[1] for r in rows])
    np.testing.assert_allclose(tracking.t, [r[2] for r in rows], atol=1e-6)
    state = {"alive": BALL_ALIVE, "dead": BALL_DEAD}
    np.testing.assert_array_equal(tracking.ball_state, [state[r[3]] for r in rows])
    owner = {"home": OWNER_HOME, "away": OWNER_AWAY, None: OWNER_UNKNOWN}
    np.testing.assert_array_equal(tracking.ball_owning_team, [owner[r[4]] for r in rows])

    ids = [p.player_id for p in tracking.meta.players]
    assert set(ids) == set(kloppy_players) | {str(p.player_id) for t in metadata.teams for p in t.players}
    expected = np.full(tracking.xy.shape, np.nan)
    column = {pid: j for j, pid in enumerate(ids)}
    for i, row in enumerate(rows):
        for pid, xy in row[6].items():
            expected[i, column[pid]] = xy
    assert np.array_equal(np.isnan(expected), np.isnan(tracking.xy))
    assert np.nanmax(np.abs(expected - tracking.xy)) < 1e-3
    ball = np.array([r[5] if r[5] is not None else (np.nan, np.nan, np.nan) for r in rows], dtype=np.float64)
    assert np.array_equal(np.isnan(ball), np.isnan(tracking.ball))
    assert np.nanmax(np.abs(ball - tracking.ball)) < 1e-3


def test_metadata_equals_kloppy(fast_with_empty_frames, kloppy_reference):
    metadata, _, _ = kloppy_reference
    meta = fast_with_empty_frames.meta
    home, away = metadata.teams
    assert (meta.home.name, meta.away.name) == (home.name, away.name) == ("FC Bayern Munchen", "Borussia Dortmund")
    assert meta.score == (metadata.score.home, metadata.score.away) == (4, 0)
    assert (meta.pitch_length, meta.pitch_width) == (105.0, 68.0) and meta.frame_rate == metadata.frame_rate == 10
    assert meta.match_id == metadata.game_id and meta.date == metadata.date
    by_id = {p.player_id: p for p in meta.players}
    for team in metadata.teams:
        for player in team.players:
            ours = by_id[player.player_id]
            assert (ours.jersey_no, ours.name, ours.starting, ours.side) == (
                player.jersey_no, player.name, player.starting, team.ground.value)
            kloppy_code = player.starting_position.code if player.starting_position else None
            assert ours.position == (None if kloppy_code == "UNK" else kloppy_code)
    assert [p.side for p in meta.players] == sorted((p.side for p in meta.players), key=lambda s: s != "home")
    # Home attacks +x in both halves: Bayern's starting goalkeeper stays deep in -x, Dortmund's in +x.
    keepers = {p.side: meta.players.index(p) for p in meta.players if p.is_goalkeeper and p.starting}
    for period in (1, 2):
        xy = fast_with_empty_frames.xy[fast_with_empty_frames.period == period]
        assert np.nanmean(xy[:, keepers["home"], 0]) < -30 and np.nanmean(xy[:, keepers["away"], 0]) > 30


def test_v3_layout_falls_back_to_kloppy(shared_data):
    samples = shared_data / "football" / "tracking" / "provider_samples"
    match = load_match("skillcorner", {"meta_data": samples / "skillcorner_meta_data.json",
                                       "raw_data": samples / "skillcorner_v3_raw_data.jsonl"})
    assert match.tracking.n_frames > 0
    assert any("kloppy" in w for w in match.meta.warnings)


def test_demo_files_are_kloppys_copy_of_the_match(skillcorner_files):
    demo = demo_skillcorner_files()
    assert set(demo) == {"meta_data", "raw_data"}
    assert demo["meta_data"].read_bytes() == skillcorner_files["meta_data"].read_bytes()
    assert demo["raw_data"].stat().st_size == skillcorner_files["raw_data"].stat().st_size


def test_product_import_keeps_every_in_period_frame_and_only_identified_players(skillcorner_files):
    """What the import job stores: a continuous timeline (unseen frames present, empty) and the
    identified players; the file's frames outside any period are counted in the warnings."""
    from sideline.ingest.football import IMPORT_OPTIONS, load_match

    match = load_match("skillcorner", skillcorner_files, **IMPORT_OPTIONS["skillcorner"])
    tracking = match.tracking
    outside = next(w for w in match.meta.warnings if "outside any period" in w)
    n_outside = int(outside.split(" of the file's ")[0])
    assert tracking.n_frames + n_outside == 68_101
    assert int(tracking.frames_with_objects().sum()) == 34_783
    assert all("_anon_" not in p.player_id for p in match.meta.players)
    assert 28 <= tracking.n_players <= 40 and any("anonymous tracks" in w for w in match.meta.warnings)
    same_period = tracking.period[1:] == tracking.period[:-1]
    np.testing.assert_allclose(np.diff(tracking.t)[same_period], 0.1, atol=1e-6)  # no frame skipped
