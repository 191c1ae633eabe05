"""Football over the API: import jobs, stored metrics, binary frames, players, clips, settings,
bad input and tenancy, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import av
import numpy as np
import polars as pl
import pytest

from sideline.api.football_wire import decode_frames
from sideline.ingest.football import load_match
from tests.conftest import upload_file, wait_job

SHARED = Path(os.environ.get("SIDELINE_SHARED_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))
SAMPLES = SHARED / "football" / "tracking" / "provider_samples"
STATSBOMB = SHARED / "football" / "events" / "statsbomb_15986"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared football data not found at {SAMPLES}")

# The longest tracking sample (4 s at 25 Hz, 19 players): enough for every metric and a clip.
EPTS = {"meta_data": SAMPLES / "epts_metrica_metadata.xml", "raw_data": SAMPLES / "epts_metrica_tracking.txt"}


def upload(client, account, path: Path, *, content: bytes | None = None, name: str | None = None) -> str:
    return upload_file(client, account, name or path.name, path.read_bytes() if content is None else content)


def run_job(client, account, job: dict, timeout: float = 120.0) -> dict:
    return wait_job(client, account, job["id"], timeout)


def import_files(client, account, provider: str, files: dict[str, Path], **extra) -> dict:
    ids = {role: upload(client, account, path) for role, path in files.items()}
    r = client.post(account.url("/matches/import"), headers=account.headers,
                    json={"provider": provider, "files": ids, **extra})
    assert r.status_code == 202, r.text
    return run_job(client, account, r.json())


@pytest.fixture
def epts_match(client, account) -> str:
    job = import_files(client, account, "metrica_epts", EPTS, name="EPTS sample")
    assert job["state"] == "succeeded", job["error"]
    return job["result"]["match_id"]


def test_import_lists_match_and_serves_frames_equal_to_the_reader(client, account, epts_match):
    h = account.headers
    listing = client.get(account.url("/matches"), headers=h).json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == "EPTS sample"
    detail = client.get(account.url(f"/matches/{epts_match}"), headers=h).json()
    reference = load_match("metrica_epts", EPTS).tracking
    assert detail["n_frames"] == reference.n_frames and detail["has_tracking"] and not detail["has_events"]
    assert [p["player_id"] for p in detail["players"]] == [p.player_id for p in reference.meta.players]
    assert detail["pitch"] == {"length": reference.meta.pitch_length, "width": reference.meta.pitch_width}

    timeline = reference.timeline
    r = client.get(account.url(f"/matches/{epts_match}/frames"), headers=h,
                   params={"t0": float(timeline[0]), "t1": float(timeline[0]) + 60})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    frames = decode_frames(r.content)
    n = len(frames["t"])
    assert n == int(np.sum((timeline >= timeline[0]) & (timeline < timeline[0] + 60)))
    np.testing.assert_allclose(frames["t"], timeline[:n], atol=1e-3)
    np.testing.assert_array_equal(np.isnan(frames["xy"]), np.isnan(reference.xy[:n]))
    np.testing.assert_allclose(frames["xy"], reference.xy[:n], atol=1e-4)
    # Windows longer than the documented maximum are refused, not truncated.
    too_long = client.get(account.url(f"/matches/{epts_match}/frames"), headers=h, params={"t0": 0, "t1": 61})
    assert too_long.status_code == 400 and "60 s" in too_long.json()["error"]["message"]


def test_stored_metrics_players_pitch_control_and_exports(client, account, epts_match):
    h = account.headers
    physical = client.get(account.url(f"/matches/{epts_match}/physical"), headers=h).json()
    rows = physical["rows"]
    assert rows and physical["config"]["speed_zones_kmh"] == [7.2, 14.4, 19.8, 25.2]
    seen = [r for r in rows if r["observed_minutes"] and r["observed_minutes"] > 0]
    assert seen and all(r["distance_m"] >= 0 and 0 <= r["coverage"] <= 1 for r in seen)
    zones = sum(r[f"zone_{i}_m"] for r in seen for i in range(1, 6))
    assert zones == pytest.approx(sum(r["distance_m"] for r in seen), rel=1e-6)

    csv = client.get(account.url(f"/matches/{epts_match}/physical"), headers=h, params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert pl.read_csv(io.BytesIO(csv.content)).height == len(rows)
    parquet = client.get(account.url(f"/matches/{epts_match}/physical"), headers=h,
                         params={"format": "parquet", "by": "period"})
    assert pl.read_parquet(io.BytesIO(parquet.content))["player_id"].n_unique() == len({r["player_id"] for r in rows})

    player = seen[0]["player_id"]
    detail = client.get(account.url(f"/matches/{epts_match}/players/{player}"), headers=h).json()
    assert detail["player"]["player_id"] == player
    heat = detail["heatmap"]
    assert len(heat["values"]) == heat["nx"] * heat["ny"]
    # Time in the heat map is the time the player was observed.
    assert sum(v or 0 for v in heat["values"]) == pytest.approx(seen[0]["observed_minutes"] * 60, rel=0.05, abs=1.0)
    assert any(v is not None for v in detail["speed"]["v"])
    assert client.get(account.url(f"/matches/{epts_match}/players/nobody"), headers=h).status_code == 404

    t_mid = float(load_match("metrica_epts", EPTS).tracking.timeline[50])
    grid = client.get(account.url(f"/matches/{epts_match}/pitch-control"), headers=h, params={"t": t_mid}).json()
    values = np.array(grid["values"], dtype=float)
    assert values.size == grid["nx"] * grid["ny"] and np.nanmin(values) >= 0 and np.nanmax(values) <= 1
    assert np.nanmin(values) < 0.2 and np.nanmax(values) > 0.8  # each team controls its own area

    phase = client.get(account.url(f"/matches/{epts_match}/pitch-control"), headers=h,
                       params={"t": t_mid - 1, "t1": t_mid + 1}).json()
    mean = np.array(phase["values"], dtype=float)
    assert phase["t1"] == t_mid + 1 and 0 < phase["home_share"] < 1 and np.nanmax(mean) <= 1 + 1e-6
    team_heat = client.get(account.url(f"/matches/{epts_match}/heatmap"), headers=h, params={"side": "home"}).json()
    home_seconds = sum(r["observed_minutes"] * 60 for r in seen if r["side"] == "home")
    assert sum(v or 0 for v in team_heat["values"]) >= home_seconds * 0.95
    stats = client.get(account.url(f"/matches/{epts_match}/team-stats"), headers=h).json()
    assert stats["home"]["distance_m"] > 0 and stats["away"]["distance_m"] > 0


def test_events_import_statsbomb(client, account):
    job = import_files(client, account, "statsbomb", {"event_data": STATSBOMB / "statsbomb_15986_event.json",
                                                     "lineup_data": STATSBOMB / "statsbomb_15986_lineup.json"})
    assert job["state"] == "succeeded", job["error"]
    match_id = job["result"]["match_id"]
    h = account.headers
    detail = client.get(account.url(f"/matches/{match_id}"), headers=h).json()
    assert (detail["home"]["score"], detail["away"]["score"]) == (2, 2) and detail["has_events"]
    passes = client.get(account.url(f"/matches/{match_id}/events"), headers=h, params={"type": "pass"}).json()["items"]
    by_side = {side: sum(1 for p in passes if p["side"] == side) for side in ("home", "away")}
    assert sorted(by_side.values()) == [380, 768]
    moments = client.get(account.url(f"/matches/{match_id}/moments"), headers=h).json()["items"]
    assert sum(1 for m in moments if m["kind"] == "goal") == 4
    network = client.get(account.url(f"/matches/{match_id}/pass-network"), headers=h, params={"side": "home"}).json()
    assert network["nodes"] and network["edges"]


def test_clip_renders_to_h264_mp4(client, account, epts_match):
    h = account.headers
    detail = client.get(account.url(f"/matches/{epts_match}"), headers=h).json()
    start = detail["periods"][0]["start_s"]
    r = client.post(account.url(f"/matches/{epts_match}/clips"), headers=h,
                    json={"name": "Opening", "start_s": start, "end_s": start + 2.0})
    assert r.status_code == 201, r.text
    clip = r.json()
    assert clip["video"]["status"] == "none"
    job = client.post(account.url(f"/matches/{epts_match}/clips/{clip['id']}/render"), headers=h).json()
    assert run_job(client, account, job)["state"] == "succeeded"
    clips = client.get(account.url(f"/matches/{epts_match}/clips"), headers=h).json()
    video = clips[0]["video"]
    assert video["status"] == "ready"
    content = client.get(account.url(f"/files/{video['file_id']}/content"), headers=h)
    assert content.status_code == 200
    with av.open(io.BytesIO(content.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) >= 40  # 2 s at 25 fps
    bad = client.post(account.url(f"/matches/{epts_match}/clips"), headers=h,
                      json={"name": "Backwards", "start_s": start + 5, "end_s": start})
    assert bad.status_code == 400


def test_bad_imports_store_nothing(client, account, other_account, services):
    from sqlalchemy import func, select

    from sideline.storage.models import Dataset, FramePart

    h = account.headers
    unknown = client.post(account.url("/matches/import"), headers=h,
                          json={"provider": "nosuch", "files": {"raw_data": "00000000-0000-0000-0000-000000000000"}})
    assert unknown.status_code == 400 and "metrica_epts" in unknown.json()["error"]["message"]
    raw = upload(client, account, EPTS["raw_data"])
    missing = client.post(account.url("/matches/import"), headers=h, json={"provider": "metrica_epts", "files": {"raw_data": raw}})
    assert missing.status_code == 400 and "meta_data" in missing.json()["error"]["message"]
    theirs = upload(client, other_account, EPTS["meta_data"])
    foreign = client.post(account.url("/matches/import"), headers=h,
                          json={"provider": "metrica_epts", "files": {"raw_data": raw, "meta_data": theirs}})
    assert foreign.status_code == 404

    text = (STATSBOMB / "statsbomb_15986_event.json").read_bytes()
    truncated = upload(client, account, STATSBOMB / "statsbomb_15986_event.json", content=text[: len(text) // 3], name="cut.json")
    lineups = upload(client, account, STATSBOMB / "statsbomb_15986_lineup.json")
    r = client.post(account.url("/matches/import"), headers=h,
                    json={"provider": "statsbomb", "files": {"event_data": truncated, "lineup_data": lineups}})
    job = run_job(client, account, r.json())
    assert job["state"] == "failed" and "cut.json" in job["error"] and "Traceback" not in job["error"]
    assert job["attempts"] == 1  # bad input fails at once; retrying cannot help
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Dataset)) == 0
        assert s.scalar(select(func.count()).select_from(FramePart)) == 0


def test_other_organisations_cannot_see_a_match(client, account, other_account, epts_match):
    for path in ("", "/frames?t0=0&t1=10", "/physical", "/players/x", "/clips", "/team-stats"):
        r = client.get(account.url(f"/matches/{epts_match}{path}").replace(str(account.org_id), str(other_account.org_id)),
                       headers=other_account.headers)
        assert r.status_code == 404, path
    # ...and their own organisation's URL with our id is not a way in either.
    r = client.get(other_account.url(f"/matches/{epts_match}"), headers=other_account.headers)
    assert r.status_code == 404
    assert client.delete(other_account.url(f"/matches/{epts_match}"), headers=other_account.headers).status_code == 404
    assert client.get(account.url(f"/matches/{epts_match}"), headers=account.headers).status_code == 200


def test_changing_definitions_recomputes_stored_metrics(client, account, epts_match):
    h = account.headers
    settings = client.get(account.url("/football/settings"), headers=h).json()
    physical = {**settings["physical"], "speed_zones_kmh": [6.0, 12.0, 18.0, 24.0]}
    r = client.put(account.url("/football/settings"), headers=h, json={"physical": physical})
    assert r.status_code == 200 and r.json()["recompute_jobs"] == 1
    jobs = client.get(account.url("/jobs"), headers=h, params={"type": "football.metrics"}).json()["items"]
    assert run_job(client, account, jobs[0])["state"] == "succeeded"
    stored = client.get(account.url(f"/matches/{epts_match}/physical"), headers=h).json()
    assert stored["config"]["speed_zones_kmh"] == [6.0, 12.0, 18.0, 24.0]
    bad = client.put(account.url("/football/settings"), headers=h,
                     json={"physical": {"speed_zones_kmh": [20, 10]}})
    assert bad.status_code == 400


def test_delete_match_removes_its_data(client, account, epts_match, services):
    from sqlalchemy import func, select

    from sideline.storage.models import FramePart

    assert client.delete(account.url(f"/matches/{epts_match}"), headers=account.headers).status_code == 204
    assert client.get(account.url(f"/matches/{epts_match}"), headers=account.headers).status_code == 404
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(FramePart)) == 0


METRICA_EVENTS = SHARED / "football" / "events" / "metrica"


def test_events_from_another_provider_are_linked_to_a_tracking_match(client, account, epts_match):
    """Metrica's event data of the same game, added to its EPTS tracking: players matched by
    shirt number, events on the tracking timeline, team statistics from both."""
    job = import_files(client, account, "metrica_events",
                       {"event_data": METRICA_EVENTS / "Sample_Game_3_events.json",
                        "meta_data": METRICA_EVENTS / "Sample_Game_3_metadata.xml"}, match_id=epts_match)
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["match_id"] == epts_match
    h = account.headers
    detail = client.get(account.url(f"/matches/{epts_match}"), headers=h).json()
    assert detail["has_events"] and detail["has_tracking"]
    assert any("linked by period start" in w for w in detail["warnings"])
    tracked = {p["player_id"] for p in detail["players"]}
    passes = client.get(account.url(f"/matches/{epts_match}/events"), headers=h, params={"type": "pass"}).json()["items"]
    linked = [p for p in passes if p["player_id"] in tracked]
    assert passes and len(linked) > len(passes) / 2  # most passers are players of the tracking data
    periods = {p["period_id"]: p["start_s"] for p in detail["periods"]}
    assert all(p["timeline"] >= periods[p["period"]] for p in passes)
    stats = client.get(account.url(f"/matches/{epts_match}/team-stats"), headers=h).json()
    assert stats["home"]["passes"] + stats["away"]["passes"] == len(passes)
    passer = max(tracked, key=lambda pid: sum(1 for p in passes if p["player_id"] == pid))
    player = client.get(account.url(f"/matches/{epts_match}/players/{passer}"), headers=h).json()
    assert player["events"]["passes"] == sum(1 for p in passes if p["player_id"] == passer) > 0
    # Tracking cannot be added to a match this way, and the match must be this organisation's.
    bad = client.post(account.url("/matches/import"), headers=h, json={
        "provider": "metrica_epts", "match_id": epts_match,
        "files": {"raw_data": upload(client, account, EPTS["raw_data"]),
                  "meta_data": upload(client, account, EPTS["meta_data"])}})
    assert bad.status_code == 400


def test_jobs_with_their_own_routes_cannot_be_started_generically(client, account):
    """An import or a render started through the generic jobs endpoint would skip the checks its
    own route makes (file ownership, the clip row, roles): refused."""
    for job_type in ("football.import", "football.clip", "f1.replay", "f1.import"):
        r = client.post(account.url("/jobs"), headers=account.headers, json={"type": job_type, "params": {}})
        assert r.status_code == 400 and "own endpoint" in r.json()["error"]["message"], job_type
