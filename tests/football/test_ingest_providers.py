"""Every provider sample imports and equals kloppy's own read after the same transform."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sideline.core.football import EVENT_SCHEMA
from sideline.ingest.football import PROVIDERS, IngestError, load_match

KLOPPY_FILES = Path(__import__("kloppy").__file__).parent / "tests" / "files"

# provider -> roles (file names in provider_samples/, or ("kloppy", name) for kloppy's wheel files)
TRACKING_SAMPLES = {
    "tracab_dat": ("tracab", {"meta_data": "tracab_meta.xml", "raw_data": "tracab_raw.dat"}),
    "tracab_json": ("tracab", {"meta_data": "tracab_meta.json", "raw_data": "tracab_raw.json"}),
    "metrica_csv": ("metrica_csv", {"home_data": "metrica_home.csv", "away_data": "metrica_away.csv"}),
    "metrica_epts": ("metrica_epts", {"meta_data": "epts_metrica_metadata.xml", "raw_data": "epts_metrica_tracking.txt"}),
    "sportec": ("sportec", {"meta_data": "sportec_meta.xml", "raw_data": "sportec_positional.xml"}),
    "statsperform_json": ("statsperform", {"ma1_data": "statsperform_tracking_ma1.json",
                                           "ma25_data": "statsperform_tracking_ma25.txt"}),
    "statsperform_xml": ("statsperform", {"ma1_data": "statsperform_tracking_ma1.xml",
                                          "ma25_data": "statsperform_tracking_ma25.txt"}),
    "pff": ("pff", {"meta_data": "pff_metadata_10517.json", "roster_meta_data": "pff_rosters_10517.json",
                    "raw_data": "pff_10517.jsonl"}),
    "signality": ("signality", {"meta_data": "signality_meta_data.json",
                                "venue_information": "signality_venue_information.json",
                                "raw_data_feeds": ["signality_p1_raw_data_subset.json", "signality_p2_raw_data_subset.json"]}),
    "skillcorner_v3": ("skillcorner", {"meta_data": "skillcorner_meta_data.json", "raw_data": "skillcorner_v3_raw_data.jsonl"}),
}


def _paths(folder: Path, roles: dict) -> dict:
    return {role: [folder / n for n in name] if isinstance(name, list) else folder / name for role, name in roles.items()}


def _kloppy_reference(provider: str, files: dict):
    from kloppy.domain import Orientation

    from sideline.ingest.football.loading import _as_kloppy_argument, _kloppy_loader

    extra = {"pitch_length": 105.0, "pitch_width": 68.0} if provider == "statsperform" else {}
    dataset = _kloppy_loader(provider)(**{r: _as_kloppy_argument(v) for r, v in files.items()}, **extra)
    return dataset.transform(to_coordinate_system="secondspectrum", to_orientation=Orientation.STATIC_HOME_AWAY)


@pytest.mark.parametrize("sample", sorted(TRACKING_SAMPLES))
def test_tracking_sample_equals_kloppy(sample, shared_data):
    provider, roles = TRACKING_SAMPLES[sample]
    files = _paths(shared_data / "football" / "tracking" / "provider_samples", roles)
    tracking = load_match(provider, files).tracking
    reference = _kloppy_reference(provider, files)
    assert tracking.n_frames == len(reference.records) > 0
    index = {p.player_id: j for j, p in enumerate(tracking.meta.players)}
    checked = 0
    for i in np.linspace(0, tracking.n_frames - 1, 10).astype(int):
        frame = reference.records[i]
        assert tracking.frame_id[i] == frame.frame_id and tracking.period[i] == frame.period.id
        for player, data in frame.players_data.items():
            if data.coordinates is not None and data.coordinates.x is not None:
                np.testing.assert_allclose(tracking.xy[i, index[str(player.player_id)]],
                                           (data.coordinates.x, data.coordinates.y), atol=1e-3)
                checked += 1
        if frame.ball_coordinates is not None and frame.ball_coordinates.x is not None:
            np.testing.assert_allclose(tracking.ball[i, :2], (frame.ball_coordinates.x, frame.ball_coordinates.y), atol=1e-3)
    assert checked > 0
    sides = [p.side for p in tracking.meta.players]
    assert sides == sorted(sides, key=lambda s: s != "home")
    if provider == "pff":
        return  # kloppy 3.19.1 puts half of this sample's positions >10 m off the pitch (open question)
    # Canonical metres: nearly everybody within a few metres of the pitch.
    half = np.array([tracking.meta.pitch_length, tracking.meta.pitch_width]) / 2
    outside = (np.abs(tracking.xy) - half > 10).any(axis=-1)[tracking.observed]
    assert outside.mean() < 0.01


@pytest.fixture(scope="module")
def statsbomb_15986(shared_data):
    folder = shared_data / "football" / "events" / "statsbomb_15986"
    return load_match("statsbomb", {"event_data": folder / "statsbomb_15986_event.json",
                                    "lineup_data": folder / "statsbomb_15986_lineup.json"})


def test_statsbomb_score_and_passes_match_official_figures(statsbomb_15986):
    events = statsbomb_15986.events
    assert list(events.table.schema) == list(EVENT_SCHEMA)
    assert events.meta.score == (2, 2)
    passes = {}
    for side in ("home", "away"):
        team = events.of_type("pass").filter(side=side)
        passes[events.meta.team(side).name] = (team.height, team.filter(result="complete").height)
    assert passes == {"Barcelona": (768, 701), "Girona": (380, 299)}


def test_statsbomb_events_equal_kloppy(statsbomb_15986, shared_data):
    folder = shared_data / "football" / "events" / "statsbomb_15986"
    reference = _kloppy_reference("statsbomb", {"event_data": folder / "statsbomb_15986_event.json",
                                                "lineup_data": folder / "statsbomb_15986_lineup.json"})
    table = statsbomb_15986.events.table
    assert table.height == len(reference.records)
    by_id = {row["event_id"]: row for row in table.iter_rows(named=True)}
    for event in reference.records[::97]:
        row = by_id[str(event.event_id)]
        if event.coordinates is not None:
            assert row["x"] == pytest.approx(event.coordinates.x) and row["y"] == pytest.approx(event.coordinates.y)
        assert row["type"] == event.event_type.name.lower()
    assert (table["timeline"].diff().drop_nulls() >= 0).all()


def test_statsbomb_360_freeze_frames():
    match = load_match("statsbomb", {"event_data": KLOPPY_FILES / "statsbomb_3788741_event.json",
                                     "lineup_data": KLOPPY_FILES / "statsbomb_3788741_lineup.json",
                                     "three_sixty_data": KLOPPY_FILES / "statsbomb_3788741_360.json"})
    frames = match.events.freeze_frames
    assert frames is not None and frames.height > 10_000
    # The actor stands where the event happens: 360 positions (from video) and event locations
    # (annotated) are separate measurements, a few metres apart, never on the other half-turn.
    actors = frames.filter(actor=True).join(match.events.table, on="event_id", suffix="_event")
    error = np.hypot(actors["x"] - actors["x_event"], actors["y"] - actors["y_event"]).to_numpy()
    assert np.nanmedian(error) < 4.0 and np.mean(error > 20) < 0.01
    assert frames.filter(keeper=True).height > 0


@pytest.mark.parametrize("provider,roles", [
    ("metrica_events", {"event_data": ("shared", "metrica/Sample_Game_3_events.json"),
                        "meta_data": ("shared", "metrica/Sample_Game_3_metadata.xml")}),
    ("wyscout", {"event_data": ("kloppy", "wyscout_events_v3.json")}),
    ("opta", {"f7_data": ("kloppy", "opta_f7.xml"), "f24_data": ("kloppy", "opta_f24.xml")}),
    ("sportec_events", {"event_data": ("kloppy", "sportec_events.xml"), "meta_data": ("kloppy", "sportec_meta.xml")}),
])
def test_event_providers_import(provider, roles, shared_data):
    files = {role: (shared_data / "football" / "events" / name if where == "shared" else KLOPPY_FILES / name)
             for role, (where, name) in roles.items()}
    events = load_match(provider, files).events
    reference = _kloppy_reference(provider, files)
    assert events.table.height == len(reference.records) > 0
    assert PROVIDERS[provider].kind == "events"


def test_secondspectrum_sample_imports():
    match = load_match("secondspectrum", {"meta_data": KLOPPY_FILES / "second_spectrum_fake_metadata.xml",
                                          "raw_data": KLOPPY_FILES / "second_spectrum_fake_data.jsonl"})
    assert match.tracking.n_frames == 376


def test_provider_registry_uses_kloppy_role_names():
    assert PROVIDERS["signality"].multi == {"raw_data_feeds"}
    assert set(PROVIDERS["statsperform"].required) == {"ma1_data", "ma25_data"}
    assert set(PROVIDERS["statsbomb"].optional) == {"three_sixty_data"}
    with pytest.raises(IngestError, match="accepted: .*tracab"):
        load_match("nonesuch", {})
