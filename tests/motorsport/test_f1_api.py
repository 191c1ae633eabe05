"""F1 live timing over the API, on SQLite and PostgreSQL: import a recording as a public session,
replay it at maximum speed through the live path and check what was stored against f1db; every
organisation reads the same session; replay control and bad input.

The helpers here (import, replay, the client-side delta fold) are shared with test_f1_live.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import create_account, upload_file, wait_for, wait_job
from tests.motorsport.f1_data import f1_folder, f1db, f1db_seconds



def upload(client, account, path: Path, name: str | None = None, content: bytes | None = None) -> str:
    return upload_file(client, account, name or path.name, path.read_bytes() if content is None else content)


def import_recording(client, account, name: str = "2018_azerbaijan_race", **extra) -> dict:
    folder = f1_folder(name)
    ids = [upload(client, account, p) for p in sorted(folder.glob("*.jsonStream"))]
    r = client.post(account.url("/f1/sessions/import"), headers=account.headers, json={"files": ids, **extra})
    assert r.status_code == 202, r.text
    job = wait_job(client, account, r.json()["id"])
    assert job["state"] == "succeeded", job["error"]
    return job["result"]


def start_replay(client, account, session_id: str, speed: float | None) -> dict:
    r = client.post(account.url(f"/f1/sessions/{session_id}/replay"), headers=account.headers, json={"speed": speed})
    assert r.status_code == 202, r.text
    return r.json()


def apply_event(snapshot: dict[str, Any], event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The client's fold: a ``replay`` event with a snapshot replaces the state; deltas patch it."""
    if event == "replay":
        if "snapshot" in data:
            snapshot = data["snapshot"]
        snapshot["replay"] = {"state": data["state"], "speed": data["speed"]}
    elif event == "deltas":  # the deltas of one feed message, in order
        for delta in data["deltas"]:
            snapshot = apply_event(snapshot, "delta", delta)
    elif event == "commentary":
        snapshot["commentary"] = [*snapshot.get("commentary", []), *data["lines"]]
    elif event == "win_probability":
        snapshot["win_probability"] = [*snapshot.get("win_probability", []),
                                       {k: v for k, v in data.items() if k != "seq"}]
    else:
        kind = data["kind"]
        if kind == "driver":
            snapshot["drivers"].setdefault(data["driver"], {}).update(data["set"])
        elif kind == "session":
            snapshot["session"].update(data["set"])
        elif kind == "race_control":
            snapshot["race_control"].append(data["message"])
        elif kind == "fastest_lap":
            snapshot["fastest_lap"] = data["lap"]
        elif kind == "classification":
            snapshot["classification"] = data["rows"]
    snapshot["seq"] = data["seq"]
    return snapshot


COMPARED_SESSION_FIELDS = ("status", "lap", "total_laps", "track_status", "winner", "chequered")


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"seq": snapshot["seq"], "drivers": snapshot["drivers"], "race_control": snapshot["race_control"],
            "fastest_lap": snapshot["fastest_lap"], "classification": snapshot["classification"],
            "session": {k: snapshot["session"][k] for k in COMPARED_SESSION_FIELDS},
            "commentary": snapshot["commentary"], "win_probability": snapshot["win_probability"]}


# -- tests -----------------------------------------------------------------------------------

RACE = ("2018", "races", "04-azerbaijan")


@pytest.fixture
def race_session(client, account) -> str:
    return import_recording(client, account, round=4)["session_id"]


def test_max_speed_replay_through_the_live_path_stores_the_official_result(client, account, race_session):
    h = account.headers
    job = wait_job(client, account, start_replay(client, account, race_session, None)["id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["state"] == "finished" and job["result"]["laps"] == 841

    results = f1db(*RACE, "race-results.yml")
    classification = client.get(f"/api/v1/f1/sessions/{race_session}/classification", headers=h).json()["items"]
    assert [r["driver"] for r in classification] == [str(r["driverNumber"]) for r in results]
    for ours, official in zip(classification, results, strict=True):
        assert ours["laps"] == official["laps"], official["driverId"]
        expected = official["position"]
        assert ours["position"] == (expected if isinstance(expected, int) else None), official["driverId"]
        penalty = f1db_seconds(official["timePenalty"]) or 0.0  # Magnussen's came after the feed ended
        if official["gap"] and ours["gap"] is not None:
            assert ours["gap"] == round(f1db_seconds(official["gap"]) - penalty, 3), official["driverId"]

    laps = client.get(f"/api/v1/f1/sessions/{race_session}/laps", headers=h).json()["items"]
    assert len(laps) == 841
    per_driver: dict[str, int] = {}
    for lap in laps:
        per_driver[lap["driver"]] = max(per_driver.get(lap["driver"], 0), lap["lap"])
    assert per_driver == {str(r["driverNumber"]): r["laps"] for r in results if r["laps"]}
    for official in f1db(*RACE, "fastest-laps.yml"):
        number = str(official["driverNumber"])
        mine = client.get(f"/api/v1/f1/sessions/{race_session}/laps", headers=h, params={"driver": number}).json()["items"]
        assert {lap["driver"] for lap in mine} == {number}
        best = [lap for lap in mine if lap["personal_best"]]
        assert [(b["lap"], b["lap_time"]) for b in best] == [(official["lap"], f1db_seconds(official["time"]))]
        assert all(abs(sum(lap["sectors"]) - lap["lap_time"]) < 0.0015 for lap in mine
                   if lap["lap_time"] is not None and None not in lap["sectors"])

    stops = client.get(f"/api/v1/f1/sessions/{race_session}/pit-stops", headers=h).json()["items"]
    reference = f1db(*RACE, "pit-stops.yml")
    assert sorted((s["driver"], s["stop"], s["lap"]) for s in stops) == sorted(
        (str(r["driverNumber"]), r["stop"], r["lap"]) for r in reference)
    stints = client.get(f"/api/v1/f1/sessions/{race_session}/stints", headers=h).json()["items"]
    ends = sorted((s["driver"], s["lap_end"]) for s in stints
                  if s["stint"] < max(x["stint"] for x in stints if x["driver"] == s["driver"]))
    assert ends == sorted((str(r["driverNumber"]), r["lap"]) for r in reference)
    control = client.get(f"/api/v1/f1/sessions/{race_session}/race-control", headers=h).json()["items"]
    assert len(control) == 109 and any("CHEQUERED" in (m["message"] or "") for m in control)

    detail = client.get(f"/api/v1/f1/sessions/{race_session}", headers=h).json()
    assert (detail["year"], detail["round"], detail["session_type"]) == (2018, 4, "Race")
    assert detail["replay"]["state"] == "finished" and (detail["lap"], detail["total_laps"]) == (51, 51)
    assert len(detail["drivers"]) == 20
    assert any(d["number"] == "44" and d["tla"] == "HAM" and d["team"] == "Mercedes" for d in detail["drivers"])
    assert detail["fastest_lap"]["lap_time"] == f1db_seconds("1:45.149")
    snapshot = client.get(f"/api/v1/f1/sessions/{race_session}/snapshot", headers=h).json()
    assert snapshot["seq"] == job["result"]["seq"] and snapshot["session"]["winner"] == "44"


def test_every_organisation_reads_the_same_public_session(client, services, account, other_account, race_session):
    listing = client.get("/api/v1/f1/sessions", headers=other_account.headers).json()
    assert [s["id"] for s in listing["items"]] == [race_session] and listing["items"][0]["channel"] == \
        f"public:f1:{race_session}"
    assert client.get(f"/api/v1/f1/sessions/{race_session}", headers=other_account.headers).status_code == 200
    public = client.get("/api/v1/public/datasets", headers=other_account.headers, params={"kind": "f1_session"}).json()
    assert [d["id"] for d in public["items"]] == [race_session] and public["items"][0]["public"]
    # Importing the same files again (from another organisation) returns the stored session.
    again = import_recording(client, other_account)
    assert again == {"session_id": race_session, "name": "2018 Azerbaijan Grand Prix Race", "existing": True}
    # Public sessions are read-only through organisation routes.
    r = client.delete(other_account.url(f"/datasets/{race_session}"), headers=other_account.headers)
    assert r.status_code == 403
    # Without a login there is nothing.
    assert client.get(f"/api/v1/f1/sessions/{race_session}").status_code == 401


def test_replay_control_and_bad_input(client, services, account, other_account, race_session):
    h = account.headers
    unknown = "00000000-0000-4000-8000-000000000000"
    for path in ("", "/snapshot", "/laps", "/stints", "/pit-stops", "/classification", "/race-control"):
        r = client.get(f"/api/v1/f1/sessions/{unknown}{path}", headers=h)
        assert r.status_code == 404 and r.json()["error"]["message"] == "F1 session not found", path
    assert client.post(account.url(f"/f1/sessions/{unknown}/replay"), headers=h, json={"speed": 10}).status_code == 404
    for speed in (0, 0.5, 101, 1000, -5):
        r = client.post(account.url(f"/f1/sessions/{race_session}/replay"), headers=h, json={"speed": speed})
        assert r.status_code == 400 and "between 1 and 100" in r.json()["error"]["message"], speed

    job = start_replay(client, account, race_session, 1)
    again = client.post(account.url(f"/f1/sessions/{race_session}/replay"), headers=h, json={"speed": 5})
    assert again.status_code == 409
    # Only the organisation that started it controls it; its speed is checked too.
    r = client.patch(other_account.url(f"/f1/sessions/{race_session}/replay"), headers=other_account.headers,
                     json={"speed": 50})
    assert r.status_code == 409 and "another organisation" in r.json()["error"]["message"]
    r = client.patch(account.url(f"/f1/sessions/{race_session}/replay"), headers=h, json={"speed": 150})
    assert r.status_code == 400
    r = client.patch(account.url(f"/f1/sessions/{race_session}/replay"), headers=h, json={"speed": 100, "paused": True})
    assert r.status_code == 200 and r.json()["speed"] == 100 and r.json()["state"] in ("paused", "queued")
    wait_for(lambda: client.get(f"/api/v1/f1/sessions/{race_session}/snapshot", headers=h).json()["replay"]["state"]
             == "paused", timeout=20, message="the replay to pause")
    paused_at = client.get(f"/api/v1/f1/sessions/{race_session}/snapshot", headers=h).json()["seq"]
    time.sleep(0.6)
    assert client.get(f"/api/v1/f1/sessions/{race_session}/snapshot", headers=h).json()["seq"] == paused_at
    assert client.delete(account.url(f"/f1/sessions/{race_session}/replay"), headers=h).status_code == 202
    stopped = wait_job(client, account, job["id"])
    assert stopped["state"] == "cancelled"
    detail = client.get(f"/api/v1/f1/sessions/{race_session}", headers=h).json()
    assert detail["replay"]["state"] == "stopped" and detail["has_results"]
    assert client.delete(account.url(f"/f1/sessions/{race_session}/replay"), headers=h).status_code == 409

    # Imports: only .jsonStream files, only ready uploads of the organisation, owners and coaches.
    folder = f1_folder("2018_azerbaijan_race")
    bad_name = upload(client, account, folder / "LapCount.jsonStream", name="laps.txt")
    r = client.post(account.url("/f1/sessions/import"), headers=h, json={"files": [bad_name]})
    assert r.status_code == 400 and "laps.txt" in r.json()["error"]["message"]
    r = client.post(account.url("/f1/sessions/import"), headers=h, json={"files": []})
    assert r.status_code == 400
    foreign = upload(client, other_account, folder / "LapCount.jsonStream")
    assert client.post(account.url("/f1/sessions/import"), headers=h, json={"files": [foreign]}).status_code == 404
    analyst = create_account(client, services, role="analyst", org_id=account.org_id)
    r = client.post(analyst.url(f"/f1/sessions/{race_session}/replay"), headers=analyst.headers, json={"speed": 10})
    assert r.status_code == 403
    # A feed without SessionInfo and no name: the job says what is missing.
    lap_count = upload(client, account, folder / "LapCount.jsonStream")
    r = client.post(account.url("/f1/sessions/import"), headers=h, json={"files": [lap_count]})
    failed = wait_job(client, account, r.json()["id"])
    assert failed["state"] == "failed" and "SessionInfo.jsonStream" in failed["error"]
